package cluster

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

func TestRequestForwarding(t *testing.T) {
	b := newBackend(t, "a", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write([]byte("not really gzip"))
		default:
			echoHandler("a")(w, r)
		}
	}))
	cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", b.ep())).Cluster("c")
	req, _ := http.NewRequest("GET", "http://original.example:9999/p/a%20th?q=1&r=2", nil)
	req.Host = "authority.example"
	resp, err := cl.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for k, want := range map[string]string{"x-host": "authority.example", "x-uri": "/p/a%20th?q=1&r=2", "x-proto": "1", "x-accept-encoding": "", "x-user-agent": ""} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	req.Header.Set("User-Agent", "client/1")
	if resp, err = cl.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if ua := resp.Header.Get("x-user-agent"); ua != "client/1" {
		t.Errorf("user agent %q", ua)
	}
	if req.URL.Host != "original.example:9999" || len(req.Header) != 1 {
		t.Error("RoundTrip modified the caller's request")
	}
	if resp, _ := get(t, cl, "/redirect"); resp.StatusCode != http.StatusFound {
		t.Errorf("redirect followed: %d", resp.StatusCode)
	}
	if resp, body := get(t, cl, "/gzip"); body != "not really gzip" || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("response decoded: %q %v", body, resp.Header)
	}
	if st := cl.Stats(); st.UpstreamRq2xx != 3 || st.UpstreamRq3xx != 1 || st.UpstreamCxTotal != 1 || st.UpstreamCxActive != 1 {
		t.Errorf("stats %+v (one kept-alive connection expected)", st)
	}
	if cl.Name() != "c" || cl.Type() != "STATIC" {
		t.Errorf("name %q type %q", cl.Name(), cl.Type())
	}
	if c := cl.Stats().Counters(); c["upstream_rq_total"] != 4 || c["upstream_rq_2xx"] != 3 {
		t.Errorf("counters %v", c)
	}
}

func TestActiveUntilBodyDone(t *testing.T) {
	b := newBackend(t, "a", nil)
	cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", b.ep())).Cluster("c")
	req, _ := http.NewRequest("GET", "http://x/", nil)
	resp, err := cl.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if st := cl.Stats(); st.UpstreamRqActive != 1 || cl.Hosts()[0].RqActive != 1 {
		t.Errorf("active while the body is unread: %+v", st)
	}
	_, _ = io.ReadAll(resp.Body)
	if st := cl.Stats(); st.UpstreamRqActive != 0 {
		t.Errorf("still active after EOF: %+v", st)
	}
	resp.Body.Close()
	if st := cl.Stats(); st.UpstreamRqActive != 0 || cl.Hosts()[0].RqActive != 0 {
		t.Errorf("double decrement: %+v", st)
	}
}

func TestHTTP2PriorKnowledge(t *testing.T) {
	h2 := func(id string) *backend {
		return newBackend(t, id, h2c.NewHandler(echoHandler(id), &http2.Server{}))
	}
	a, b := h2("typed"), h2("legacy")
	typed := clusterJSON("typed", "STATIC", "ROUND_ROBIN", `"typed_extension_protocol_options":{
		"envoy.extensions.upstreams.http.v3.HttpProtocolOptions":{
		"@type":"type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
		"explicit_http_config":{"http2_protocol_options":{}}}}`, a.ep())
	legacy := clusterJSON("legacy", "STATIC", "ROUND_ROBIN", `"http2_protocol_options":{}`, b.ep())
	h1 := clusterJSON("h1", "STATIC", "ROUND_ROBIN", `"typed_extension_protocol_options":{
		"envoy.extensions.upstreams.http.v3.HttpProtocolOptions":{
		"@type":"type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
		"explicit_http_config":{"http_protocol_options":{}}}}`, a.ep())
	m := newManager(t, Options{}, typed, legacy, h1)
	for name, want := range map[string]string{"typed": "2", "legacy": "2", "h1": "1"} {
		cl := m.Cluster(name)
		for range 3 {
			req, _ := http.NewRequest("GET", "http://x/h2?x=1", nil)
			req.Host = "svc.example"
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "foo")
			resp, err := cl.RoundTrip(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			resp.Body.Close()
			if want == "2" && (resp.Header.Get("x-connection") != "" || resp.Header.Get("x-user-agent") != "") {
				t.Errorf("%s: connection-specific or default headers sent over HTTP/2: %v", name, resp.Header)
			}
			if req.Header.Get("Upgrade") != "foo" {
				t.Errorf("%s: the caller's header map was modified", name)
			}
			if got := resp.Header.Get("x-proto"); got != want || resp.Header.Get("x-host") != "svc.example" || resp.Header.Get("x-uri") != "/h2?x=1" {
				t.Errorf("%s: upstream saw HTTP/%s host %q uri %q", name, got, resp.Header.Get("x-host"), resp.Header.Get("x-uri"))
			}
		}
		if name != "h1" && cl.Stats().UpstreamCxTotal != 1 {
			t.Errorf("%s: HTTP/2 requests should share one connection: %+v", name, cl.Stats())
		}
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestConnectFailure(t *testing.T) {
	port := closedPort(t)
	cl := newManager(t, Options{}, clusterJSON("dead", "STATIC", "ROUND_ROBIN", "", ep{addr: "127.0.0.1", port: port})).Cluster("dead")
	req, _ := http.NewRequest("GET", "http://x/", nil)
	_, err := cl.RoundTrip(req)
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != ConnectFailure || ce.Reason != "remote connection failure" || ce.Host != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("got %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "cluster: dead: connect failure") {
		t.Errorf("message %q", err)
	}
	if st := cl.Stats(); st.UpstreamCxConnectFail != 1 || st.UpstreamRqActive != 0 || cl.Hosts()[0].CxConnectFail != 1 || cl.Hosts()[0].RqError != 1 {
		t.Errorf("stats %+v hosts %+v", st, cl.Hosts())
	}
	_, addr, err := cl.Dial(context.Background())
	if !errors.As(err, &ce) || ce.Kind != ConnectFailure || addr != ce.Host {
		t.Errorf("Dial: %v %q", err, addr)
	}
}

// blackHole returns an address whose connection attempts hang, or skips
// the test: sandboxes may refuse, or even answer, non-routable addresses.
func blackHole(t *testing.T) string {
	for _, a := range []string{"10.255.255.1", "100::1", "192.0.2.1"} {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(a, "81"), 150*time.Millisecond)
		if c != nil {
			c.Close()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return a
		}
		t.Logf("%s does not black-hole connections here (%v)", a, err)
	}
	t.Skip("no black-hole address in this sandbox: every candidate was refused or answered")
	return ""
}

func TestConnectTimeout(t *testing.T) {
	addr := blackHole(t)
	cl := newManager(t, Options{}, clusterJSON("blackhole", "STATIC", "ROUND_ROBIN", `"connect_timeout":"0.2s"`,
		ep{addr: addr, port: 81})).Cluster("blackhole")
	req, _ := http.NewRequest("GET", "http://x/", nil)
	start := time.Now()
	_, err := cl.RoundTrip(req)
	elapsed := time.Since(start)
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != ConnectFailure {
		t.Fatalf("got %v after %v", err, elapsed)
	}
	if ce.Reason != "connection timeout" {
		t.Skipf("%s stopped black-holing: %v after %v", addr, err, elapsed)
	}
	if elapsed < 150*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("gave up after %v, want about 0.2s", elapsed)
	}
	if st := cl.Stats(); st.UpstreamCxConnectTimeout != 1 || st.UpstreamCxConnectFail != 1 {
		t.Errorf("stats %+v", st)
	}
	start = time.Now()
	if _, _, err := cl.Dial(context.Background()); !errors.As(err, &ce) || ce.Kind != ConnectFailure || time.Since(start) > 2*time.Second {
		t.Errorf("Dial: %v after %v", err, time.Since(start))
	}
}

func TestNoHealthyUpstream(t *testing.T) {
	cl := newManager(t, Options{}, clusterJSON("empty", "STATIC", "ROUND_ROBIN", "")).Cluster("empty")
	req, _ := http.NewRequest("GET", "http://x/", nil)
	var ce *Error
	if _, err := cl.RoundTrip(req); !errors.As(err, &ce) || ce.Kind != NoHealthyUpstream {
		t.Errorf("RoundTrip: %v", err)
	}
	if _, _, err := cl.Dial(context.Background()); !errors.As(err, &ce) || ce.Kind != NoHealthyUpstream {
		t.Errorf("Dial: %v", err)
	}
	if st := cl.Stats(); st.UpstreamCxNoneHealthy != 2 || st.MembershipTotal != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTimeoutAndReset(t *testing.T) {
	b := newBackend(t, "a", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/reset":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}))
	cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN", "", b.ep())).Cluster("c")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://x/slow", nil)
	var ce *Error
	if _, err := cl.RoundTrip(req); !errors.As(err, &ce) || ce.Kind != Timeout {
		t.Errorf("slow: %v", err)
	}
	req, _ = http.NewRequest("POST", "http://x/reset", strings.NewReader("body"))
	if _, err := cl.RoundTrip(req); !errors.As(err, &ce) || ce.Kind != Reset || ce.Reason != "connection termination" {
		t.Errorf("reset: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	req, _ = http.NewRequestWithContext(cctx, "GET", "http://x/", nil)
	if _, err := cl.RoundTrip(req); !errors.As(err, &ce) || ce.Kind != Reset || ce.Reason != "local reset" {
		t.Errorf("canceled: %v", err)
	}
	st := cl.Stats()
	if st.UpstreamRqTimeout != 1 || st.UpstreamRqRxReset != 1 || st.UpstreamRqTxReset != 1 || st.UpstreamRqActive != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestPickHook(t *testing.T) {
	b := newBackend(t, "a", nil)
	cl := newManager(t, Options{}, clusterJSON("dns", "STRICT_DNS", "ROUND_ROBIN", `"dns_lookup_family":"V4_ONLY"`,
		ep{addr: "localhost", port: b.port})).Cluster("dns")
	var seen Endpoint
	ctx := WithPickHook(context.Background(), func(out *http.Request, e Endpoint) {
		seen = e
		out.Host = e.Hostname // auto_host_rewrite
	})
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://x/", nil)
	req.Host = "client.example"
	resp, err := cl.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen.Address != "127.0.0.1:"+strconv.Itoa(b.port) || seen.Hostname != "localhost" || resp.Header.Get("x-host") != "localhost" {
		t.Errorf("endpoint %+v, upstream host %q", seen, resp.Header.Get("x-host"))
	}
	if req.Host != "client.example" {
		t.Error("the hook changed the caller's request")
	}
}

func TestDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	cl := newManager(t, Options{}, clusterJSON("tcp", "STATIC", "ROUND_ROBIN", "", ep{addr: "127.0.0.1", port: port})).Cluster("tcp")
	conn, addr, err := cl.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if addr != ln.Addr().String() {
		t.Errorf("addr %q", addr)
	}
	if _, err := io.WriteString(conn, "ping\n"); err != nil {
		t.Fatal(err)
	}
	if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if line != "ping\n" {
		t.Errorf("echo %q", line)
	}
	if st := cl.Stats(); st.UpstreamCxActive != 1 || cl.Hosts()[0].CxActive != 1 {
		t.Errorf("stats %+v", st)
	}
	conn.Close()
	conn.Close()
	if st := cl.Stats(); st.UpstreamCxActive != 0 || st.UpstreamCxTotal != 1 {
		t.Errorf("stats after close %+v", st)
	}
}
