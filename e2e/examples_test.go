package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The "hello: world" tutorial: AssemblyScript filter, TypedStruct config,
// StringValue configuration "world".
func TestExampleWorld(t *testing.T) {
	echoServer(t, "127.0.0.1:18080")
	p := start(t, "../examples/envoy/world", "envoy", "-c", "envoy.yaml")
	resp, _ := get(t, "http://127.0.0.1:10000/")
	if resp.StatusCode != 200 || resp.Header.Get("hello") != "world" {
		t.Fatalf("status %d, hello=%q", resp.StatusCode, resp.Header.Get("hello"))
	}
	p.stop()
}

// A filter loaded from a local filename adds a header to the request (the
// upstream sees it) and to the response.
func TestExampleAddHeader(t *testing.T) {
	dir := "../examples/envoy/addheader"
	buildFilter(t, "addheader", dir, "addheader.wasm")
	echoServer(t, "127.0.0.1:18080")
	p := start(t, dir, "envoy", "-c", "envoy.yaml", "--concurrency", "2")
	for i := 0; i < 4; i++ {
		resp, body := get(t, "http://127.0.0.1:10000/headers", "user-agent", "e2e")
		var e echoed
		json.Unmarshal(body, &e)
		if resp.Header.Get("x-wasm-filter") != "from-local-file" || e.Headers["X-Wasm-Filter"] != "from-local-file" {
			t.Fatalf("response %v, upstream saw %v", resp.Header, e.Headers)
		}
	}
	p.waitLog("wasm log add_header add_header add_header_vm: request header --> user-agent: e2e")
	p.stop()
}

// Authorization with an HTTP callout to the "auth" cluster.
func TestExampleHTTPAuth(t *testing.T) {
	dir := "../examples/envoy/httpauth"
	buildFilter(t, "httpauth", dir, "httpauth.wasm")
	echoServer(t, "127.0.0.1:18080")
	ln, err := net.Listen("tcp", "127.0.0.1:18081")
	if err != nil {
		t.Fatal(err)
	}
	auth := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("authorization") == "Bearer good" {
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})}}
	auth.Start()
	defer auth.Close()
	p := start(t, dir, "envoy", "-c", "envoy.yaml")
	resp, body := get(t, "http://127.0.0.1:10000/private", "authorization", "Bearer good")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"path":"/private"`) {
		t.Fatalf("allowed: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, "http://127.0.0.1:10000/private")
	if resp.StatusCode != 403 || string(body) != "access forbidden" {
		t.Fatalf("denied: %d %q", resp.StatusCode, body)
	}
	p.stop()
}

// A Wasm network filter in front of tcp_proxy.
func TestExampleTCP(t *testing.T) {
	dir := "../examples/envoy/tcp"
	buildFilter(t, "tcplog", dir, "tcplog.wasm")
	ln, err := net.Listen("tcp", "127.0.0.1:18082")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	p := start(t, dir, "envoy", "-c", "envoy.yaml")
	c, err := net.Dial("tcp", "127.0.0.1:10001")
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("ping"))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	c.Close()
	if string(got) != "wasm:ping" {
		t.Fatalf("echoed %q, want the filter's prefix on the data", got)
	}
	p.waitLog("tcplog: new connection")
	p.waitLog("4 bytes from the client, 9 from the upstream")
	p.stop()
}
