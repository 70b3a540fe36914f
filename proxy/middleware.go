package proxy

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy/cluster"
)

// WasmFilter describes one Proxy-Wasm HTTP filter for a Middleware, with
// the meaning of Envoy's PluginConfig fields.
type WasmFilter struct {
	Name, RootID, VMID string
	// Code is the module.
	Code []byte
	// Configuration is the plugin configuration the guest reads in
	// proxy_on_configure.
	Configuration []byte
	// FailOpen skips the filter when its VM has failed (else 503).
	FailOpen bool
}

// MiddlewareOptions configure NewMiddleware.
type MiddlewareOptions struct {
	// Workers is the number of VMs per filter (default one per CPU);
	// requests are spread over them.
	Workers int
	Logger  *Logger
	Host    host.Config
}

// Middleware runs Proxy-Wasm HTTP filters in front of any http.Handler,
// with the same filter chain as the data plane (pause/resume, buffering,
// local replies, failure policy).
type Middleware struct {
	srv *Server
	hcm *httpConnManager
}

// NewMiddleware loads the filters.
func NewMiddleware(ctx context.Context, filters []WasmFilter, opts MiddlewareOptions) (*Middleware, error) {
	cfg, err := envoyconfig.Parse([]byte("{}"), "middleware")
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, cfg, Options{Concurrency: opts.Workers, Logger: opts.Logger, Host: opts.Host})
	if err != nil {
		return nil, err
	}
	m := &Middleware{srv: s}
	m.hcm = &httpConnManager{srv: s, statPrefix: "middleware"}
	m.hcm.initStats()
	for i, f := range filters {
		configuration, _ := anypb.New(wrapperspb.Bytes(f.Configuration))
		pc := &wasmv3.PluginConfig{
			Name: f.Name, RootId: f.RootID, FailOpen: f.FailOpen, Configuration: configuration,
			Vm: &wasmv3.PluginConfig_VmConfig{VmConfig: &wasmv3.VmConfig{
				VmId: f.VMID, Runtime: "envoy.wasm.runtime.v8",
				Code: &corev3.AsyncDataSource{Specifier: &corev3.AsyncDataSource_Local{Local: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: f.Code}}}},
			}},
		}
		p, err := s.wasm.load(fmt.Sprintf("filters[%d]", i), pc)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("proxy: middleware: %w", err)
		}
		m.hcm.plugins = append(m.hcm.plugins, p)
	}
	return m, nil
}

// Runtime returns the Wasm host runtime (metrics, shared data).
func (m *Middleware) Runtime() *host.Runtime { return m.srv.rt }

// Close releases the VMs.
func (m *Middleware) Close() { m.srv.close() }

// Handler wraps next.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	h := *m.hcm
	h.upstream = func(x *exchange, body []byte) { serveNext(x, next, body) }
	return &h
}

// serveNext calls the wrapped handler with the filtered request and runs
// its response back through the filters.
func serveNext(x *exchange, next http.Handler, body []byte) {
	x.setForwardedProto()
	req, err := cluster.NewHTTPRequest(x.ctx, &cluster.Request{Headers: x.reqHeaders, Body: body, Trailers: x.reqTrailers})
	if err != nil {
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 400, Body: []byte(err.Error())})
		return
	}
	if req.Body == nil {
		req.Body = http.NoBody
	}
	req.RemoteAddr = x.down.remoteAddr()
	req.URL.Host = ""
	req.URL.Scheme = ""
	req.RequestURI = req.URL.RequestURI()
	rec := &responseRecorder{header: http.Header{}, code: 200}
	next.ServeHTTP(rec, req)
	resp := &http.Response{StatusCode: rec.code, Header: rec.header, ContentLength: int64(rec.body.Len())}
	x.respHeaders = &host.Headers{}
	cluster.ResponseHeaders(resp, x.respHeaders)
	x.respHeaders.Set("content-length", strconv.Itoa(rec.body.Len()))
	x.encode(noTrailers{&rec.body}, rec.body.Len() == 0)
}

type responseRecorder struct {
	header http.Header
	code   int
	wrote  bool
	body   bytes.Buffer
}

func (r *responseRecorder) Header() http.Header { return r.header }
func (r *responseRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
}
func (r *responseRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
