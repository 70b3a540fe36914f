package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	wasmhost "github.com/wasmesh/wasmesh/host"
)

// sendTimeout bounds the raw upstreams' I/O so that a hang fails a test;
// no assertion depends on it.
const sendTimeout = 10 * time.Second

// newSendRequest builds a Send request; fields are name, value pairs.
func newSendRequest(method, path, authority string, fields ...string) *Request {
	h := &wasmhost.Headers{}
	h.Add(":method", method)
	h.Add(":path", path)
	h.Add(":authority", authority)
	h.Add(":scheme", "http")
	for i := 0; i+1 < len(fields); i += 2 {
		h.Add(fields[i], fields[i+1])
	}
	return &Request{Headers: h}
}

// sendResult is a response read to its end.
type sendResult struct {
	status   string
	h        *wasmhost.Headers
	body     string
	eos      bool
	trailers *wasmhost.Headers
}

func (r *sendResult) get(name string) string { v, _ := r.h.Get(name); return v }

// doSend sends req, reads the body to EOF and closes it.
func doSend(t *testing.T, cl *Cluster, req *Request) *sendResult {
	t.Helper()
	resp := &wasmhost.Headers{}
	body, eos, err := cl.Send(context.Background(), req, resp)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := &sendResult{h: resp, eos: eos}
	r.status, _ = resp.Get(":status")
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	r.body = string(b)
	r.trailers = body.Trailers()
	if err := body.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return r
}

// sendErr sends req and returns its *Error (the test fails otherwise).
func sendErr(t *testing.T, ctx context.Context, cl *Cluster, req *Request) *Error {
	t.Helper()
	body, _, err := cl.Send(ctx, req, &wasmhost.Headers{})
	if err == nil {
		body.Close()
		t.Fatal("Send succeeded")
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v is not an *Error", err, err)
	}
	return ce
}

// sendBackend answers by path, echoing what it received in headers.
func sendBackend(id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		h.Set("X-Backend", id)
		h.Set("X-Host", r.Host)
		h.Set("X-Uri", r.URL.RequestURI())
		h.Set("X-Proto", strconv.Itoa(r.ProtoMajor))
		h.Set("X-Method", r.Method)
		h.Set("X-Body", string(body))
		h.Set("X-Content-Length", strconv.FormatInt(r.ContentLength, 10))
		h.Set("X-Te", strings.Join(r.TransferEncoding, ","))
		h.Set("X-Trailer", r.Trailer.Get("X-T"))
		h.Set("X-User-Agent", strings.Join(r.Header.Values("User-Agent"), ","))
		h.Set("X-Keep-Alive", r.Header.Get("Keep-Alive"))
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/empty":
			h.Set("Content-Length", "0")
		case "/sized":
			h.Set("Content-Length", "5")
			_, _ = io.WriteString(w, "hello")
		case "/big":
			_, _ = w.Write(make([]byte, 256<<10))
		case "/trailers":
			h.Set("Trailer", "X-Resp-T")
			_, _ = io.WriteString(w, "with trailers")
			h.Set("X-Resp-T", "rt")
		default:
			_, _ = io.WriteString(w, id)
		}
	}
}

func h1Cluster(t *testing.T, b *backend) *Cluster {
	return newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", b.ep())).Cluster("c")
}

const http2Options = `"typed_extension_protocol_options":{
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions":{
	"@type":"type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
	"explicit_http_config":{"http2_protocol_options":{}}}}`

// protoCluster returns an HTTP/1.1 ("h1") or HTTP/2 ("h2", prior
// knowledge) cluster in front of handler.
func protoCluster(t *testing.T, proto string, handler http.Handler) *Cluster {
	t.Helper()
	if proto == "h2" {
		b := newBackend(t, "h2", h2c.NewHandler(handler, &http2.Server{}))
		return newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", http2Options, b.ep())).Cluster("c")
	}
	return h1Cluster(t, newBackend(t, "h1", handler))
}

// rawBackend is a TCP upstream whose bytes a test writes: handle runs for
// the n-th accepted connection (from 1).
func rawBackend(t *testing.T, handle func(n int64, c net.Conn, br *bufio.Reader)) (ep, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			_ = c.SetDeadline(time.Now().Add(sendTimeout))
			go handle(n, c, bufio.NewReader(c))
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ep{addr: "127.0.0.1", port: ln.Addr().(*net.TCPAddr).Port}, &accepted
}

// readRequestHead reads a request head up to its empty line.
func readRequestHead(br *bufio.Reader) error {
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

func TestSendGetReusesConnection(t *testing.T) {
	b := newBackend(t, "a", sendBackend("a"))
	cl := h1Cluster(t, b)
	for i := range 3 {
		req := newSendRequest("GET", "/p/a%20th?q=1", "svc.example")
		resp := &wasmhost.Headers{}
		body, eos, err := cl.Send(context.Background(), req, resp)
		if err != nil {
			t.Fatal(err)
		}
		if k, v := resp.Field(0); string(k) != ":status" || string(v) != "200" || eos {
			t.Errorf("request %d: first field %s: %s, eos %v", i, k, v, eos)
		}
		for k, want := range map[string]string{"x-backend": "a", "x-host": "svc.example", "x-uri": "/p/a%20th?q=1", "x-user-agent": "", "content-type": "text/plain; charset=utf-8"} {
			if got, _ := resp.Get(k); got != want {
				t.Errorf("request %d: %s = %q, want %q", i, k, got, want)
			}
		}
		for j := 0; j < resp.Len(); j++ {
			if k, _ := resp.Field(j); string(k) != strings.ToLower(string(k)) {
				t.Errorf("response field %q not lower-case", k)
			}
		}
		if st := cl.Stats(); st.UpstreamRqActive != 1 || cl.Hosts()[0].RqActive != 1 {
			t.Errorf("request %d: not active while its body is unread: %+v", i, st)
		}
		got, err := io.ReadAll(body)
		if err != nil || string(got) != "a" {
			t.Errorf("request %d: body %q %v", i, got, err)
		}
		if st := cl.Stats(); st.UpstreamRqActive != 0 {
			t.Errorf("request %d: still active after EOF: %+v", i, st)
		}
		body.Close()
		if req.Picked.Address != b.Listener.Addr().String() {
			t.Errorf("picked %+v", req.Picked)
		}
	}
	st := cl.Stats()
	if st.UpstreamCxTotal != 1 || st.UpstreamCxActive != 1 || st.UpstreamRqTotal != 3 || st.UpstreamRq2xx != 3 || st.UpstreamRqActive != 0 {
		t.Errorf("stats %+v (one kept-alive connection expected)", st)
	}
	if h := cl.Hosts()[0]; h.RqSuccess != 3 || h.RqActive != 0 || h.CxTotal != 1 {
		t.Errorf("host %+v", h)
	}
}

func TestSendUnreadBodyClosesConnection(t *testing.T) {
	b := newBackend(t, "a", sendBackend("a"))
	cl := h1Cluster(t, b)
	body, eos, err := cl.Send(context.Background(), newSendRequest("GET", "/big", "a"), &wasmhost.Headers{})
	if err != nil || eos {
		t.Fatal(err, eos)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(body, buf); err != nil {
		t.Fatal(err)
	}
	body.Close()
	if st := cl.Stats(); st.UpstreamRqActive != 0 || st.UpstreamCxActive != 0 {
		t.Errorf("after closing an unread body: %+v", st)
	}
	// The connection, in the middle of a body, cannot serve another request.
	if r := doSend(t, cl, newSendRequest("GET", "/after", "a")); r.status != "200" || r.body != "a" {
		t.Errorf("next request: %s %q", r.status, r.body)
	}
	if st := cl.Stats(); st.UpstreamCxTotal != 2 || st.UpstreamCxActive != 1 || st.UpstreamRqActive != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSendRequestBodies(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		cl := protoCluster(t, proto, sendBackend(proto))
		for _, tc := range []struct {
			name              string
			body              []byte
			fields            []string
			trailer, te, clen string
		}{
			{name: "content-length", body: []byte("hello"), clen: "5"},
			{name: "chunked with a trailer", body: []byte("hello world"), trailer: "tv", te: "chunked", clen: "-1"},
			{name: "only a trailer", body: nil, trailer: "tv", te: "chunked", clen: "-1"},
			// The codec frames the body: the caller's framing fields are
			// not sent (a wrong one would desynchronize the connection).
			{name: "framing fields ignored", body: []byte("abc"), fields: []string{"content-length", "999", "transfer-encoding", "chunked", "connection", "close"}, clen: "3"},
		} {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				req := newSendRequest("POST", "/upload", "a", tc.fields...)
				req.Body = tc.body
				req.Deadline = time.Now().Add(sendTimeout) // a hang fails
				if tc.trailer != "" {
					req.Trailers = &wasmhost.Headers{}
					req.Trailers.Add("x-t", tc.trailer)
				}
				r := doSend(t, cl, req)
				if r.status != "200" || r.get("x-body") != string(tc.body) || r.get("x-trailer") != tc.trailer {
					t.Errorf("upstream saw body %q trailer %q (status %s)", r.get("x-body"), r.get("x-trailer"), r.status)
				}
				if proto == "h1" && (r.get("x-te") != tc.te || r.get("x-content-length") != tc.clen) {
					t.Errorf("framing: transfer-encoding %q content-length %s, want %q %s", r.get("x-te"), r.get("x-content-length"), tc.te, tc.clen)
				}
				// The connection serves the next request.
				if r := doSend(t, cl, newSendRequest("GET", "/next", "a")); r.get("x-uri") != "/next" {
					t.Errorf("next request: %s %q", r.status, r.get("x-uri"))
				}
			})
		}
		if st := cl.Stats(); st.UpstreamCxTotal != 1 || st.UpstreamRqActive != 0 {
			t.Errorf("%s: stats %+v", proto, st)
		}
	}
}

func TestSendResponseTrailers(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			cl := protoCluster(t, proto, sendBackend(proto))
			r := doSend(t, cl, newSendRequest("GET", "/trailers", "a"))
			if r.body != "with trailers" || r.trailers == nil {
				t.Fatalf("body %q trailers %v", r.body, r.trailers)
			}
			if v, _ := r.trailers.Get("x-resp-t"); v != "rt" {
				t.Errorf("trailer %q (%v)", v, r.trailers)
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		t.Run(proto, func(t *testing.T) { testSendTimeout(t, proto) })
	}
}

func testSendTimeout(t *testing.T, proto string) {
	release := make(chan struct{})
	cl := protoCluster(t, proto, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
		case "/slow-body":
			_, _ = io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		default:
			return
		}
		select { // until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	var timeouts int64
	for _, tc := range []struct {
		name     string
		path     string
		deadline time.Duration
	}{
		{"deadline in the past", "/", -time.Second},
		{"upstream slower than the deadline", "/slow", 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newSendRequest("GET", tc.path, "a")
			req.Deadline = time.Now().Add(tc.deadline)
			ce := sendErr(t, context.Background(), cl, req)
			if ce.Kind != Timeout || ce.Host != cl.Hosts()[0].Address {
				t.Errorf("got %v, want a timeout", ce)
			}
			timeouts++
			if st := cl.Stats(); st.UpstreamRqTimeout != timeouts || st.UpstreamRqActive != 0 || cl.Hosts()[0].RqTimeout != timeouts {
				t.Errorf("stats %+v", st)
			}
		})
	}
	t.Run("deadline while reading the body", func(t *testing.T) {
		req := newSendRequest("GET", "/slow-body", "a")
		req.Deadline = time.Now().Add(200 * time.Millisecond)
		body, _, err := cl.Send(context.Background(), req, &wasmhost.Headers{})
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		got, err := io.ReadAll(body)
		if string(got) != "partial" || !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("read %q, %v", got, err)
		}
		timeouts++
		if st := cl.Stats(); st.UpstreamRqTimeout != timeouts || st.UpstreamRqActive != 0 {
			t.Errorf("stats %+v", st)
		}
	})
	// The cluster still works (a timed-out HTTP/1.1 connection is not reused).
	if r := doSend(t, cl, newSendRequest("GET", "/fast", "a")); r.status != "200" {
		t.Errorf("after the timeouts: %s", r.status)
	}
}

// TestSendHeadersDeadline: HeadersDeadline (a retry policy's per-try
// timeout) bounds the wait for the response head only: a head later than
// it fails with Kind Timeout, a body slower than it but within Deadline is
// read whole.
func TestSendHeadersDeadline(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			cl := protoCluster(t, proto, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/slow-head":
					select {
					case <-r.Context().Done():
					case <-release:
					}
				case "/slow-body":
					_, _ = io.WriteString(w, "head now, ")
					w.(http.Flusher).Flush()
					time.Sleep(300 * time.Millisecond)
					_, _ = io.WriteString(w, "body later")
				}
			}))
			req := newSendRequest("GET", "/slow-head", "a")
			req.Deadline, req.HeadersDeadline = time.Now().Add(10*time.Second), time.Now().Add(100*time.Millisecond)
			start := time.Now()
			if ce := sendErr(t, context.Background(), cl, req); ce.Kind != Timeout {
				t.Errorf("a head later than HeadersDeadline: got %v, want a timeout", ce)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the head wait took %v: HeadersDeadline was not applied", took)
			}
			req = newSendRequest("GET", "/slow-body", "a")
			req.Deadline, req.HeadersDeadline = time.Now().Add(10*time.Second), time.Now().Add(150*time.Millisecond)
			body, _, err := cl.Send(context.Background(), req, &wasmhost.Headers{})
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			if got, err := io.ReadAll(body); string(got) != "head now, body later" || err != nil {
				t.Errorf("body read past HeadersDeadline: %q, %v", got, err)
			}
		})
	}
}

func TestSendContextCanceled(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	b := newBackend(t, "a", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	cl := h1Cluster(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	ce := sendErr(t, ctx, cl, newSendRequest("GET", "/", "a"))
	if ce.Kind != Reset || ce.Reason != "local reset" {
		t.Errorf("got %v", ce)
	}
	if st := cl.Stats(); st.UpstreamRqTxReset != 1 || st.UpstreamRqActive != 0 || st.UpstreamRqTimeout != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSendMalformedResponse(t *testing.T) {
	for _, tc := range []struct {
		name, response, reason string
	}{
		{"garbage", "garbage\r\n\r\n", "protocol error"},
		{"bad status line", "HTTP/1.1 2000 OK\r\n\r\n", "protocol error"},
		{"transfer-encoding other than chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "protocol error"},
		{"header line without colon", "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "protocol error"},
		{"closed before a response", "", "connection termination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := rawBackend(t, func(_ int64, c net.Conn, br *bufio.Reader) {
				defer c.Close()
				if readRequestHead(br) == nil {
					_, _ = io.WriteString(c, tc.response)
				}
			})
			cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", e)).Cluster("c")
			ce := sendErr(t, context.Background(), cl, newSendRequest("GET", "/", "a"))
			if ce.Kind != Reset || ce.Reason != tc.reason {
				t.Errorf("got %v, want reset %q", ce, tc.reason)
			}
			if st := cl.Stats(); st.UpstreamRqRxReset != 1 || st.UpstreamRqActive != 0 || st.UpstreamCxActive != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestSendConnectFailure(t *testing.T) {
	port := closedPort(t)
	cl := newManager(t, Options{}, clusterJSON("dead", "STATIC", "ROUND_ROBIN", "", ep{addr: "127.0.0.1", port: port})).Cluster("dead")
	req := newSendRequest("GET", "/", "a")
	ce := sendErr(t, context.Background(), cl, req)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if ce.Kind != ConnectFailure || ce.Reason != "remote connection failure" || ce.Host != addr || req.Picked.Address != addr {
		t.Errorf("got %v, picked %+v", ce, req.Picked)
	}
	if st := cl.Stats(); st.UpstreamCxConnectFail != 1 || st.UpstreamRqActive != 0 || cl.Hosts()[0].RqError != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSendNoHealthyUpstream(t *testing.T) {
	cl := newManager(t, Options{}, clusterJSON("empty", "STATIC", "ROUND_ROBIN", "")).Cluster("empty")
	req := newSendRequest("GET", "/", "a")
	if ce := sendErr(t, context.Background(), cl, req); ce.Kind != NoHealthyUpstream || req.Picked != (Endpoint{}) {
		t.Errorf("got %v, picked %+v", ce, req.Picked)
	}
}

// hostnameCluster is a STATIC cluster whose endpoint has a hostname.
func hostnameCluster(t *testing.T, hostname string, port int) *Cluster {
	js := fmt.Sprintf(`{"name":"h","type":"STATIC","load_assignment":{"cluster_name":"h","endpoints":[{"lb_endpoints":[
		{"endpoint":{"hostname":%q,"address":{"socket_address":{"address":"127.0.0.1","port_value":%d}}}}]}]}}`, hostname, port)
	return newManager(t, Options{}, js).Cluster("h")
}

func TestSendAutoHostRewrite(t *testing.T) {
	b := newBackend(t, "a", sendBackend("a"))
	cl := hostnameCluster(t, "svc.internal", b.port)
	want := Endpoint{Address: b.Listener.Addr().String(), Hostname: "svc.internal"}
	for _, tc := range []struct {
		rewrite bool
		host    string
	}{{true, "svc.internal"}, {false, "client.example"}} {
		req := newSendRequest("GET", "/", "client.example")
		req.AutoHostRewrite = tc.rewrite
		r := doSend(t, cl, req)
		if r.get("x-host") != tc.host || req.Picked != want {
			t.Errorf("rewrite %v: upstream host %q, picked %+v", tc.rewrite, r.get("x-host"), req.Picked)
		}
		if a, _ := req.Headers.Get(":authority"); a != tc.host {
			t.Errorf("rewrite %v: :authority %q", tc.rewrite, a)
		}
	}
	// Picked is known on a failure too.
	port := closedPort(t)
	dead := hostnameCluster(t, "dead.internal", port)
	req := newSendRequest("GET", "/", "client.example")
	req.AutoHostRewrite = true
	if ce := sendErr(t, context.Background(), dead, req); ce.Kind != ConnectFailure {
		t.Errorf("got %v", ce)
	}
	if want := (Endpoint{Address: "127.0.0.1:" + strconv.Itoa(port), Hostname: "dead.internal"}); req.Picked != want {
		t.Errorf("picked %+v, want %+v", req.Picked, want)
	}
}

func TestSendHTTP2(t *testing.T) {
	cl := protoCluster(t, "h2", sendBackend("h2"))
	for i := range 3 {
		// Connection-specific fields, which HTTP/2 forbids, are dropped.
		req := newSendRequest("GET", "/h2?x=1", "svc.example", "keep-alive", "timeout=5", "connection", "keep-alive", "upgrade", "foo", "x-custom", "1")
		r := doSend(t, cl, req)
		if r.status != "200" || r.eos || r.body != "h2" {
			t.Fatalf("request %d: %s eos %v body %q", i, r.status, r.eos, r.body)
		}
		for k, want := range map[string]string{"x-proto": "2", "x-host": "svc.example", "x-uri": "/h2?x=1", "x-user-agent": "", "x-keep-alive": "", "content-length": "2"} {
			if got := r.get(k); got != want {
				t.Errorf("request %d: %s = %q, want %q", i, k, got, want)
			}
		}
		if k, _ := r.h.Field(0); string(k) != ":status" {
			t.Errorf("first field %q", k)
		}
	}
	if st := cl.Stats(); st.UpstreamCxTotal != 1 || st.UpstreamRqTotal != 3 || st.UpstreamRq2xx != 3 || st.UpstreamRqActive != 0 {
		t.Errorf("stats %+v (one HTTP/2 connection expected)", st)
	}
	// A deadline covers the body; it ends with the body.
	req := newSendRequest("GET", "/sized", "a")
	req.Deadline = time.Now().Add(sendTimeout)
	if r := doSend(t, cl, req); r.body != "hello" {
		t.Errorf("with a deadline: %q", r.body)
	}
}

func TestSendNoBody(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		cl := protoCluster(t, proto, sendBackend(proto))
		for _, tc := range []struct {
			method, path, status, length string
		}{
			{"GET", "/204", "204", ""},
			{"HEAD", "/sized", "200", "5"},
			{"GET", "/empty", "200", "0"},
		} {
			t.Run(proto+"/"+tc.method+tc.path, func(t *testing.T) {
				r := doSend(t, cl, newSendRequest(tc.method, tc.path, "a"))
				length := r.get("content-length")
				if tc.status == "204" && proto == "h2" {
					// ResponseHeaders adds "content-length: 0" from
					// http.Response.ContentLength, also on a 204.
					length = ""
				}
				if r.status != tc.status || !r.eos || r.body != "" || length != tc.length {
					t.Errorf("status %s eos %v body %q content-length %q", r.status, r.eos, r.body, length)
				}
				if st := cl.Stats(); st.UpstreamRqActive != 0 {
					t.Errorf("still active: %+v", st)
				}
			})
		}
		// Bodiless responses leave the connection reusable.
		if r := doSend(t, cl, newSendRequest("GET", "/sized", "a")); r.body != "hello" {
			t.Errorf("%s: after the bodiless responses: %q", proto, r.body)
		}
		if st := cl.Stats(); st.UpstreamCxTotal != 1 {
			t.Errorf("%s: %d connections, want 1", proto, st.UpstreamCxTotal)
		}
	}
}

func TestSendStaleConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		// after: what connections after the first do with a request.
		after      string
		wantErr    bool
		wantAccept int64
	}{
		{"retried on a new connection", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond", false, 2},
		{"retried once only", "", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, accepted := rawBackend(t, func(n int64, c net.Conn, br *bufio.Reader) {
				defer c.Close()
				if n == 1 { // answers, keep-alive, then closes while idle
					if readRequestHead(br) == nil {
						_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nfirst")
					}
					return
				}
				for readRequestHead(br) == nil && tc.after != "" {
					if _, err := io.WriteString(c, tc.after); err != nil {
						return
					}
				}
			})
			cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", e)).Cluster("c")
			if r := doSend(t, cl, newSendRequest("GET", "/", "a")); r.body != "first" {
				t.Fatalf("first: %q", r.body)
			}
			if tc.wantErr {
				if ce := sendErr(t, context.Background(), cl, newSendRequest("GET", "/", "a")); ce.Kind != Reset || ce.Reason != "connection termination" {
					t.Errorf("got %v", ce)
				}
			} else if r := doSend(t, cl, newSendRequest("GET", "/", "a")); r.body != "second" {
				t.Errorf("second: %q", r.body)
			}
			if n := accepted.Load(); n != tc.wantAccept {
				t.Errorf("upstream accepted %d connections, want %d", n, tc.wantAccept)
			}
			if st := cl.Stats(); st.UpstreamRqActive != 0 || st.UpstreamRqTotal != 2 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			cl := protoCluster(t, proto, sendBackend(proto))
			const workers, each = 20, 20
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						path := fmt.Sprintf("/w%d/%d", w, i)
						resp := &wasmhost.Headers{}
						body, _, err := cl.Send(context.Background(), newSendRequest("GET", path, "a"), resp)
						if err != nil {
							errs <- err
							continue
						}
						b, err := io.ReadAll(body)
						body.Close()
						if uri, _ := resp.Get("x-uri"); err != nil || string(b) != proto || uri != path {
							errs <- fmt.Errorf("%s: body %q uri %q err %v", path, b, uri, err)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			st := cl.Stats()
			if st.UpstreamRqActive != 0 || st.UpstreamRqTotal != workers*each || st.UpstreamRq2xx != workers*each {
				t.Errorf("stats %+v", st)
			}
			if st.UpstreamCxTotal > workers {
				t.Errorf("%d connections for %d concurrent requesters", st.UpstreamCxTotal, workers)
			}
		})
	}
}

func TestSendResponseFraming(t *testing.T) {
	for _, tc := range []struct {
		name, response string
		close          bool // the upstream closes after the response
		body           string
		trailer        string // x-r
		reused         bool   // the second request used the same connection
		readErr        error
	}{
		{name: "content-length", response: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", body: "hello", reused: true},
		{name: "chunked with a trailer", response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\nX-R: v\r\n\r\n", body: "hello", trailer: "v", reused: true},
		{name: "interim 100 skipped", response: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", body: "ok", reused: true},
		{name: "connection: close", response: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", close: true, body: "ok"},
		{name: "http/1.0", response: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true, body: "ok"},
		{name: "until close", response: "HTTP/1.1 200 OK\r\n\r\nuntil close", close: true, body: "until close"},
		{name: "truncated body", response: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", close: true, body: "short", readErr: io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, accepted := rawBackend(t, func(_ int64, c net.Conn, br *bufio.Reader) {
				defer c.Close()
				for readRequestHead(br) == nil {
					if _, err := io.WriteString(c, tc.response); err != nil || tc.close {
						return
					}
				}
			})
			cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", e)).Cluster("c")
			for i := range 2 {
				resp := &wasmhost.Headers{}
				body, eos, err := cl.Send(context.Background(), newSendRequest("GET", "/", "a"), resp)
				if err != nil || eos {
					t.Fatalf("request %d: %v eos %v", i, err, eos)
				}
				got, err := io.ReadAll(body)
				if string(got) != tc.body || !errors.Is(err, tc.readErr) {
					t.Errorf("request %d: body %q, %v; want %q, %v", i, got, err, tc.body, tc.readErr)
				}
				if v, _ := body.Trailers().Get("x-r"); v != tc.trailer {
					t.Errorf("request %d: trailer %q", i, v)
				}
				if s, _ := resp.Get(":status"); s != "200" {
					t.Errorf("request %d: status %s", i, s)
				}
				body.Close()
			}
			want := int64(2)
			if tc.reused {
				want = 1
			}
			if n := accepted.Load(); n != want {
				t.Errorf("upstream accepted %d connections, want %d", n, want)
			}
			if st := cl.Stats(); st.UpstreamRqActive != 0 || (!tc.reused && st.UpstreamCxActive != 0) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestSendIdleConnectionsClosed: idle pooled connections close with the
// manager, and with their host when DNS drops it; a connection in use
// when its host left closes after its response.
func TestSendIdleConnectionsClosed(t *testing.T) {
	b := newBackend(t, "a", sendBackend("a"))
	dns := newFakeDNS()
	dns.set("svc.test", "127.0.0.1")
	m := newManager(t, Options{lookup: dns.lookup}, clusterJSON("dns", "STRICT_DNS", "ROUND_ROBIN",
		`"dns_lookup_family":"V4_ONLY","dns_refresh_rate":"0.01s"`, ep{addr: "svc.test", port: b.port}))
	cl := m.Cluster("dns")
	busy, _, err := cl.Send(context.Background(), newSendRequest("GET", "/sized", "a"), &wasmhost.Headers{})
	if err != nil {
		t.Fatal(err)
	}
	doSend(t, cl, newSendRequest("GET", "/", "a")) // a second connection, now idle
	if st := cl.Stats(); st.UpstreamCxActive != 2 {
		t.Fatalf("stats %+v", st)
	}
	dns.set("svc.test", "127.0.0.2")
	waitFor(t, "the idle connection of the removed host to close", func() bool { return cl.Stats().UpstreamCxActive == 1 })
	if got, err := io.ReadAll(busy); string(got) != "hello" || err != nil {
		t.Errorf("busy body %q %v", got, err)
	}
	busy.Close()
	if st := cl.Stats(); st.UpstreamCxActive != 0 {
		t.Errorf("the removed host's connection went back to the pool: %+v", st)
	}

	b2 := newBackend(t, "b", sendBackend("b"))
	m2 := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", b2.ep()))
	doSend(t, m2.Cluster("c"), newSendRequest("GET", "/", "a"))
	m2.Close()
	if st := m2.Cluster("c").Stats(); st.UpstreamCxActive != 0 {
		t.Errorf("idle connection open after Manager.Close: %+v", st)
	}
}
