package view

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"landscape/surface"
)

// startServer serves files on a free localhost port until the test ends.
func startServer(t *testing.T, addr string, poll time.Duration, files ...string) (url string, stop func() error) {
	t.Helper()
	s := &Server{Files: files, Opt: Options{VMin: nan, VMax: nan}, Poll: poll}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, addr, func(a net.Addr) { got <- a }) }()
	select {
	case a := <-got:
		url = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Serve(%q): %v", addr, err)
	}
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return within 10 s of its context ending")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return url, stop
}

func TestServerBindsLocalhostAndIsReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	writeSurface(t, path, 3, 3, all)
	url, stop := startServer(t, ":0", time.Second, path)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("an address without a host should bind 127.0.0.1, got %s", url)
	}
	res, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /: %s %s", res.Status, res.Header.Get("Content-Type"))
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		req, _ := http.NewRequest(m, url+"/", strings.NewReader("x"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /: %s, want 405", m, res.Status)
		}
	}
	if res, err := http.Get(url + "/s.npz"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /s.npz: %s, want 404 (no files are served)", res.Status)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// event is one server-sent event: its name ("" for a message) and its data.
type event struct {
	name string
	doc  Doc
}

// readEvents parses the event stream of url into a channel.
func readEvents(t *testing.T, url string) <-chan event {
	res, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/events Content-Type %q", ct)
	}
	events := make(chan event, 8)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<24)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var e event
				e.name = name
				if err := json.Unmarshal([]byte(data), &e.doc); err != nil {
					t.Errorf("event data: %v", err)
				}
				events <- e
				name = ""
			}
		}
	}()
	return events
}

func next(t *testing.T, events <-chan event) event {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return event{}
}

func addPoints(t *testing.T, s *surface.Surface, path string, from, to int) {
	for k := from; k < to; k++ {
		a, b := s.Coord(k)
		s.Set(k, bowl(a, b), 1)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
}

// TestServerEvents reads the event stream: the surface as it is, then again after points were
// added.
func TestServerEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	s := writeSurface(t, path, 4, 4, func(k int) bool { return k < 5 })
	url, stop := startServer(t, "127.0.0.1:0", 50*time.Millisecond, path)
	events := readEvents(t, url)
	if e := next(t, events); !e.doc.Live || len(e.doc.Figures) != 1 || e.doc.Figures[0].Done != 5 {
		t.Fatalf("first event: live %v, %d figures; want live, 1 figure with 5 points done", e.doc.Live, len(e.doc.Figures))
	}
	addPoints(t, s, path, 5, 9)
	if e := next(t, events); e.doc.Figures[0].Done != 9 {
		t.Errorf("after 4 more points the event says %d done, want 9", e.doc.Figures[0].Done)
	}
	if err := stop(); err != nil {
		t.Errorf("stop with an open stream: %v", err)
	}
}

// TestServerSendsLastStateOnStop: points written just before the server stops (between two
// looks at the file) still reach the open page, followed by the end event.
func TestServerSendsLastStateOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	s := writeSurface(t, path, 4, 4, func(k int) bool { return k < 5 })
	url, stop := startServer(t, "127.0.0.1:0", time.Hour, path)
	events := readEvents(t, url)
	if e := next(t, events); e.doc.Figures[0].Done != 5 {
		t.Fatalf("first event: %d done, want 5", e.doc.Figures[0].Done)
	}
	addPoints(t, s, path, 5, 16)
	if err := stop(); err != nil {
		t.Errorf("stop with an open stream: %v", err)
	}
	if e := next(t, events); e.name != "" || e.doc.Figures[0].Done != 16 {
		t.Errorf("after stop: event %q with %+v, want the last state, 16 done", e.name, e.doc.Figures)
	}
	if e := next(t, events); e.name != "end" {
		t.Errorf("then event %q, want end", e.name)
	}
}
