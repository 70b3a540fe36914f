package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
)

// startRetryProxy runs a Server whose one route (prefix "/") goes to a
// cluster of the given endpoints ("ip:port", or "ip:port*weight"; round
// robin), with the route's action fields (YAML flow mapping entries after
// "cluster: c") and the virtual host's (YAML after "routes: [...]"), and an
// access log line per request in the returned file.
func startRetryProxy(t *testing.T, endpoints []string, routeAction, vhost string) (*Server, *logFile) {
	t.Helper()
	return startRouteProxy(t, endpoints, routeAction, vhost, "", "")
}

// startRouteProxy is startRetryProxy with connection manager fields (YAML
// lines at its indentation, each starting with a newline) and http filters
// before the router (YAML list items).
func startRouteProxy(t *testing.T, endpoints []string, routeAction, vhost, hcm, filters string) (*Server, *logFile) {
	t.Helper()
	logs := &logFile{}
	cfg, err := envoyconfig.Parse([]byte(routeProxyYAML(endpoints, routeAction, vhost, hcm+`
          access_log:
          - name: log
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: `+logs.path(t)+`
              log_format: { text_format_source: { inline_string: "%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST% %RESPONSE_FLAGS%\n" } }`, filters)), "retry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, Options{Concurrency: 1, DrainTimeout: time.Second, Logger: NewLogger(io.Discard, host.LogInfo, "")})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv, logs
}

// routeProxyYAML is the bootstrap of startRouteProxy.
func routeProxyYAML(endpoints []string, routeAction, vhost, hcm, filters string) string {
	var eps []string
	for _, a := range endpoints {
		a, weight, _ := strings.Cut(a, "*")
		if weight == "" {
			weight = "1"
		}
		h, p, _ := net.SplitHostPort(a)
		eps = append(eps, fmt.Sprintf("{ endpoint: { address: { socket_address: { address: %s, port_value: %s } } }, load_balancing_weight: %s }", h, p, weight))
	}
	if routeAction != "" {
		routeAction = ", " + routeAction
	}
	if vhost != "" {
		vhost = ", " + vhost
	}
	return `
static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: t` + hcm + `
          route_config:
            virtual_hosts:
            - { name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: c` + routeAction + ` } }]` + vhost + ` }
          http_filters:` + filters + `
          - name: router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: c
    connect_timeout: 1s
    load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [` + strings.Join(eps, ", ") + `] }] }
`
}

// logFile is the file the proxy's access log appends to.
type logFile struct{ file string }

func (a *logFile) path(t *testing.T) string {
	a.file = t.TempDir() + "/access.log"
	return a.file
}

// lines waits for n access log lines and returns them.
func (a *logFile) lines(t *testing.T, n int) []string {
	t.Helper()
	var ls []string
	pollUntil(t, fmt.Sprintf("%d access log lines", n), func() bool {
		data, _ := os.ReadFile(a.file)
		ls = strings.Split(strings.TrimSpace(string(data)), "\n")
		return len(data) > 0 && len(ls) >= n
	})
	return ls
}

// scripted is an upstream that answers its n-th request (from 1) with
// answer(n, w, r); it records the request bodies.
type scripted struct {
	n        atomic.Int64
	mu       sync.Mutex
	bodies   []string
	attempts []string // the x-envoy-attempt-count each request carried
	answer   func(n int64, w http.ResponseWriter, r *http.Request)
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.n.Add(1)
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.attempts = append(s.attempts, r.Header.Get("x-envoy-attempt-count"))
	s.mu.Unlock()
	s.answer(n, w, r)
}

func statusThenOK(codes ...int) func(int64, http.ResponseWriter, *http.Request) {
	return func(n int64, w http.ResponseWriter, _ *http.Request) {
		if int(n) <= len(codes) {
			w.WriteHeader(codes[n-1])
			_, _ = io.WriteString(w, fmt.Sprintf("attempt %d failed", n))
			return
		}
		_, _ = io.WriteString(w, fmt.Sprintf("attempt %d ok", n))
	}
}

func doReq(t *testing.T, srv *Server, method, body string) (int, string, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+srv.ListenerAddr("main").String()+"/x", strings.NewReader(body))
	start := time.Now()
	resp, err := (&http.Client{Timeout: ioTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), time.Since(start)
}

func clusterCounter(srv *Server, name string) uint64 {
	return srv.clusters.Cluster("c").Stats().Counters()[name]
}

// TestRetryPolicy: the router sends a request again on the conditions of
// retry_on, up to num_retries, with the same body, and gives the client the
// last attempt's response; other failures are not retried.
func TestRetryPolicy(t *testing.T) {
	cases := []struct {
		name        string
		policy      string
		codes       []int // statuses of the first attempts; then 200
		method      string
		wantStatus  int
		wantBody    string
		wantUpReqs  int64
		wantRetries uint64
		wantLimit   uint64
	}{
		{name: "5xx then ok", policy: `retry_on: 5xx`, codes: []int{503}, wantStatus: 200, wantBody: "attempt 2 ok", wantUpReqs: 2, wantRetries: 1},
		{name: "num_retries exhausted", policy: `retry_on: 5xx, num_retries: 2`, codes: []int{500, 502, 503, 504}, wantStatus: 503, wantBody: "attempt 3 failed", wantUpReqs: 3, wantRetries: 2, wantLimit: 1},
		{name: "gateway-error skips 500", policy: `retry_on: gateway-error`, codes: []int{500}, wantStatus: 500, wantBody: "attempt 1 failed", wantUpReqs: 1},
		{name: "gateway-error retries 504", policy: `retry_on: gateway-error`, codes: []int{504}, wantStatus: 200, wantBody: "attempt 2 ok", wantUpReqs: 2, wantRetries: 1},
		{name: "retriable-4xx", policy: `retry_on: retriable-4xx`, codes: []int{409}, wantStatus: 200, wantBody: "attempt 2 ok", wantUpReqs: 2, wantRetries: 1},
		{name: "retriable-status-codes", policy: `retry_on: "connect-failure,retriable-status-codes", retriable_status_codes: [418], num_retries: 3`, codes: []int{418, 418}, wantStatus: 200, wantBody: "attempt 3 ok", wantUpReqs: 3, wantRetries: 2},
		{name: "connect-failure does not retry a 503", policy: `retry_on: connect-failure`, codes: []int{503}, wantStatus: 503, wantBody: "attempt 1 failed", wantUpReqs: 1},
		{name: "unknown conditions are ignored", policy: `retry_on: "no-such-thing,5xx"`, codes: []int{503}, wantStatus: 200, wantBody: "attempt 2 ok", wantUpReqs: 2, wantRetries: 1},
		{name: "a POST body is sent again", policy: `retry_on: 5xx`, codes: []int{503}, method: "POST", wantStatus: 200, wantBody: "attempt 2 ok", wantUpReqs: 2, wantRetries: 1},
		{name: "no policy", codes: []int{503}, wantStatus: 503, wantBody: "attempt 1 failed", wantUpReqs: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up := &scripted{answer: statusThenOK(c.codes...)}
			addr, _ := startH1Upstream(t, up)
			action := ""
			if c.policy != "" {
				action = "retry_policy: { " + c.policy + ", retry_back_off: { base_interval: 0.001s } }"
			}
			srv, _ := startRetryProxy(t, []string{addr}, action, "")
			method, body := "GET", ""
			if c.method != "" {
				method, body = c.method, "the request body"
			}
			status, got, _ := doReq(t, srv, method, body)
			if status != c.wantStatus || got != c.wantBody {
				t.Errorf("got %d %q, want %d %q", status, got, c.wantStatus, c.wantBody)
			}
			if n := up.n.Load(); n != c.wantUpReqs {
				t.Errorf("upstream got %d requests, want %d", n, c.wantUpReqs)
			}
			up.mu.Lock()
			for i, b := range up.bodies {
				if b != body {
					t.Errorf("attempt %d body %q, want %q", i+1, b, body)
				}
			}
			up.mu.Unlock()
			if n := clusterCounter(srv, "upstream_rq_retry"); n != c.wantRetries {
				t.Errorf("upstream_rq_retry = %d, want %d", n, c.wantRetries)
			}
			if n := clusterCounter(srv, "upstream_rq_retry_limit_exceeded"); n != c.wantLimit {
				t.Errorf("upstream_rq_retry_limit_exceeded = %d, want %d", n, c.wantLimit)
			}
			wantSuccess := uint64(0)
			if c.wantRetries > 0 && c.wantLimit == 0 {
				wantSuccess = 1
			}
			if n := clusterCounter(srv, "upstream_rq_retry_success"); n != wantSuccess {
				t.Errorf("upstream_rq_retry_success = %d, want %d", n, wantSuccess)
			}
		})
	}
}

// TestRetryVirtualHostPolicy: a virtual host's retry_policy applies to its
// routes that have none; a route's own policy replaces it.
func TestRetryVirtualHostPolicy(t *testing.T) {
	up := &scripted{answer: statusThenOK(503)}
	addr, _ := startH1Upstream(t, up)
	srv, _ := startRetryProxy(t, []string{addr}, "", "retry_policy: { retry_on: 5xx }")
	if status, body, _ := doReq(t, srv, "GET", ""); status != 200 || body != "attempt 2 ok" {
		t.Errorf("virtual host policy: got %d %q", status, body)
	}
	up2 := &scripted{answer: statusThenOK(503)}
	addr2, _ := startH1Upstream(t, up2)
	srv2, _ := startRetryProxy(t, []string{addr2}, "retry_policy: { retry_on: connect-failure }", "retry_policy: { retry_on: 5xx }")
	if status, _, _ := doReq(t, srv2, "GET", ""); status != 503 || up2.n.Load() != 1 {
		t.Errorf("route policy over the virtual host's: got %d after %d attempts, want 503 after 1", status, up2.n.Load())
	}
}

// TestRetryConnectFailure: an endpoint that refuses connections is retried
// on another one: the weighted round robin picks the refusing endpoint ten
// times in eleven, and previous_hosts makes it pick again (up to 20 times)
// until it gets the other one.
func TestRetryConnectFailure(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: connections are refused
	up := &scripted{answer: statusThenOK()}
	addr, _ := startH1Upstream(t, up)
	srv, logs := startRetryProxy(t, []string{deadAddr + "*10", addr}, `retry_policy: { retry_on: connect-failure, num_retries: 1,
        retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts, typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate } }],
        host_selection_retry_max_attempts: 20, retry_back_off: { base_interval: 0.001s } }`, "")
	for i := range 4 {
		if status, _, _ := doReq(t, srv, "GET", ""); status != 200 {
			t.Fatalf("request %d: %d, want 200 (the refusing endpoint is retried elsewhere)", i, status)
		}
	}
	for i, l := range logs.lines(t, 4) {
		if f := strings.Fields(l); len(f) < 3 || f[2] != addr {
			t.Errorf("request %d served by %q, want %s", i, l, addr)
		}
	}
	if n := clusterCounter(srv, "upstream_cx_connect_fail"); n == 0 {
		t.Error("no connection to the dead endpoint was tried")
	}
}

// TestRetryPerTryTimeout: an attempt without response headers within
// per_try_timeout is abandoned and retried; when no attempt answers in time
// the client gets Envoy's 504 with details upstream_per_try_timeout, long
// before the route timeout.
func TestRetryPerTryTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := func(hangs int64) func(int64, http.ResponseWriter, *http.Request) {
		return func(n int64, w http.ResponseWriter, r *http.Request) {
			if n <= hangs {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			_, _ = io.WriteString(w, fmt.Sprintf("attempt %d ok", n))
		}
	}
	up := &scripted{answer: hang(1)}
	addr, _ := startH1Upstream(t, up)
	srv, _ := startRetryProxy(t, []string{addr}, `timeout: 10s, retry_policy: { retry_on: 5xx, per_try_timeout: 0.1s, retry_back_off: { base_interval: 0.001s } }`, "")
	status, body, took := doReq(t, srv, "GET", "")
	if status != 200 || body != "attempt 2 ok" {
		t.Errorf("got %d %q, want the second attempt's answer", status, body)
	}
	if took > 5*time.Second {
		t.Errorf("took %v: the per-try timeout did not end the first attempt", took)
	}
	if n := clusterCounter(srv, "upstream_rq_per_try_timeout"); n != 1 {
		t.Errorf("upstream_rq_per_try_timeout = %d, want 1", n)
	}

	up2 := &scripted{answer: hang(100)}
	addr2, _ := startH1Upstream(t, up2)
	srv2, logs := startRetryProxy(t, []string{addr2}, `timeout: 10s, retry_policy: { retry_on: 5xx, num_retries: 2, per_try_timeout: 0.1s, retry_back_off: { base_interval: 0.001s } }`, "")
	status, body, took = doReq(t, srv2, "GET", "")
	if status != 504 || body != "upstream request timeout" {
		t.Errorf("got %d %q, want 504 upstream request timeout", status, body)
	}
	if n := up2.n.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	if took > 5*time.Second {
		t.Errorf("took %v, want about 3 per-try timeouts", took)
	}
	if l := logs.lines(t, 1)[0]; !strings.HasPrefix(l, "504 upstream_per_try_timeout ") || !strings.HasSuffix(l, " UT,URX") {
		t.Errorf("access log %q, want 504 upstream_per_try_timeout, flags UT,URX", l)
	}
}

// TestRetryRouteTimeoutBoundsRetries: the route timeout covers every
// attempt and back-off: retries stop when it passes (504, details
// upstream_response_timeout).
func TestRetryRouteTimeoutBoundsRetries(t *testing.T) {
	up := &scripted{answer: func(n int64, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(40 * time.Millisecond)
		w.WriteHeader(503)
	}}
	addr, _ := startH1Upstream(t, up)
	srv, logs := startRetryProxy(t, []string{addr}, `timeout: 0.3s, retry_policy: { retry_on: 5xx, num_retries: 100, retry_back_off: { base_interval: 0.01s, max_interval: 0.02s } }`, "")
	status, _, took := doReq(t, srv, "GET", "")
	if status != 504 {
		t.Errorf("got %d, want 504 when the route timeout ends the retries", status)
	}
	if took > 5*time.Second {
		t.Errorf("took %v: retries went on past the route timeout", took)
	}
	if n := up.n.Load(); n < 2 || n > 8 {
		t.Errorf("%d attempts in a 0.3s route timeout of 40ms attempts", n)
	}
	if l := logs.lines(t, 1)[0]; !strings.HasPrefix(l, "504 upstream_response_timeout ") || !strings.HasSuffix(l, " UT") {
		t.Errorf("access log %q", l)
	}
}

// TestRetryNotAfterOverloaded: a response with x-envoy-overloaded is not
// retried.
func TestRetryNotAfterOverloaded(t *testing.T) {
	up := &scripted{answer: func(n int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-envoy-overloaded", "true")
		w.WriteHeader(503)
	}}
	addr, _ := startH1Upstream(t, up)
	srv, _ := startRetryProxy(t, []string{addr}, `retry_policy: { retry_on: 5xx }`, "")
	if status, _, _ := doReq(t, srv, "GET", ""); status != 503 || up.n.Load() != 1 {
		t.Errorf("got %d after %d attempts, want 503 after 1", status, up.n.Load())
	}
}

// TestRetryPolicyConfigErrors: what wasmesh does not implement of a retry
// policy is refused with the field named.
func TestRetryPolicyConfigErrors(t *testing.T) {
	cases := []struct{ policy, want string }{
		{`retry_on: 5xx, retry_priority: { name: envoy.retry_priorities.previous_priorities, typed_config: { "@type": type.googleapis.com/google.protobuf.Struct } }`, "retry_priority"},
		{`retry_on: 5xx, retry_back_off: { base_interval: 0.1s, max_interval: 0.01s }`, "retry_policy.retry_back_off.max_interval"},
		{`retry_on: 5xx, retriable_headers: [{ name: x-retry }]`, "retriable_headers"},
	}
	for _, c := range cases {
		cfg, err := envoyconfig.Parse([]byte(routeProxyYAML([]string{"127.0.0.1:1"}, "retry_policy: { "+c.policy+" }", "", "", "")), "retry.yaml")
		if err == nil {
			var srv *Server
			srv, err = New(context.Background(), cfg, Options{Concurrency: 1, Logger: NewLogger(io.Discard, host.LogInfo, "")})
			if err == nil {
				_ = srv.Shutdown(context.Background())
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s", c.policy, err, c.want)
		}
	}
}

// TestResponseFlags: %RESPONSE_FLAGS% names why a request failed, as in
// Envoy's access logs.
func TestResponseFlags(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	garbage := startRawUpstream(t, func(_ int64, c net.Conn, br *bufio.Reader) {
		_ = readRawHead(br)
		_, _ = io.WriteString(c, "NOT HTTP\r\n\r\n")
	})
	failing := &scripted{answer: statusThenOK(503, 503, 503)}
	failingAddr, _ := startH1Upstream(t, failing)
	ok := &scripted{answer: statusThenOK()}
	okAddr, _ := startH1Upstream(t, ok)
	for _, c := range []struct {
		name, endpoint, action string
		want                   string // status and flags
	}{
		{"ok", okAddr, "", "200 -"},
		{"connect failure", deadAddr, "", "503 UF"},
		{"upstream protocol error", garbage.addr(), "", "503 UPE"},
		{"retries exhausted on responses", failingAddr, "retry_policy: { retry_on: 5xx, num_retries: 1, retry_back_off: { base_interval: 0.001s } }", "503 URX"},
		{"retries exhausted on connect failures", deadAddr, "retry_policy: { retry_on: connect-failure, retry_back_off: { base_interval: 0.001s } }", "503 UF,URX"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, logs := startRetryProxy(t, []string{c.endpoint}, c.action, "")
			doReq(t, srv, "GET", "")
			f := strings.Fields(logs.lines(t, 1)[0])
			if got := f[0] + " " + f[len(f)-1]; got != c.want {
				t.Errorf("logged %q, want status and flags %q", strings.Join(f, " "), c.want)
			}
		})
	}
}

// TestRetryAttemptCount: the virtual host's include_request_attempt_count
// numbers each upstream attempt in x-envoy-attempt-count, and
// include_attempt_count_in_response tells the client how many were made.
func TestRetryAttemptCount(t *testing.T) {
	up := &scripted{answer: statusThenOK(503, 503)}
	addr, _ := startH1Upstream(t, up)
	srv, _ := startRetryProxy(t, []string{addr}, "retry_policy: { retry_on: 5xx, num_retries: 3, retry_back_off: { base_interval: 0.001s } }",
		"include_request_attempt_count: true, include_attempt_count_in_response: true")
	resp, err := http.Get("http://" + srv.ListenerAddr("main").String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("x-envoy-attempt-count") != "3" {
		t.Errorf("got %d with x-envoy-attempt-count %q, want 200 and 3", resp.StatusCode, resp.Header.Get("x-envoy-attempt-count"))
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if got := strings.Join(up.attempts, ","); got != "1,2,3" {
		t.Errorf("upstream saw attempt counts %q, want 1,2,3", got)
	}
}
