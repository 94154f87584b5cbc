package view

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Server serves the page of a set of surface files, read only, and pushes the page the files'
// new contents (server-sent events on /events) when their modification time or size changes.
// A file that cannot be read yet (a scan not started) is shown as such until it can.
type Server struct {
	Files []string
	Path  string // trajectory file, or ""
	Opt   Options
	Poll  time.Duration // how often the files are looked at (default 500 ms)
	Logf  func(format string, args ...any)

	mu      sync.Mutex
	data    []byte        // the latest Doc as JSON
	changed chan struct{} // closed and replaced when data changes
	stamps  []os.FileInfo // the files as last loaded
}

// Serve listens on addr (a host without a name, as ":8080", means 127.0.0.1) and serves until
// ctx is done, then closes every connection and returns nil. ready, if not nil, gets the
// address listened on (useful with port 0).
func (s *Server) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--serve %q: want HOST:PORT, e.g. 127.0.0.1:8080: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if s.Poll <= 0 {
		s.Poll = 500 * time.Millisecond
	}
	if s.Logf == nil {
		s.Logf = func(string, ...any) {}
	}
	s.changed = make(chan struct{})
	s.refresh()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("--serve %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &http.Server{Handler: s.handler(), BaseContext: func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second}
	go s.watch(base)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.refresh() // the files' last state, which the event streams send before they end
	cancel()    // ends the event streams, so that Shutdown does not wait for them
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /events", s.events)
	return mux
}

// load reads every file; a file that cannot be read becomes a figure that says why.
func (s *Server) load() *Doc {
	d := &Doc{Options: s.Opt, Live: true}
	for _, f := range s.Files {
		fig, err := LoadFigure(f)
		if err != nil {
			fig = &Figure{Name: f, Path: f, Error: fmt.Sprintf("waiting for %s: %v", f, err)}
		}
		d.Figures = append(d.Figures, fig)
	}
	if s.Path != "" {
		if t, err := LoadTrajectory(s.Path); err == nil {
			d.Path = t
		} else {
			s.Logf("%v", err)
		}
	}
	return d
}

// refresh reloads the files if any changed since the last look (another file at the path, as
// an atomic replacement makes, or another modification time or size) and wakes the streams.
func (s *Server) refresh() {
	paths := append(append([]string(nil), s.Files...), s.Path)
	stamps := make([]os.FileInfo, len(paths))
	for i, f := range paths {
		stamps[i], _ = os.Stat(f) // nil when missing
	}
	s.mu.Lock()
	same := s.data != nil && sameStamps(stamps, s.stamps)
	s.mu.Unlock()
	if same {
		return
	}
	b, err := s.load().dataJSON()
	if err != nil {
		s.Logf("%v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stamps = stamps
	if bytes.Equal(b, s.data) {
		return
	}
	s.data = b
	close(s.changed)
	s.changed = make(chan struct{})
}

func sameStamps(a, b []os.FileInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		switch {
		case a[i] == nil || b[i] == nil:
			if a[i] != b[i] {
				return false
			}
		case !os.SameFile(a[i], b[i]) || !a[i].ModTime().Equal(b[i].ModTime()) || a[i].Size() != b[i].Size():
			return false
		}
	}
	return true
}

func (s *Server) watch(ctx context.Context) {
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.refresh()
		}
	}
}

func (s *Server) current() ([]byte, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, s.changed
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.refresh()
	d := s.load()
	var b bytes.Buffer
	if err := WritePage(&b, d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// events streams the Doc as JSON: now, then after every change, with a comment every 15 s to
// keep the connection open. When the server stops it sends the last state if not yet sent,
// then an "end" event, so that the page keeps that state and stops reconnecting.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	var sent []byte
	for {
		data, changed := s.current()
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return
		}
		fl.Flush()
		sent = data
	wait:
		for {
			select {
			case <-r.Context().Done():
				if last, _ := s.current(); !bytes.Equal(last, sent) {
					fmt.Fprintf(w, "data: %s\n\n", last)
				}
				fmt.Fprint(w, "event: end\ndata: {}\n\n")
				fl.Flush()
				return
			case <-keep.C:
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
					return
				}
				fl.Flush()
			case <-changed:
				break wait
			}
		}
	}
}

// ServeFiles serves the live page of files at addr until ctx ends, saying where on log.
func ServeFiles(ctx context.Context, addr string, files []string, path string, opt Options, log io.Writer) error {
	s := &Server{Files: files, Path: path, Opt: opt,
		Logf: func(format string, a ...any) { fmt.Fprintf(log, "view: "+format+"\n", a...) }}
	return s.Serve(ctx, addr, func(a net.Addr) {
		fmt.Fprintf(log, "view: serving %s at http://%s/ (read only; Ctrl-C stops)\n", strings.Join(files, ", "), a)
	})
}
