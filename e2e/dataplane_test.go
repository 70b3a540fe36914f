package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

func recorderWasm(t *testing.T) string { return mustAbs(t, "../host/testdata/recorder/filter.wasm") }

func TestRouterBehaviour(t *testing.T) {
	echoServer(t, "127.0.0.1:18080")
	p := start(t, writeConfig(t, hcmConfig("")), "envoy", "-c", "envoy.yaml")
	t.Run("direct response", func(t *testing.T) {
		resp, body := get(t, "http://127.0.0.1:10000/direct")
		if resp.StatusCode != 418 || string(body) != "teapot" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("upstream timeout is 504", func(t *testing.T) {
		// The route timeout is 2s; the upstream sleeps 0.5s: fine.
		resp, _ := get(t, "http://127.0.0.1:10000/slow")
		if resp.StatusCode != 200 {
			t.Errorf("slow but within the route timeout: %d", resp.StatusCode)
		}
	})
	t.Run("request body and method reach the upstream", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:10000/post?q=1", strings.NewReader("payload"))
		_, body := do(t, req)
		var e echoed
		json.Unmarshal(body, &e)
		if e.Method != "POST" || e.Body != "payload" || e.Path != "/post?q=1" || e.Headers["X-Forwarded-Proto"] != "http" || e.Headers["X-Request-Id"] == "" {
			t.Errorf("upstream saw %+v", e)
		}
	})
	t.Run("h2c downstream", func(t *testing.T) {
		c := &http.Client{Transport: &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, n, a string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, n, a)
		}}}
		resp, err := c.Get("http://127.0.0.1:10000/h2")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
			t.Errorf("proto %s status %d", resp.Proto, resp.StatusCode)
		}
	})
	p.stop()
}

func TestUpstreamDown(t *testing.T) {
	p := start(t, writeConfig(t, hcmConfig("")), "envoy", "-c", "envoy.yaml")
	resp, body := get(t, "http://127.0.0.1:10000/")
	if resp.StatusCode != 503 || !strings.HasPrefix(string(body), "upstream connect error or disconnect/reset before headers. reset reason:") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	p.stop()
}

// Envoy's failure policies for a VM that traps.
func TestFailurePolicy(t *testing.T) {
	echoServer(t, "127.0.0.1:18080")
	cases := []struct {
		policy   string
		first    int // the request whose filter traps
		after    int // the next request on that worker
		failures int // VMs that failed
	}{
		{"", 503, 503, 1},                          // FAIL_CLOSED (default): the VM stays failed
		{"failure_policy: FAIL_OPEN", 200, 200, 1}, // the filter is skipped
		// A new VM after the backoff, which traps again.
		{"failure_policy: FAIL_RELOAD\n                reload_config: { backoff: { base_interval: 0.1s } }", 503, 503, 2},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			cfg := hcmConfig(wasmFilter("trapper", recorderWasm(t), "trap=proxy_on_request_headers", "                "+c.policy))
			p := start(t, writeConfig(t, cfg), "envoy", "-c", "envoy.yaml", "--concurrency", "1")
			resp, _ := get(t, "http://127.0.0.1:10000/")
			if resp.StatusCode != c.first {
				t.Fatalf("first request: %d, want %d", resp.StatusCode, c.first)
			}
			time.Sleep(200 * time.Millisecond)
			resp, _ = get(t, "http://127.0.0.1:10000/")
			if resp.StatusCode != c.after {
				t.Fatalf("next request: %d, want %d", resp.StatusCode, c.after)
			}
			deadline := time.Now().Add(5 * time.Second)
			for strings.Count(p.output(), "Wasm VM failed") < c.failures && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := strings.Count(p.output(), "Wasm VM failed"); n != c.failures {
				t.Errorf("%d VM failures logged, want %d", n, c.failures)
			}
			_, body := get(t, p.admin+"/wasm")
			if !strings.Contains(string(body), `"State": "failed"`) {
				t.Errorf("/wasm does not report the failure: %s", body)
			}
			p.stop()
		})
	}
}

// A filter that pauses on the body until end of stream and rewrites it:
// the client sees the new body with a content-length that matches.
func TestBodyRewriteKeepsContentLength(t *testing.T) {
	dir := t.TempDir()
	buildFilter(t, "bodyrewrite", dir, "bodyrewrite.wasm")
	echoServer(t, "127.0.0.1:18080")
	cfg := hcmConfig(wasmFilter("rewrite", "./bodyrewrite.wasm", `{"from":"payload","to":"PAYLOAD-REWRITTEN"}`))
	writeConfigIn(t, dir, cfg)
	p := start(t, dir, "envoy", "-c", "envoy.yaml")
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:10000/echo", strings.NewReader("payload"))
	resp, body := do(t, req)
	var e echoed
	json.Unmarshal(body, &e)
	if e.Body != "PAYLOAD-REWRITTEN" {
		t.Errorf("upstream saw body %q", e.Body)
	}
	if !bytes.Contains(body, []byte("PAYLOAD-REWRITTEN")) || resp.ContentLength != int64(len(body)) && resp.ContentLength != -1 {
		t.Errorf("response content-length %d for %d bytes", resp.ContentLength, len(body))
	}
	p.stop()
}

func TestAdminEndpoints(t *testing.T) {
	dir := t.TempDir()
	buildFilter(t, "metrics", dir, "metrics.wasm")
	echoServer(t, "127.0.0.1:18080")
	writeConfigIn(t, dir, hcmConfig(wasmFilter("metrics", "./metrics.wasm", "")))
	p := start(t, dir, "envoy", "-c", "envoy.yaml", "--concurrency", "2")
	for i := 0; i < 3; i++ {
		get(t, "http://127.0.0.1:10000/")
	}
	checks := []struct{ path, want string }{
		{"/ready", "LIVE"},
		{"/server_info", `"state": "LIVE"`},
		{"/listeners", "main::127.0.0.1:10000"},
		{"/clusters", "web::127.0.0.1:18080::rq_total::3"},
		{"/stats", "http.ingress_http.downstream_rq_2xx: 3"},
		{"/stats", "wasmesh_requests_total: 3"},
		{"/stats", "cluster.web.upstream_rq_total: 3"},
		{"/stats?filter=wasmesh_requests", "wasmesh_requests_total: 3"},
		{"/stats/prometheus", "envoy_http_ingress_http_downstream_rq_total 3"},
		{"/stats/prometheus", "# TYPE wasmesh_requests_total counter\nwasmesh_requests_total 3"},
		{"/stats/prometheus", "wasmesh_request_duration_milliseconds_count 3"},
		{"/config_dump", `"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"`},
		{"/logging", "wasm: info"},
		{"/wasm", `"State": "running"`},
	}
	for _, c := range checks {
		_, body := get(t, p.admin+c.path)
		if !strings.Contains(string(body), c.want) {
			t.Errorf("%s does not contain %q:\n%s", c.path, c.want, body)
		}
	}
	// POST /logging?wasm=debug changes the wasm logger, as seed 004 does.
	resp, err := http.Post(p.admin+"/logging?wasm=debug", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "wasm: debug") {
		t.Errorf("/logging?wasm=debug: %s", body)
	}
	// /quitquitquit exits 0.
	if _, err := http.Post(p.admin+"/quitquitquit", "", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after /quitquitquit")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// SIGTERM lets in-flight requests finish, then exits 0.
func TestSIGTERMDrains(t *testing.T) {
	echoServer(t, "127.0.0.1:18080")
	p := start(t, writeConfig(t, hcmConfig("")), "envoy", "-c", "envoy.yaml")
	var wg sync.WaitGroup
	var status int
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get("http://127.0.0.1:10000/slow")
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
		}
	}()
	time.Sleep(150 * time.Millisecond)
	p.stop()
	wg.Wait()
	if status != 200 {
		t.Fatalf("in-flight request got %d, want 200", status)
	}
}

func TestLogFormatAndComponentLevels(t *testing.T) {
	dir := t.TempDir()
	buildFilter(t, "addheader", dir, "f.wasm")
	echoServer(t, "127.0.0.1:18080")
	writeConfigIn(t, dir, hcmConfig(wasmFilter("fmt", "./f.wasm", "")))
	p := start(t, dir, "envoy", "-c", "envoy.yaml", "--log-format", "%v", "-l", "warning", "--component-log-level", "wasm:info,main:info")
	get(t, "http://127.0.0.1:10000/")
	p.waitLog("\nwasm log fmt: request header --> :path: /")
	if strings.Contains(p.output(), "][info][") {
		t.Errorf("--log-format %%v must print the message alone")
	}
	p.stop()
}

func writeConfigIn(t *testing.T, dir, yaml string) {
	t.Helper()
	if err := writeFile(filepath.Join(dir, "envoy.yaml"), yaml); err != nil {
		t.Fatal(err)
	}
}
