// Package casetest replays HTTP exchanges through a Wasm filter in process
// (`wasmesh test`): each case sends a request through the data plane's
// filter chain to a scripted upstream and checks what the filter did to
// the request, the response, local replies and logs. It works for filters
// from any language, since it only runs the module.
package casetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy"
)

// Suite is a cases file.
type Suite struct {
	Filter Filter `json:"filter"`
	Cases  []Case `json:"cases"`
}

// Filter says which module to run and how to configure it.
type Filter struct {
	File   string `json:"file,omitempty"` // relative to the cases file
	RootID string `json:"root_id,omitempty"`
	Name   string `json:"name,omitempty"`
	VMID   string `json:"vm_id,omitempty"`
	Config string `json:"config,omitempty"`
}

// Case is one exchange.
type Case struct {
	Name     string    `json:"name"`
	Request  Request   `json:"request"`
	Upstream *Response `json:"upstream,omitempty"`
	Expect   Expect    `json:"expect"`
}

// Request is what the client sends.
type Request struct {
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Response is what the scripted upstream answers (default: 200 and the
// request as JSON).
type Response struct {
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Expect lists the checks; unset fields are not checked.
type Expect struct {
	Status                int               `json:"status,omitempty"`
	ResponseHeaders       map[string]string `json:"response_headers,omitempty"`
	ResponseHeadersAbsent []string          `json:"response_headers_absent,omitempty"`
	ResponseBody          *string           `json:"response_body,omitempty"`
	UpstreamCalled        *bool             `json:"upstream_called,omitempty"`
	UpstreamHeaders       map[string]string `json:"upstream_headers,omitempty"`
	UpstreamHeadersAbsent []string          `json:"upstream_headers_absent,omitempty"`
	UpstreamBody          *string           `json:"upstream_body,omitempty"`
	Logs                  []string          `json:"logs,omitempty"`
}

// Result is the outcome of one case: what happened, and what did not
// match.
type Result struct {
	Name     string   `json:"name"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
	Duration string   `json:"duration"`
	Observed Observed `json:"observed"`
}

// Observed is the exchange as it happened, the golden-file content.
type Observed struct {
	Status          int               `json:"status"`
	ResponseHeaders map[string]string `json:"response_headers"`
	ResponseBody    string            `json:"response_body"`
	UpstreamCalled  bool              `json:"upstream_called"`
	UpstreamHeaders map[string]string `json:"upstream_headers,omitempty"`
	UpstreamBody    string            `json:"upstream_body,omitempty"`
}

// Load reads a cases file.
func Load(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("casetest: %w", err)
	}
	var s Suite
	if err := yaml.UnmarshalStrict(b, &s); err != nil {
		return nil, fmt.Errorf("casetest: %s: %w", path, err)
	}
	for i, c := range s.Cases {
		if c.Name == "" {
			return nil, fmt.Errorf("casetest: %s: cases[%d]: name is required", path, i)
		}
	}
	return &s, nil
}

// Run runs every case through the module and returns the results.
func Run(ctx context.Context, wasm []byte, s *Suite) ([]Result, error) {
	logs := &lockedBuffer{}
	m, err := proxy.NewMiddleware(ctx, []proxy.WasmFilter{{
		Name: s.Filter.Name, RootID: s.Filter.RootID, VMID: s.Filter.VMID, Code: wasm, Configuration: []byte(s.Filter.Config),
	}}, proxy.MiddlewareOptions{Workers: 1, Logger: proxy.NewLogger(logs, host.LogTrace, "%v")})
	if err != nil {
		return nil, fmt.Errorf("casetest: load the filter: %w\n%s", err, logs.String())
	}
	defer m.Close()
	var results []Result
	for _, c := range s.Cases {
		logs.Reset()
		results = append(results, runCase(m, c, logs))
	}
	return results, nil
}

func runCase(m *proxy.Middleware, c Case, logs *lockedBuffer) Result {
	start := time.Now()
	var obs Observed
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obs.UpstreamCalled = true
		obs.UpstreamHeaders = flatten(r.Header)
		body, _ := io.ReadAll(r.Body)
		obs.UpstreamBody = string(body)
		if u := c.Upstream; u != nil {
			for k, v := range u.Headers {
				w.Header().Set(k, v)
			}
			status := u.Status
			if status == 0 {
				status = 200
			}
			w.WriteHeader(status)
			io.WriteString(w, u.Body)
			return
		}
		quickEcho(w, r, body)
	})
	method, path := c.Request.Method, c.Request.Path
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = "/"
	}
	req := httptest.NewRequest(method, path, strings.NewReader(c.Request.Body))
	for k, v := range c.Request.Headers {
		if strings.EqualFold(k, "host") || k == ":authority" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	reset := serve(m.Handler(upstream), rec, req)
	obs.Status = rec.Code
	obs.ResponseHeaders = flatten(rec.Header())
	delete(obs.ResponseHeaders, "date")
	obs.ResponseBody = rec.Body.String()
	res := Result{Name: c.Name, Observed: obs, Duration: time.Since(start).Round(time.Microsecond).String()}
	res.Failures = check(c.Expect, obs, logs.String())
	if reset {
		res.Failures = append([]string{"the filter reset the stream (proxy_close_stream): no response"}, res.Failures...)
	}
	res.Passed = len(res.Failures) == 0
	return res
}

// serve runs the handler; a stream the filter resets (net/http's
// ErrAbortHandler, which a server would recover) is reported, not a crash.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (reset bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			reset = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// check compares an exchange with the expectations, one line per mismatch.
func check(e Expect, o Observed, logs string) []string {
	var f []string
	if e.Status != 0 && e.Status != o.Status {
		f = append(f, fmt.Sprintf("response status: got %d, want %d", o.Status, e.Status))
	}
	f = append(f, checkHeaders("response header", e.ResponseHeaders, e.ResponseHeadersAbsent, o.ResponseHeaders)...)
	if e.ResponseBody != nil && *e.ResponseBody != o.ResponseBody {
		f = append(f, fmt.Sprintf("response body: got %q, want %q", o.ResponseBody, *e.ResponseBody))
	}
	if e.UpstreamCalled != nil && *e.UpstreamCalled != o.UpstreamCalled {
		f = append(f, fmt.Sprintf("upstream called: got %v, want %v", o.UpstreamCalled, *e.UpstreamCalled))
	}
	f = append(f, checkHeaders("upstream request header", e.UpstreamHeaders, e.UpstreamHeadersAbsent, o.UpstreamHeaders)...)
	if e.UpstreamBody != nil && *e.UpstreamBody != o.UpstreamBody {
		f = append(f, fmt.Sprintf("upstream body: got %q, want %q", o.UpstreamBody, *e.UpstreamBody))
	}
	for _, want := range e.Logs {
		if !strings.Contains(logs, want) {
			f = append(f, fmt.Sprintf("logs: no line contains %q", want))
		}
	}
	return f
}

func checkHeaders(what string, want map[string]string, absent []string, got map[string]string) []string {
	var f []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := got[strings.ToLower(k)]
		switch {
		case !ok:
			f = append(f, fmt.Sprintf("%s %s: missing, want %q", what, k, want[k]))
		case v != want[k]:
			f = append(f, fmt.Sprintf("%s %s: got %q, want %q", what, k, v, want[k]))
		}
	}
	for _, k := range absent {
		if v, ok := got[strings.ToLower(k)]; ok {
			f = append(f, fmt.Sprintf("%s %s: got %q, want it absent", what, k, v))
		}
	}
	return f
}

func flatten(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		if len(vs) > 0 {
			out[strings.ToLower(k)] = strings.Join(vs, ",")
		}
	}
	return out
}

func quickEcho(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("content-type", "application/json")
	fmt.Fprintf(w, `{"method":%q,"path":%q,"body":%q}`, r.Method, r.URL.RequestURI(), body)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	l.b.Reset()
	l.mu.Unlock()
}
