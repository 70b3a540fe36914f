// Command embed shows the host embedded in a plain Go HTTP server: a
// Proxy-Wasm filter runs in front of a built-in echo upstream that answers
// with the request headers it received, as JSON (like httpbin's /headers).
//
//	go run ./examples/embed                    # builds examples/go/addheader
//	go run ./examples/embed -wasm filter.wasm -config '{"header":"x-hello","value":"world"}'
//	curl -i http://127.0.0.1:8080/headers
//
// It is deliberately small: one worker VM per CPU, whole bodies, no
// streaming. The data plane (wasmesh envoy) is the full version.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

func main() {
	wasmPath := flag.String("wasm", "", "filter module (default: build examples/go/addheader)")
	config := flag.String("config", `{"header":"x-wasm-filter","value":"world"}`, "plugin configuration")
	rootID := flag.String("root-id", "", "plugin root_id")
	listen := flag.String("listen", "127.0.0.1:8080", "listen address")
	flag.Parse()
	if err := run(*wasmPath, *config, *rootID, *listen); err != nil {
		log.Fatal(err)
	}
}

func run(wasmPath, config, rootID, listen string) error {
	ctx := context.Background()
	wasm, err := loadModule(ctx, wasmPath)
	if err != nil {
		return err
	}
	cacheDir, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.Config{
		CacheDir: filepath.Join(cacheDir, "wasmesh", "compiled"),
		Logger:   host.NewWriterLogger(os.Stderr, host.LogInfo),
	})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	start := time.Now()
	mod, err := rt.Compile(ctx, wasm)
	if err != nil {
		return err
	}
	plugin, err := rt.NewPlugin(ctx, mod, host.VMConfig{}, host.PluginConfig{Name: "embed", RootID: rootID, Configuration: []byte(config)}, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	defer plugin.Close(ctx)
	log.Printf("filter loaded (ABI %s, %d workers) in %v", mod.ABI(), plugin.Workers(), time.Since(start).Round(time.Millisecond))
	log.Printf("try: curl -i http://%s/headers", listen)
	srv := &http.Server{Addr: listen, Handler: &filtered{plugin: plugin, upstream: http.HandlerFunc(echo)}, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

func loadModule(ctx context.Context, path string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	out := filepath.Join(os.TempDir(), "wasmesh-embed-addheader.wasm")
	if err := wasmbuild.Go(ctx, filepath.Join("examples", "go", "addheader"), out); err != nil {
		return nil, fmt.Errorf("build the default filter (run from the repository root, or pass -wasm): %w", err)
	}
	return os.ReadFile(out)
}

// echo is the built-in upstream: the request headers it received, as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	hdrs := map[string]string{"Host": r.Host}
	for k, v := range r.Header {
		hdrs[k] = v[0]
	}
	w.Header().Set("content-type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(map[string]any{"headers": hdrs})
}

// filtered runs each request through the filter, then the upstream.
type filtered struct {
	plugin   *host.Plugin
	upstream http.Handler
	next     atomic.Uint64
}

func (f *filtered) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	root, err := f.plugin.Root(r.Context(), int(f.next.Add(1)%uint64(f.plugin.Workers())))
	if err != nil {
		http.Error(w, "filter unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	ev := &events{resume: make(chan struct{}, 1), reply: make(chan *host.LocalResponse, 1)}
	s := root.NewHTTPStream(ev, nil, nil)
	defer s.Close()

	req := &host.Headers{}
	req.Add(":method", r.Method)
	req.Add(":path", r.URL.RequestURI())
	req.Add(":authority", r.Host)
	req.Add(":scheme", "http")
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Add(k, v)
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	a, err := s.OnRequestHeaders(req, len(body) == 0)
	if lr, stop := ev.wait(a, err); stop {
		f.reply(w, s, lr)
		return
	}
	reqBody := &host.Buffer{Bytes: body}
	if len(body) > 0 {
		a, err = s.OnRequestBody(reqBody, true)
		if lr, stop := ev.wait(a, err); stop {
			f.reply(w, s, lr)
			return
		}
	}

	// Call the upstream with the filtered request.
	up, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
	for i := 0; i < req.Len(); i++ {
		k, v := req.Field(i)
		switch {
		case string(k) == ":authority":
			up.Host = string(v)
		case len(k) > 0 && k[0] != ':':
			up.Header.Add(string(k), string(v))
		}
	}
	rec := &recorder{header: http.Header{}, status: 200}
	f.upstream.ServeHTTP(rec, up)

	resp := &host.Headers{}
	resp.Add(":status", strconv.Itoa(rec.status))
	for k, vs := range rec.header {
		for _, v := range vs {
			resp.Add(k, v)
		}
	}
	a, err = s.OnResponseHeaders(resp, len(rec.body) == 0)
	if lr, stop := ev.wait(a, err); stop {
		f.reply(w, s, lr)
		return
	}
	respBody := &host.Buffer{Bytes: rec.body}
	if len(rec.body) > 0 {
		a, err = s.OnResponseBody(respBody, true)
		if lr, stop := ev.wait(a, err); stop {
			f.reply(w, s, lr)
			return
		}
	}
	write(w, resp, respBody.Bytes)
}

// reply sends a local reply (or the fail-closed 503).
func (f *filtered) reply(w http.ResponseWriter, s *host.HTTPStream, lr *host.LocalResponse) {
	if lr == nil {
		http.Error(w, "wasm_fail_stream", http.StatusServiceUnavailable)
		return
	}
	h := lr.Headers
	h.Set(":status", strconv.Itoa(lr.StatusCode))
	_, _ = s.OnResponseHeaders(h, len(lr.Body) == 0) // as Envoy, the filter sees its own reply
	write(w, h, lr.Body)
}

func write(w http.ResponseWriter, h *host.Headers, body []byte) {
	status := 200
	for i := 0; i < h.Len(); i++ {
		k, v := h.Field(i)
		switch {
		case string(k) == ":status":
			status, _ = strconv.Atoi(string(v))
		case string(k) == "content-length":
		case len(k) > 0 && k[0] != ':':
			w.Header().Add(string(k), string(v))
		}
	}
	w.Header().Set("content-length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// events carries what the filter asked for to the request goroutine.
type events struct {
	resume chan struct{}
	reply  chan *host.LocalResponse
}

// wait returns once the stream may go on: at once for Continue, or after
// the filter resumes it (e.g. after a callout). stop is true for a local
// reply or a failed VM (lr nil).
func (e *events) wait(a host.Action, err error) (lr *host.LocalResponse, stop bool) {
	if errors.Is(err, host.ErrVMFailed) {
		return nil, true
	}
	select {
	case lr := <-e.reply:
		return lr, true
	default:
	}
	if a == host.ActionContinue {
		return nil, false
	}
	select {
	case <-e.resume:
		return nil, false
	case lr := <-e.reply:
		return lr, true
	case <-time.After(10 * time.Second):
		return &host.LocalResponse{StatusCode: http.StatusGatewayTimeout, Headers: &host.Headers{}, Body: []byte("filter did not resume\n")}, true
	}
}

func (e *events) ContinueRequest()  { e.resume <- struct{}{} }
func (e *events) ContinueResponse() { e.resume <- struct{}{} }
func (e *events) SendLocalResponse(lr *host.LocalResponse) {
	select {
	case e.reply <- lr:
	default:
	}
}
func (e *events) CloseStream(host.StreamType)               {}
func (e *events) ClearRouteCache()                          {}
func (e *events) AddTrailers(host.StreamType) *host.Headers { return &host.Headers{} }

// recorder captures the upstream's response.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
