package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy"
)

// The middleware runs the same filter chain as the data plane in front of
// any http.Handler, over real HTTP.
func TestMiddleware(t *testing.T) {
	as, err := os.ReadFile("../examples/assemblyscript/addheader/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	recorder, err := os.ReadFile("../host/testdata/recorder/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := proxy.NewMiddleware(context.Background(), []proxy.WasmFilter{
		{Name: "hello", RootID: "add_header", Code: as, Configuration: []byte("middleware")},
		{Name: "deny", Code: recorder, Configuration: []byte("local_reply=proxy_on_request_headers")},
	}, proxy.MiddlewareOptions{Workers: 2, Logger: proxy.NewLogger(io.Discard, host.LogInfo, "")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	called := false
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		io.WriteString(w, "app")
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The recorder replies 403 locally; the reply runs back through the
	// AssemblyScript filter, which adds its header to it.
	if called || resp.StatusCode != 403 || string(body) != "forbidden" || resp.Header.Get("hello") != "middleware" || resp.Header.Get("x-recorder") != "yes" {
		t.Fatalf("called=%v status=%d body=%q headers=%v", called, resp.StatusCode, body, resp.Header)
	}

	pass, err := proxy.NewMiddleware(context.Background(), []proxy.WasmFilter{
		{Name: "hello", RootID: "add_header", Code: as, Configuration: []byte("through")},
	}, proxy.MiddlewareOptions{Workers: 1, Logger: proxy.NewLogger(io.Discard, host.LogInfo, "")})
	if err != nil {
		t.Fatal(err)
	}
	defer pass.Close()
	srv2 := httptest.NewServer(pass.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "app:"+r.URL.Path)
	})))
	defer srv2.Close()
	resp, err = http.Get(srv2.URL + "/y")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "app:/y") || resp.Header.Get("hello") != "through" {
		t.Fatalf("status=%d body=%q hello=%q", resp.StatusCode, body, resp.Header.Get("hello"))
	}
}
