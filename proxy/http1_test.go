package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/tlsconf/tlstest"
)

// ioTimeout bounds every read and write of these tests so that a hang
// fails a test instead of the suite; no assertion depends on it.
const ioTimeout = 10 * time.Second

// upstreamListener counts the connections it accepted.
type upstreamListener struct {
	net.Listener
	n atomic.Int64
}

func (l *upstreamListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// startH1Upstream serves h on loopback and counts the connections it
// accepted.
func startH1Upstream(t *testing.T, h http.Handler) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &upstreamListener{Listener: ln}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(cl) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), &cl.n
}

// echoUpstream answers with what it received: x-uri, x-method, x-host,
// x-body-len, x-body and x-trailer (the request trailer x-t).
func echoUpstream(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := w.Header()
	h.Set("X-Uri", r.URL.RequestURI())
	h.Set("X-Method", r.Method)
	h.Set("X-Host", r.Host)
	h.Set("X-Body-Len", strconv.Itoa(len(body)))
	h.Set("X-Body", string(body))
	h.Set("X-Trailer", r.Trailer.Get("X-T"))
	h.Set("X-Fwd-Proto", r.Header.Get("X-Forwarded-Proto"))
	switch r.URL.Path {
	case "/chunked": // a body of unknown length: net/http sends it chunked
		_, _ = io.WriteString(w, "part1-")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part2")
	case "/204":
		w.WriteHeader(http.StatusNoContent)
	case "/sized":
		h.Set("Content-Length", "11")
		if r.Method != "HEAD" {
			_, _ = io.WriteString(w, "hello world")
		}
	default:
		_, _ = io.WriteString(w, "ok:"+r.URL.Path)
	}
}

// rawUpstream is a TCP upstream whose bytes a test controls: handle runs
// for the n-th accepted connection (from 1). Connections are closed with
// the test.
type rawUpstream struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

func startRawUpstream(t *testing.T, handle func(n int64, c net.Conn, br *bufio.Reader)) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := u.accepted.Add(1)
			u.mu.Lock()
			u.conns = append(u.conns, c)
			u.mu.Unlock()
			_ = c.SetDeadline(time.Now().Add(ioTimeout))
			go handle(n, c, bufio.NewReader(c))
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		u.mu.Lock()
		defer u.mu.Unlock()
		for _, c := range u.conns {
			c.Close()
		}
	})
	return u
}

func (u *rawUpstream) addr() string { return u.ln.Addr().String() }

// readRawHead reads a message head up to its empty line.
func readRawHead(br *bufio.Reader) error {
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if l == "\r\n" {
			return nil
		}
	}
}

// testRoute routes a path prefix to a cluster of one endpoint.
type testRoute struct {
	prefix, addr, timeout string
}

// startH1Proxy runs a Server with one HTTP listener ("main") on loopback
// whose routes go, in order, to a cluster per route.
func startH1Proxy(t *testing.T, routes ...testRoute) *Server {
	t.Helper()
	return startH1ProxyWith(t, "", time.Minute, routes...)
}

// startH1ProxyWith is startH1Proxy with http filters (YAML list items
// before the router) and a drain timeout.
func startH1ProxyWith(t *testing.T, filters string, drain time.Duration, routes ...testRoute) *Server {
	t.Helper()
	return startH1ProxyTLS(t, filters, drain, "", routes...)
}

// startH1ProxyTLS is startH1ProxyWith with a transport_socket (YAML flow
// mapping) on the filter chain.
func startH1ProxyTLS(t *testing.T, filters string, drain time.Duration, transportSocket string, routes ...testRoute) *Server {
	t.Helper()
	if transportSocket != "" {
		transportSocket = "transport_socket: " + transportSocket + "\n      "
	}
	var rs, cs strings.Builder
	for i, r := range routes {
		to := ""
		if r.timeout != "" {
			to = ", timeout: " + r.timeout
		}
		host, port, _ := net.SplitHostPort(r.addr)
		fmt.Fprintf(&rs, "\n              - { match: { prefix: %q }, route: { cluster: c%d%s } }", r.prefix, i, to)
		fmt.Fprintf(&cs, `
  - name: c%d
    load_assignment: { cluster_name: c%d, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: %s, port_value: %s } } } }] }] }`,
			i, i, host, port)
	}
	cfg, err := envoyconfig.Parse([]byte(`
static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - `+transportSocket+`filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: t
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:`+rs.String()+`
          http_filters:`+filters+`
          - name: router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:`+cs.String()+"\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, Options{Concurrency: 1, DrainTimeout: drain, Logger: NewLogger(io.Discard, host.LogInfo, "")})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv
}

// rawClient is a downstream connection written and read byte by byte.
type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, srv *Server) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", srv.ListenerAddr("main").String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawClient) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// rawResponse is a response as it was on the wire.
type rawResponse struct {
	statusLine string
	lines      []string // header lines, as sent
	header     map[string]string
	body       string
	chunked    bool
	trailers   map[string]string
}

func (r *rawResponse) status() int {
	f := strings.Fields(r.statusLine)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// read reads one response (a 1xx one too); head says the request was HEAD.
func (r *rawClient) read(head bool) *rawResponse {
	r.t.Helper()
	resp := &rawResponse{header: map[string]string{}, trailers: map[string]string{}}
	line := func() string {
		l, err := r.br.ReadString('\n')
		if err != nil {
			r.t.Fatalf("reading a response: %v (so far %q)", err, l)
		}
		if !strings.HasSuffix(l, "\r\n") {
			r.t.Fatalf("line %q does not end with CRLF", l)
		}
		return strings.TrimSuffix(l, "\r\n")
	}
	fields := func(into map[string]string, lines *[]string) {
		for {
			l := line()
			if l == "" {
				return
			}
			if lines != nil {
				*lines = append(*lines, l)
			}
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				r.t.Fatalf("malformed header line %q", l)
			}
			k = strings.ToLower(k)
			if _, dup := into[k]; !dup {
				into[k] = strings.TrimSpace(v)
			}
		}
	}
	resp.statusLine = line()
	fields(resp.header, &resp.lines)
	code := resp.status()
	switch {
	case head || code < 200 || code == 204 || code == 304:
	case resp.header["transfer-encoding"] == "chunked":
		resp.chunked = true
		var body strings.Builder
		for {
			size, err := strconv.ParseInt(line(), 16, 64)
			if err != nil {
				r.t.Fatalf("chunk size: %v", err)
			}
			if size == 0 {
				break
			}
			buf := make([]byte, size)
			if _, err := io.ReadFull(r.br, buf); err != nil {
				r.t.Fatalf("chunk: %v", err)
			}
			body.Write(buf)
			if l := line(); l != "" {
				r.t.Fatalf("chunk data longer than its size: %q", l)
			}
		}
		fields(resp.trailers, nil)
		resp.body = body.String()
	case resp.header["content-length"] != "":
		n, err := strconv.Atoi(resp.header["content-length"])
		if err != nil {
			r.t.Fatalf("content-length %q", resp.header["content-length"])
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.br, buf); err != nil {
			r.t.Fatalf("body: %v", err)
		}
		resp.body = string(buf)
	default:
		b, err := io.ReadAll(r.br)
		if err != nil {
			r.t.Fatalf("body until close: %v", err)
		}
		resp.body = string(b)
	}
	return resp
}

// expectClosed checks that the proxy closed the connection: the next read
// sees the end of the stream (or a reset), not data and not a timeout.
func (r *rawClient) expectClosed() {
	r.t.Helper()
	b, err := r.br.ReadByte()
	if err == nil {
		rest, _ := r.br.Peek(r.br.Buffered())
		r.t.Fatalf("connection still open: read %q%q", b, rest)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		r.t.Fatalf("connection left open: %v", err)
	}
}

func getReq(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: a.example\r\n\r\n" }

func TestHTTP1KeepAlive(t *testing.T) {
	up, conns := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	for i := range 3 {
		path := fmt.Sprintf("/r%d", i)
		c.send(getReq(path))
		resp := c.read(false)
		if resp.status() != 200 || resp.body != "ok:"+path || resp.header["x-uri"] != path {
			t.Fatalf("request %d: %q %v %q", i, resp.statusLine, resp.header, resp.body)
		}
		if v, ok := resp.header["connection"]; ok {
			t.Errorf("request %d: connection: %s on a kept-alive connection", i, v)
		}
		if resp.header["x-fwd-proto"] != "http" || resp.header["x-host"] != "a.example" {
			t.Errorf("request %d: upstream saw x-forwarded-proto %q host %q", i, resp.header["x-fwd-proto"], resp.header["x-host"])
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("upstream accepted %d connections for 3 sequential requests, want 1", n)
	}
	if n := srv.stats.Counter("http.t.downstream_cx_total").Load(); n != 1 {
		t.Errorf("downstream_cx_total %d", n)
	}
	// The exchange counts its status after the response went out.
	pollUntil(t, "downstream_rq_2xx to reach 3", func() bool { return srv.stats.Counter("http.t.downstream_rq_2xx").Load() == 3 })
}

func TestHTTP1Pipelining(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send(getReq("/first") + "POST /second HTTP/1.1\r\nHost: a.example\r\nContent-Length: 4\r\n\r\nbody" + getReq("/third"))
	for _, want := range []string{"/first", "/second", "/third"} {
		resp := c.read(false)
		if resp.status() != 200 || resp.header["x-uri"] != want || resp.body != "ok:"+want {
			t.Fatalf("want %s: %q %v %q", want, resp.statusLine, resp.header, resp.body)
		}
	}
	// The connection still serves requests.
	c.send(getReq("/fourth"))
	if resp := c.read(false); resp.header["x-uri"] != "/fourth" {
		t.Errorf("after the pipeline: %q %v", resp.statusLine, resp.header)
	}
	// A request after one with "connection: close" is not served.
	c = dialRaw(t, srv)
	c.send("GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + getReq("/ignored"))
	if resp := c.read(false); resp.header["x-uri"] != "/last" || resp.header["connection"] != "close" {
		t.Errorf("pipelined close: %q %q", resp.statusLine, resp.lines)
	}
	c.expectClosed()
}

func TestHTTP1ConnectionClose(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	for _, tc := range []struct {
		name, req, statusLine string
		close                 bool
	}{
		{"http/1.0", "GET /ten HTTP/1.0\r\nHost: a.example\r\n\r\n", "HTTP/1.0 200 OK", true},
		{"http/1.0 without host", "GET /ten HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK", true},
		{"http/1.1 connection: close", "GET /close HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK", true},
		{"http/1.1 connection: Close among tokens", "GET /close HTTP/1.1\r\nHost: a.example\r\nConnection: TE, Close\r\n\r\n", "HTTP/1.1 200 OK", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			c.send(tc.req)
			resp := c.read(false)
			if resp.statusLine != tc.statusLine || !strings.HasPrefix(resp.body, "ok:") {
				t.Fatalf("%q %v %q", resp.statusLine, resp.header, resp.body)
			}
			if resp.header["connection"] != "close" {
				t.Errorf("connection header %q, want close", resp.header["connection"])
			}
			c.expectClosed()
		})
	}
}

func TestHTTP1CodecErrors(t *testing.T) {
	up, conns := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	var many strings.Builder
	many.WriteString("GET / HTTP/1.1\r\nHost: a.example\r\n")
	for i := range 100 { // with host: 101 header lines
		fmt.Fprintf(&many, "X-H%d: v\r\n", i)
	}
	many.WriteString("\r\n")
	for _, tc := range []struct {
		name, req string
		status    int
		body      string
	}{
		{"header line without colon", "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", 400, "Bad Request"},
		{"transfer-encoding and content-length", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400, "Bad Request"},
		{"malformed request line", "GET /\r\n\r\n", 400, "Bad Request"},
		{"http/1.1 without host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, "Bad Request"},
		{"101 header lines", many.String(), 431, "Request Header Fields Too Large"},
		{"unsupported transfer-encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Not Implemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			c.send(tc.req)
			resp := c.read(false)
			if resp.status() != tc.status || resp.body != tc.body || !strings.HasPrefix(resp.statusLine, "HTTP/1.1 ") {
				t.Errorf("%q %q, want %d %q", resp.statusLine, resp.body, tc.status, tc.body)
			}
			if resp.header["connection"] != "close" || resp.header["server"] != "envoy" || resp.header["content-length"] != strconv.Itoa(len(tc.body)) {
				t.Errorf("headers %q", resp.lines)
			}
			c.expectClosed()
		})
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("requests the codec refused reached the upstream (%d connections)", n)
	}
	// 100 header lines are fine.
	c := dialRaw(t, srv)
	c.send(strings.Replace(many.String(), "X-H0: v\r\n", "", 1))
	if resp := c.read(false); resp.status() != 200 {
		t.Errorf("100 header lines: %q", resp.statusLine)
	}
}

func TestHTTP1RequestBodies(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	for _, tc := range []struct {
		name, req, body, trailer string
	}{
		{"content-length", "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", "hello world", ""},
		{"chunked with a trailer",
			"POST /chunked-req HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n" +
				"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: trailer-value\r\n\r\n", "hello world", "trailer-value"},
		{"chunked without trailers", "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc", ""},
		{"empty chunked", "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			c.send(tc.req)
			resp := c.read(false)
			if resp.status() != 200 || resp.header["x-body"] != tc.body || resp.header["x-body-len"] != strconv.Itoa(len(tc.body)) || resp.header["x-trailer"] != tc.trailer {
				t.Errorf("%q: upstream saw body %q (%s bytes), trailer %q; want %q, %q",
					resp.statusLine, resp.header["x-body"], resp.header["x-body-len"], resp.header["x-trailer"], tc.body, tc.trailer)
			}
			// The connection serves the next request.
			c.send(getReq("/next"))
			if resp := c.read(false); resp.header["x-uri"] != "/next" {
				t.Errorf("next request: %q %v", resp.statusLine, resp.header)
			}
		})
	}
}

func TestHTTP1ExpectContinue(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n")
	// The client sends the body only after the interim response.
	interim := c.read(false)
	if interim.statusLine != "HTTP/1.1 100 Continue" || len(interim.lines) != 0 {
		t.Fatalf("interim response %q %q", interim.statusLine, interim.lines)
	}
	c.send("payload")
	resp := c.read(false)
	if resp.status() != 200 || resp.header["x-body"] != "payload" {
		t.Fatalf("final response %q, upstream saw %q", resp.statusLine, resp.header["x-body"])
	}
	if _, ok := resp.header["expect"]; ok {
		t.Error("expect header in the response")
	}
	// Without a body there is nothing to continue: no interim response.
	c.send("GET /noexpect HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")
	if resp := c.read(false); resp.status() != 200 || resp.header["x-uri"] != "/noexpect" {
		t.Errorf("bodiless request with expect: %q %v", resp.statusLine, resp.header)
	}
}

func TestHTTP1ResponseWireFormat(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send(getReq("/chunked"))
	resp := c.read(false)
	if resp.statusLine != "HTTP/1.1 200 OK" {
		t.Fatalf("status line %q", resp.statusLine)
	}
	for _, l := range resp.lines {
		name, _, _ := strings.Cut(l, ":")
		if name != strings.ToLower(name) {
			t.Errorf("header name not lower-case on the wire: %q", l)
		}
	}
	if resp.header["server"] != "envoy" {
		t.Errorf("server %q", resp.header["server"])
	}
	if d, err := http.ParseTime(resp.header["date"]); err != nil || time.Since(d) > time.Hour {
		t.Errorf("date %q: %v", resp.header["date"], err)
	}
	if resp.header["x-uri"] != "/chunked" || resp.header["content-type"] == "" {
		t.Errorf("upstream headers not forwarded: %q", resp.lines)
	}
	if !resp.chunked || resp.body != "part1-part2" {
		t.Errorf("unknown-length body: chunked %v, body %q (headers %q)", resp.chunked, resp.body, resp.lines)
	}
	if _, ok := resp.header["content-length"]; ok {
		t.Errorf("content-length with a chunked body: %q", resp.lines)
	}
	// A body of known length keeps it, and the connection stays usable.
	c.send(getReq("/sized"))
	resp = c.read(false)
	if resp.chunked || resp.header["content-length"] != "11" || resp.body != "hello world" {
		t.Errorf("sized body: %q %q", resp.lines, resp.body)
	}
	// An HTTP/1.0 client cannot read chunks: the body ends with the
	// connection.
	c10 := dialRaw(t, srv)
	c10.send("GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	resp = c10.read(false)
	if resp.chunked || resp.body != "part1-part2" || resp.header["connection"] != "close" {
		t.Errorf("HTTP/1.0 unknown-length body: %q %q", resp.lines, resp.body)
	}
}

func TestHTTP1Head(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send("HEAD /sized HTTP/1.1\r\nHost: a\r\n\r\n")
	resp := c.read(true)
	if resp.status() != 200 || resp.header["content-length"] != "11" || resp.header["x-method"] != "HEAD" {
		t.Fatalf("HEAD: %q %q", resp.statusLine, resp.lines)
	}
	// No body followed the head: the next response starts right away.
	c.send(getReq("/sized"))
	resp = c.read(false)
	if resp.statusLine != "HTTP/1.1 200 OK" || resp.body != "hello world" || resp.header["x-method"] != "GET" {
		t.Fatalf("GET after HEAD: %q %q %q", resp.statusLine, resp.lines, resp.body)
	}
	// A HEAD to a resource of unknown length: no body, no chunked framing.
	c.send("HEAD /chunked HTTP/1.1\r\nHost: a\r\n\r\n")
	resp = c.read(true)
	if resp.status() != 200 || resp.header["x-method"] != "HEAD" {
		t.Fatalf("HEAD of unknown length: %q %q", resp.statusLine, resp.lines)
	}
	c.send(getReq("/after"))
	if resp := c.read(false); resp.header["x-uri"] != "/after" {
		t.Fatalf("GET after the second HEAD: %q %q", resp.statusLine, resp.lines)
	}
}

// h2cClient speaks HTTP/2 with prior knowledge over plain TCP.
func h2cClient(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func TestHTTP1H2CPriorKnowledge(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	client := h2cClient(t, ioTimeout)
	for _, path := range []string{"/h2", "/chunked"} {
		resp, err := client.Get("http://" + srv.ListenerAddr("main").String() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || resp.ProtoMajor != 2 || resp.Header.Get("x-uri") != path || resp.Header.Get("server") != "envoy" {
			t.Errorf("%s: %v %d HTTP/%d %v %q", path, err, resp.StatusCode, resp.ProtoMajor, resp.Header, body)
		}
		if want := map[string]string{"/h2": "ok:/h2", "/chunked": "part1-part2"}[path]; string(body) != want {
			t.Errorf("%s: body %q, want %q", path, body, want)
		}
	}
	// The same listener still speaks HTTP/1.1.
	c := dialRaw(t, srv)
	c.send(getReq("/h1"))
	if resp := c.read(false); resp.statusLine != "HTTP/1.1 200 OK" || resp.body != "ok:/h1" {
		t.Errorf("HTTP/1.1 after h2c: %q %q", resp.statusLine, resp.body)
	}
}

// A 204 carries no content-length on either protocol (RFC 9110 §8.6), even
// though the proxy knows the body is empty.
func TestNoContentLengthOn204(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send(getReq("/204"))
	resp := c.read(true)
	if resp.status() != 204 {
		t.Fatalf("HTTP/1.1: %q %q", resp.statusLine, resp.lines)
	}
	if v, ok := resp.header["content-length"]; ok {
		t.Errorf("HTTP/1.1 204 has content-length %q", v)
	}
	h2, err := h2cClient(t, ioTimeout).Get("http://" + srv.ListenerAddr("main").String() + "/204")
	if err != nil {
		t.Fatal(err)
	}
	h2.Body.Close()
	if h2.StatusCode != 204 || h2.ProtoMajor != 2 {
		t.Fatalf("HTTP/2: %d HTTP/%d", h2.StatusCode, h2.ProtoMajor)
	}
	if v, ok := h2.Header["Content-Length"]; ok {
		t.Errorf("HTTP/2 204 has content-length %q", v)
	}
}

// pollUntil polls cond, for state a test cannot observe on the wire.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHTTP1Shutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	up, _ := startH1Upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			close(started)
			<-release
		}
		echoUpstream(w, r)
	}))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	hl := srv.listeners[0].http

	idle := dialRaw(t, srv)
	idle.send(getReq("/one"))
	if resp := idle.read(false); resp.status() != 200 {
		t.Fatalf("%q", resp.statusLine)
	}
	busy := dialRaw(t, srv)
	busy.send(getReq("/block"))
	<-started
	// Shutdown tells idle connections from busy ones by a flag the
	// connection sets once it waits for the next request.
	pollUntil(t, "one idle and one busy connection", func() bool {
		hl.mu.Lock()
		defer hl.mu.Unlock()
		n := 0
		for c := range hl.conns {
			if c.idle.Load() {
				n++
			}
		}
		return len(hl.conns) == 2 && n == 1
	})

	done := make(chan struct{})
	go func() { _ = srv.Shutdown(context.Background()); close(done) }()
	idle.expectClosed() // the idle connection closes now
	select {
	case <-done:
		t.Fatal("Shutdown returned while a request was in flight")
	default:
	}
	close(release)
	resp := busy.read(false)
	if resp.status() != 200 || resp.body != "ok:/block" || resp.header["connection"] != "close" {
		t.Errorf("in-flight request: %q %q %q", resp.statusLine, resp.lines, resp.body)
	}
	busy.expectClosed()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Shutdown did not return after the last request")
	}
	if c, err := net.Dial("tcp", srv.ListenerAddr("main").String()); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after Shutdown")
	}
}

// TestHTTP1ShutdownIdleOnly: with only idle connections, Shutdown returns
// at once instead of waiting for the drain timeout (a minute here).
func TestHTTP1ShutdownIdleOnly(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	hl := srv.listeners[0].http
	c := dialRaw(t, srv)
	c.send(getReq("/one"))
	if resp := c.read(false); resp.status() != 200 {
		t.Fatalf("%q", resp.statusLine)
	}
	pollUntil(t, "the connection to idle", func() bool {
		hl.mu.Lock()
		defer hl.mu.Unlock()
		for hc := range hl.conns {
			return hc.idle.Load()
		}
		return false
	})
	done := make(chan struct{})
	go func() { _ = srv.Shutdown(context.Background()); close(done) }()
	c.expectClosed()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Shutdown waited with only an idle connection open")
	}
}

func TestHTTP1StaleUpstreamConnectionRetried(t *testing.T) {
	up := startRawUpstream(t, func(n int64, c net.Conn, br *bufio.Reader) {
		if n == 1 { // answers once, keep-alive, then closes while idle
			if readRawHead(br) == nil {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nfirst")
			}
			c.Close()
			return
		}
		for readRawHead(br) == nil {
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"); err != nil {
				return
			}
		}
	})
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up.addr()})
	c := dialRaw(t, srv)
	for _, want := range []string{"first", "second", "second"} {
		c.send(getReq("/"))
		if resp := c.read(false); resp.status() != 200 || resp.body != want {
			t.Fatalf("want %s: %q %q", want, resp.statusLine, resp.body)
		}
	}
	if n := up.accepted.Load(); n != 2 {
		t.Errorf("upstream accepted %d connections, want 2 (one stale, one retry)", n)
	}
}

func TestHTTP1RouteTimeout(t *testing.T) {
	never := startRawUpstream(t, func(_ int64, c net.Conn, br *bufio.Reader) {
		_ = readRawHead(br)
		_, _ = io.Copy(io.Discard, br) // reads, never answers
	})
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/slow", addr: never.addr(), timeout: "0.2s"}, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send(getReq("/slow"))
	resp := c.read(false)
	if resp.status() != 504 || resp.body != "upstream request timeout" || resp.header["content-type"] != "text/plain" || resp.header["content-length"] != "24" {
		t.Fatalf("%q %q %q", resp.statusLine, resp.lines, resp.body)
	}
	// A local reply keeps the connection.
	c.send(getReq("/fast"))
	if resp := c.read(false); resp.status() != 200 || resp.body != "ok:/fast" {
		t.Fatalf("after the timeout: %q %q", resp.statusLine, resp.body)
	}
	if n := srv.stats.Counter("http.t.downstream_rq_5xx").Load(); n != 1 {
		t.Errorf("downstream_rq_5xx %d", n)
	}
}

// recorderFilter is an http filter list item running the recorder
// fixture (host/testdata/recorder) with a plugin configuration.
func recorderFilter(t *testing.T, config string) string {
	t.Helper()
	file, err := filepath.Abs("../host/testdata/recorder/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: %q }
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: %q } } }`, config, file)
}

// TestHTTP1LocalReplyBeforeBody: a filter answers from the request
// headers, before the body was read. The body is skipped, so that the
// next request on the connection is read from where it starts.
func TestHTTP1LocalReplyBeforeBody(t *testing.T) {
	up, conns := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1ProxyWith(t, recorderFilter(t, "local_reply=proxy_on_request_headers"), time.Minute, testRoute{prefix: "/", addr: up})
	for _, tc := range []struct{ name, req string }{
		{"content-length", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 24\r\n\r\nGET /smuggled HTTP/1.1\r\n"},
		{"chunked", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n3\r\n/x \r\n0\r\nX-T: 1\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			c.send(tc.req + getReq("/next"))
			for _, what := range []string{"POST", "the next request"} {
				resp := c.read(false)
				if resp.status() != 403 || resp.body != "forbidden" || resp.header["x-recorder"] != "yes" {
					t.Fatalf("%s: %q %q %q", what, resp.statusLine, resp.lines, resp.body)
				}
			}
		})
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("denied requests reached the upstream (%d connections)", n)
	}
}

// TestHTTP1LocalReplyBeforeContinue: a client that waits for "100
// Continue" gets a final response instead (a filter denied the request
// from its headers). The proxy must not send "100 Continue" after that
// final response: it would be read as the next response.
func TestHTTP1LocalReplyBeforeContinue(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1ProxyWith(t, recorderFilter(t, "local_reply=proxy_on_request_headers"), time.Minute, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	resp := c.read(false)
	if resp.status() != 403 || resp.body != "forbidden" {
		t.Fatalf("%q %q %q", resp.statusLine, resp.lines, resp.body)
	}
	// The client may send the body anyway (RFC 9110 §10.1.1), then its
	// next request. Either the proxy closed the connection after the 403,
	// or it skips the body and answers the next request; an interim
	// response now is a protocol error.
	_, _ = io.WriteString(c.c, "hello"+getReq("/next"))
	if _, err := c.br.Peek(1); err != nil {
		return // closed: fine
	}
	resp = c.read(false)
	if resp.status() != 403 {
		t.Fatalf("after the final response, got %q", resp.statusLine)
	}
}

// TestHTTP1Upgrade: without upgrade_configs an upgrade is refused (403)
// before the upstream; an upgrade field without "Connection: upgrade" is
// not an upgrade and is not forwarded.
func TestHTTP1Upgrade(t *testing.T) {
	up, conns := startH1Upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upgrade", r.Header.Get("Upgrade"))
		echoUpstream(w, r)
	}))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	c.send("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	if resp := c.read(false); resp.status() != 403 {
		t.Fatalf("upgrade: %q %q", resp.statusLine, resp.lines)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the refused upgrade reached the upstream")
	}
	c = dialRaw(t, srv)
	c.send("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n")
	if resp := c.read(false); resp.status() != 200 || resp.header["x-upgrade"] != "" {
		t.Fatalf("upgrade field alone: %q %q", resp.statusLine, resp.lines)
	}
}

// TestHTTP1KeepAliveHTTP10: an HTTP/1.0 client asking for keep-alive
// keeps its connection only if the response says "connection:
// keep-alive" (RFC 9112 §9.3); Envoy sends it.
func TestHTTP1KeepAliveHTTP10(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1Proxy(t, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	for i := range 2 {
		c.send("GET /sized HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n")
		resp := c.read(false)
		if resp.statusLine != "HTTP/1.0 200 OK" || resp.body != "hello world" {
			t.Fatalf("request %d: %q %q %q", i, resp.statusLine, resp.lines, resp.body)
		}
		if !strings.EqualFold(resp.header["connection"], "keep-alive") {
			t.Fatalf("request %d: connection %q, want keep-alive (an HTTP/1.0 client closes otherwise)", i, resp.header["connection"])
		}
	}
}

// TestHTTP1ShutdownBeforeFirstByte: a client that connected but has not
// sent anything yet (a preconnect) must not hold Shutdown up.
func TestHTTP1ShutdownBeforeFirstByte(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	srv := startH1ProxyWith(t, "", 200*time.Millisecond, testRoute{prefix: "/", addr: up})
	c := dialRaw(t, srv)
	pollUntil(t, "the proxy to accept the connection", func() bool { return srv.stats.Counter("http.t.downstream_cx_total").Load() == 1 })
	done := make(chan struct{})
	go func() { _ = srv.Shutdown(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Shutdown did not return: a connection without a request held it past the drain timeout")
	}
	c.expectClosed()
}

// TestHTTP1ShutdownDrainTimeout: a request still waiting for its upstream
// (route timeout 0s) when the drain timeout ends does not hold Shutdown up
// any longer: its downstream connection closes without a response, and its
// upstream connection closes too.
func TestHTTP1ShutdownDrainTimeout(t *testing.T) {
	ca := tlstest.NewCA("ca")
	cert, key := ca.Server("127.0.0.1").WriteFiles(t.TempDir(), "server")
	tlsSocket := `{ name: envoy.transport_sockets.tls, typed_config: {
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext,
        common_tls_context: { tls_certificates: [{ certificate_chain: { filename: ` + cert + ` }, private_key: { filename: ` + key + ` } }] } } }`
	for _, proto := range []string{"http/1.1", "h2c", "h2 over TLS"} {
		t.Run(proto, func(t *testing.T) {
			started, upstreamGone := make(chan struct{}, 1), make(chan struct{})
			never := startRawUpstream(t, func(_ int64, c net.Conn, br *bufio.Reader) {
				_ = readRawHead(br)
				started <- struct{}{}
				_, _ = io.Copy(io.Discard, br) // never answers; returns when the proxy closes
				close(upstreamGone)
			})
			socket := ""
			if proto == "h2 over TLS" {
				socket = tlsSocket
			}
			srv := startH1ProxyTLS(t, "", 200*time.Millisecond, socket, testRoute{prefix: "/", addr: never.addr(), timeout: "0s"})
			addr := srv.ListenerAddr("main").String()
			clientDone := make(chan error, 1)
			if proto == "http/1.1" {
				c := dialRaw(t, srv)
				c.send(getReq("/stream"))
				go func() { _, err := c.br.ReadByte(); clientDone <- err }()
			} else {
				// No client timeout: only the proxy may end this request.
				ctx, cancel := context.WithCancel(context.Background())
				t.Cleanup(cancel)
				url, client := "http://"+addr+"/stream", h2cClient(t, 0)
				if proto == "h2 over TLS" {
					tr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}
					t.Cleanup(tr.CloseIdleConnections)
					url, client = "https://"+addr+"/stream", &http.Client{Transport: tr}
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				go func() {
					resp, err := client.Do(req)
					if err == nil {
						_, err = io.ReadAll(resp.Body)
						resp.Body.Close()
					}
					clientDone <- err
				}()
			}
			<-started
			done := make(chan struct{})
			go func() { _ = srv.Shutdown(context.Background()); close(done) }()
			select {
			case <-done:
			case <-time.After(ioTimeout):
				t.Fatal("Shutdown did not return: an in-flight request held it past the drain timeout")
			}
			if err := <-clientDone; err == nil {
				t.Error("the in-flight request got a response")
			}
			select {
			case <-upstreamGone:
			case <-time.After(ioTimeout):
				t.Error("the upstream connection of the aborted request stayed open")
			}
		})
	}
}

// TestHTTP1TLS: on a TLS listener, ALPN "h2" goes to HTTP/2 and
// "http/1.1" (or no ALPN) to the HTTP/1.1 codec; the upstream learns the
// scheme from x-forwarded-proto.
func TestHTTP1TLS(t *testing.T) {
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	ca := tlstest.NewCA("ca")
	cert, key := ca.Server("127.0.0.1").WriteFiles(t.TempDir(), "server")
	srv := startH1ProxyTLS(t, "", time.Minute, `{ name: envoy.transport_sockets.tls, typed_config: {
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext,
        common_tls_context: { tls_certificates: [{ certificate_chain: { filename: `+cert+` }, private_key: { filename: `+key+` } }] } } }`,
		testRoute{prefix: "/", addr: up})
	addr := srv.ListenerAddr("main").String()
	for _, alpn := range [][]string{{"http/1.1"}, nil} {
		tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), NextProtos: alpn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tc.Close() })
		_ = tc.SetDeadline(time.Now().Add(ioTimeout))
		c := &rawClient{t: t, c: tc, br: bufio.NewReader(tc)}
		for i := range 2 {
			c.send(getReq("/tls"))
			resp := c.read(false)
			if resp.statusLine != "HTTP/1.1 200 OK" || resp.header["x-fwd-proto"] != "https" || resp.body != "ok:/tls" {
				t.Errorf("ALPN %v, request %d: %q %q %q", alpn, i, resp.statusLine, resp.lines, resp.body)
			}
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != strings.Join(alpn, "") {
			t.Errorf("negotiated %q", p)
		}
	}
	tr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr, Timeout: ioTimeout}).Get("https://" + addr + "/h2")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || resp.Header.Get("x-fwd-proto") != "https" || string(body) != "ok:/h2" {
		t.Errorf("h2 over TLS: HTTP/%d %d %v %q", resp.ProtoMajor, resp.StatusCode, resp.Header, body)
	}
}
