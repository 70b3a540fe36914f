package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/distribution/distribution/v3/registry/handlers"
)

// Config configures a [Server].
type Config struct {
	// Storage is the directory that holds the registry's content (required).
	// It is created when missing.
	Storage string
	// Htpasswd, when set, is an htpasswd file of bcrypt hashes
	// (htpasswd -Bbn user password); every request then needs HTTP basic
	// credentials from it: the registry, the API and the page.
	Htpasswd string
	// Title is the catalogue page's title (default "wasmesh hub").
	Title string
	// Host is the registry host[:port] written into the pull and deploy
	// commands the API returns. Empty: the Host header of each request.
	Host string
	// Log receives one line per request (default os.Stderr). The embedded
	// registry's own messages go to logrus' standard logger.
	Log io.Writer
	// Debug keeps the registry's informational and debug messages; without
	// it only its warnings and errors are logged.
	Debug bool
}

// Server is a running hub: the registry, the JSON API and the page.
type Server struct {
	cfg     Config
	app     *handlers.App
	access  auth.AccessController // nil without htpasswd
	cat     *catalog
	handler http.Handler
	log     *log.Logger

	mu   sync.Mutex
	srvs []*http.Server
}

// New creates the storage directory if needed and builds the registry, the
// catalogue and their handler. It does not listen: use [Server.Serve] or
// mount [Server.Handler].
func New(cfg Config) (*Server, error) {
	if cfg.Storage == "" {
		return nil, errors.New("hub: no storage directory")
	}
	if cfg.Title == "" {
		cfg.Title = "wasmesh hub"
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if err := os.MkdirAll(cfg.Storage, 0o755); err != nil {
		return nil, fmt.Errorf("hub: storage: %w", err)
	}
	if cfg.Htpasswd != "" {
		// distribution would create a missing file with a random admin
		// password; a typo in a flag should rather fail.
		if _, err := os.Stat(cfg.Htpasswd); err != nil {
			return nil, fmt.Errorf("hub: htpasswd: %w (create it with: htpasswd -Bbn USER PASSWORD > FILE)", err)
		}
	}
	configureRegistryLog(cfg.Debug)
	app, access, err := newRegistry(cfg)
	if err != nil {
		return nil, err
	}
	cat, err := newCatalog(cfg.Storage)
	if err != nil {
		_ = app.Shutdown()
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		app:    app,
		access: access,
		cat:    cat,
		log:    log.New(cfg.Log, "", log.LstdFlags),
	}
	s.handler = s.logRequests(s.routes())
	return s, nil
}

// Handler returns the hub's handler: /v2/ (registry), /api/ (JSON) and the
// page at /, every request logged.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves the hub on ln until [Server.Shutdown] or [Server.Close]; it
// then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
	}
	s.mu.Lock()
	s.srvs = append(s.srvs, srv)
	s.mu.Unlock()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

// Shutdown stops every [Server.Serve] gracefully, waiting for requests in
// flight until ctx is done, then stops the registry's background work.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srvs := s.srvs
	s.srvs = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range srvs {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("hub: shutdown: %w", err))
		}
	}
	if err := s.app.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("hub: registry shutdown: %w", err))
	}
	return errors.Join(errs...)
}

// Close stops the hub at once, closing connections with requests in flight.
func (s *Server) Close() error {
	s.mu.Lock()
	srvs := s.srvs
	s.srvs = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range srvs {
		if err := srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("hub: close: %w", err))
		}
	}
	if err := s.app.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("hub: registry shutdown: %w", err))
	}
	return errors.Join(errs...)
}

// routes mounts the registry, the API and the page.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v2/", s.app)
	api := http.NewServeMux()
	api.HandleFunc("GET /api/modules", s.listModules)
	api.HandleFunc("GET /api/modules/{name...}", s.getModule)
	api.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errors.New("hub: no such API endpoint"))
	})
	mux.Handle("/api/", s.requireAuth(api))
	mux.Handle("/", s.requireAuth(s.webHandler()))
	return mux
}

// requireAuth asks for the htpasswd credentials the registry asks for, so
// that the catalogue shows nothing the registry would not let one pull.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	if s.access == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.access.Authorized(r); err != nil {
			var ch auth.Challenge
			if errors.As(err, &ch) {
				ch.SetHeaders(r, w)
				writeError(w, http.StatusUnauthorized, errors.New("hub: authentication required"))
				return
			}
			writeError(w, http.StatusInternalServerError, fmt.Errorf("hub: auth: %w", err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records what a handler answered, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logRequests writes one line per request: method, path, status, bytes
// written, duration, client address and the basic-auth user if any.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		user := "-"
		if u, _, ok := r.BasicAuth(); ok && u != "" {
			user = u
		}
		s.log.Printf("%s %s %d %dB %s %s %s", r.Method, logURI(r), sw.status, sw.bytes,
			time.Since(start).Round(time.Microsecond), r.RemoteAddr, user)
	})
}

// logURI is the request's path and query, less the upload state token
// (_state) distribution puts in upload URLs: long, and of no use in a log.
func logURI(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return r.URL.Path
	}
	q := r.URL.Query()
	q.Del("_state")
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}
