package proxy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/wasmbuild"
	"github.com/wasmesh/wasmesh/proxy"
)

// BenchmarkProxy measures one HTTP/1.1 request through the data plane on
// loopback (keep-alive client, in-process upstream answering "ok"), with
// no filter, the AssemblyScript add-header filter and the Go SDK one, next
// to a peer measured in the same run: Go's httputil.ReverseProxy. It is the
// proxy hot path's microbenchmark; bench/ (the performance issue) measures
// with wrk against nginx.
func BenchmarkProxy(b *testing.B) {
	upstream := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	goWasm := filepath.Join(b.TempDir(), "go.wasm")
	if err := wasmbuild.Go(context.Background(), "../host/testdata/goaddheader", goWasm); err != nil {
		b.Fatal(err)
	}
	asWasm, _ := filepath.Abs("../examples/assemblyscript/addheader/filter.wasm")
	b.Run("peer-httputil-reverseproxy", func(b *testing.B) {
		u, _ := url.Parse("http://" + upstream)
		rp := httputil.NewSingleHostReverseProxy(u)
		benchRequests(b, serve(b, rp))
	})
	b.Run("no-filter", func(b *testing.B) { benchRequests(b, startProxy(b, upstream, "")) })
	b.Run("native-go-addheader", func(b *testing.B) { benchRequests(b, startProxy(b, upstream, "", addHeader{})) })
	b.Run("assemblyscript-addheader", func(b *testing.B) {
		benchRequests(b, startProxy(b, upstream, wasmFilterYAML(asWasm, "add_header", "world")))
	})
	b.Run("go-addheader", func(b *testing.B) {
		benchRequests(b, startProxy(b, upstream, wasmFilterYAML(goWasm, "", "bench")))
	})
}

func serve(b testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func wasmFilterYAML(file, rootID, config string) string {
	return fmt.Sprintf(`
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: %q
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: %q }
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: %q } } }`, rootID, config, file)
}

func startProxy(b testing.TB, upstream, filters string, natives ...proxy.NativeFilter) string {
	host, port, _ := net.SplitHostPort(upstream)
	cfg := fmt.Sprintf(`
static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up } }] }]
          http_filters:%s
          - name: router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: up
    load_assignment:
      cluster_name: up
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: %s, port_value: %s } } } }] }]
`, filters, host, port)
	c, err := envoyconfig.Parse([]byte(cfg), "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := proxy.New(context.Background(), c, proxy.Options{Concurrency: 1, Logger: proxy.NewLogger(io.Discard, benchLogLevel, ""), NativeFilters: natives})
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve()
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv.ListenerAddr("main").String()
}

var benchLogLevel = host.LogWarn

func benchRequests(b *testing.B, addr string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := "http://" + addr + "/"
	get := func() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	get()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
		}
	})
}

// addHeader is the native Go filter doing the Wasm filters' header work.
type addHeader struct{}

func (addHeader) RequestHeaders(h *host.Headers)  { h.Add("x-wasm", "bench") }
func (addHeader) ResponseHeaders(h *host.Headers) { h.Add("x-wasm", "bench") }

func TestNativeFilter(t *testing.T) {
	var seen string
	upstream := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Get("x-wasm") }))
	addr := startProxy(t, upstream, "", addHeader{})
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != "bench" || resp.Header.Get("x-wasm") != "bench" {
		t.Fatalf("upstream saw %q, response has %q", seen, resp.Header.Get("x-wasm"))
	}
}
