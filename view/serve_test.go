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
)

// startServer serves files on a free localhost port until the test ends.
func startServer(t *testing.T, addr string, files ...string) (url string, stop func() error) {
	t.Helper()
	s := &Server{Files: files, Opt: Options{VMin: nan, VMax: nan}, Poll: 50 * time.Millisecond}
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
	url, stop := startServer(t, ":0", path)
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

// TestServerEvents reads the event stream: the surface as it is, then again after points were
// added; stopping the server with the stream open returns nil.
func TestServerEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	s := writeSurface(t, path, 4, 4, func(k int) bool { return k < 5 })
	url, stop := startServer(t, "127.0.0.1:0", path)
	res, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/events Content-Type %q", ct)
	}
	events := make(chan Doc, 4)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var d Doc
				if err := json.Unmarshal([]byte(data), &d); err != nil {
					t.Errorf("event data: %v", err)
				}
				events <- d
			}
		}
		close(events)
	}()
	next := func() Doc {
		select {
		case d := <-events:
			return d
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
			return Doc{}
		}
	}
	if d := next(); !d.Live || len(d.Figures) != 1 || d.Figures[0].Done != 5 {
		t.Fatalf("first event: live %v, %d figures, done %d; want live, 1, 5", d.Live, len(d.Figures), d.Figures[0].Done)
	}
	for k := 5; k < 9; k++ {
		a, b := s.Coord(k)
		s.Set(k, bowl(a, b), 1)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	if d := next(); d.Figures[0].Done != 9 {
		t.Errorf("after 4 more points the event says %d done, want 9", d.Figures[0].Done)
	}
	if err := stop(); err != nil {
		t.Errorf("stop with an open stream: %v", err)
	}
	for range events { // the stream ends
	}
}
