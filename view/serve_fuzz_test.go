package view

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"landscape/internal/fuzzseed"
	"landscape/surface"
)

func requestSeeds() []fuzzseed.Seed {
	return []fuzzseed.Seed{
		fuzzseed.New("page", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		fuzzseed.New("events", "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"),
		fuzzseed.New("post", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
		fuzzseed.New("traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
		fuzzseed.New("query", "GET /?a=%zz&b HTTP/1.0\r\n\r\n"),
		fuzzseed.New("bad", "GET\r\n\r\n"),
	}
}

func TestRequestSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzViewRequest", requestSeeds()) }

// FuzzViewRequest: any HTTP request to the viewer's server (landscape view --serve), parsed by
// net/http and handled by the server's handler, with the request's context already ended (an
// event stream then sends the state and its end). Property: no panic and no hang; GET / and
// GET /events answer 200 (the page, the stream); every other request is refused with a 4xx
// status, never a 5xx, and never serves anything but the page and the stream (read only).
func FuzzViewRequest(f *testing.F) {
	fuzzseed.Add(f, requestSeeds())
	path := filepath.Join(f.TempDir(), "s.npz")
	x := surface.Axis{Min: -1, Max: 1, Num: 3}
	s := surface.New(x, x, "test", surface.Settings{Model: "m", X: x.String(), Y: x.String()})
	for k := range s.Len() {
		s.Set(k, float64(k), 50)
	}
	if err := s.Save(path); err != nil {
		f.Fatal(err)
	}
	srv := &Server{Files: []string{path}, Opt: Options{VMin: nan, VMax: nan}, Logf: func(string, ...any) {}}
	srv.changed = make(chan struct{})
	srv.refresh()
	h := srv.handler()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, raw string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ended))
		page := req.Method == http.MethodGet && (req.URL.Path == "/" || req.URL.Path == "/events")
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body)
		case page && rec.Code != 200:
			t.Fatalf("%s %s: %d", req.Method, req.URL, rec.Code)
		case !page && rec.Code < 300 && req.Method != http.MethodHead:
			t.Fatalf("%s %s served %d bytes", req.Method, req.URL, rec.Body.Len())
		case req.URL.Path == "/" && req.Method == http.MethodGet && !bytes.Contains(rec.Body.Bytes(), []byte("<html")):
			t.Fatalf("GET / gave no page")
		}
	})
}
