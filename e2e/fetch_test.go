package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// istioConfig has two listeners, 10000 (FAIL_CLOSED) and 10001
// (FAIL_OPEN), each with the AddHeader filter as istiod generates it:
// remote code at uri, cluster "_", the given sha256 ("nil" for none).
func istioConfig(uri, sha string) string {
	listener := func(port int, name, policy string) string {
		return fmt.Sprintf(`
  - name: %[2]s
    address: { socket_address: { address: 127.0.0.1, port_value: %[1]d } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: %[2]s
          route_config:
            virtual_hosts:
            - { name: web, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: web } }] }
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: default.%[2]s
                root_id: add_header
                failure_policy: %[3]s
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: %[2]s }
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  environment_variables: { key_values: { ISTIO_META_WASM_IMAGE_PULL_POLICY: IfNotPresent } }
                  code:
                    remote:
                      http_uri: { uri: %[4]q, cluster: _, timeout: 5s }
                      sha256: %[5]s
                      retry_policy: { num_retries: 0, retry_back_off: { base_interval: 0.1s, max_interval: 0.5s } }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`, port, name, policy, uri, sha)
	}
	return "static_resources:\n  listeners:" + listener(10000, "closed", "FAIL_CLOSED") + listener(10001, "open", "FAIL_OPEN") + `
  clusters:
  - name: web
    load_assignment:
      cluster_name: web
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18080 } } } }] }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 9901 } }
`
}

// wasmState is what the test reads of /wasm.
type wasmState struct {
	Name, State, Reason, Source, SHA256, ImageDigest, Fallback string
	FromCache                                                  bool
	RetryAt                                                    *time.Time
}

func plugins(t *testing.T, p *proc) []wasmState {
	t.Helper()
	_, body := get(t, p.admin+"/wasm")
	var out struct{ Plugins []wasmState }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("/wasm: %v: %s", err, body)
	}
	return out.Plugins
}

// waitRunning waits (10s at most) until every plugin is running.
func waitRunning(t *testing.T, p *proc) []wasmState {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, running := plugins(t, p), 0
		for _, st := range ps {
			if st.State == "running" {
				running++
			}
		}
		if running == len(ps) && running > 0 {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugins not running after 10s: %+v", ps)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An Istio-style remote module (oci://, cluster "_", sha256 nil) whose
// registry is down at start: the proxy starts anyway, fail-closed answers
// 503 and fail-open passes untouched, /wasm says "fetch failed" with the
// retry time; when the registry comes up the background retry loads the
// filter and traffic goes through it, without a restart. A restart with
// the registry down then loads the module from the cache.
func TestFetchIstioRemoteCode(t *testing.T) {
	wasm, err := os.ReadFile("../examples/assemblyscript/addheader/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	backend := ocitest.NewRegistry(t)
	img, _ := oci.NewImage(wasm, oci.ImageMeta{RootIDs: []string{"add_header"}}, oci.FormatOCI)
	digest, err := oci.Push(context.Background(), img, backend+"/filters/x:v1", oci.Options{Keychain: anonymous{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	regAddr := ln.Addr().String() // the registry's address; down for now
	ln.Close()
	echoServer(t, "127.0.0.1:18080")
	uri := "oci://" + regAddr + "/filters/x:v1"
	dir := writeConfig(t, istioConfig(uri, "nil"))
	cache := t.TempDir()

	p := start(t, dir, "envoy", "-c", "envoy.yaml", "--cache-dir", cache)
	if resp, _ := get(t, "http://127.0.0.1:10000/"); resp.StatusCode != 503 {
		t.Errorf("fail-closed, registry down: %d, want 503", resp.StatusCode)
	}
	if resp, _ := get(t, "http://127.0.0.1:10001/"); resp.StatusCode != 200 || resp.Header.Get("hello") != "" {
		t.Errorf("fail-open, registry down: %d hello=%q, want 200 untouched", resp.StatusCode, resp.Header.Get("hello"))
	}
	for _, st := range plugins(t, p) {
		if st.State != "fetch failed" && st.State != "fetching" || st.Fallback == "" || st.Source != uri {
			t.Errorf("registry down: %+v", st)
		}
		if st.State == "fetch failed" && (st.RetryAt == nil || !strings.Contains(st.Reason, uri)) {
			t.Errorf("fetch failed without a retry time or a reason naming the URL: %+v", st)
		}
	}

	target, _ := url.Parse("http://" + backend)
	gate, err := net.Listen("tcp", regAddr)
	if err != nil {
		t.Fatalf("registry address %s: %v", regAddr, err)
	}
	gsrv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(target)}
	go gsrv.Serve(gate)
	downloads := 0
	for _, st := range waitRunning(t, p) {
		if st.ImageDigest != digest.String() || st.Fallback != "" || st.RetryAt != nil {
			t.Errorf("after the fetch: %+v", st)
		}
		if !st.FromCache {
			downloads++
		}
	}
	if downloads != 1 { // the same URL: downloaded once, the other from the cache
		t.Errorf("%d downloads, want 1", downloads)
	}
	for port, want := range map[int]string{10000: "closed", 10001: "open"} {
		if resp, _ := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); resp.StatusCode != 200 || resp.Header.Get("hello") != want {
			t.Errorf("port %d after the fetch: %d hello=%q, want %q", port, resp.StatusCode, resp.Header.Get("hello"), want)
		}
	}
	p.waitLog("requests go through it now")
	p.stop()

	// Restart with the registry down: IfNotPresent takes the cached module.
	gsrv.Close()
	p = start(t, dir, "envoy", "-c", "envoy.yaml", "--cache-dir", cache)
	for _, st := range waitRunning(t, p) {
		if !st.FromCache || st.ImageDigest != digest.String() {
			t.Errorf("restart with a cache: %+v", st)
		}
	}
	if resp, _ := get(t, "http://127.0.0.1:10000/"); resp.Header.Get("hello") != "closed" {
		t.Errorf("restart with a cache: hello=%q", resp.Header.Get("hello"))
	}
	p.stop()
}

// A sha256 that is not the image's manifest digest: refused, both digests
// named in /wasm, fail-closed answers 503.
func TestFetchIstioDigestMismatch(t *testing.T) {
	wasm, err := os.ReadFile("../examples/assemblyscript/addheader/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	backend := ocitest.NewRegistry(t)
	img, _ := oci.NewImage(wasm, oci.ImageMeta{}, oci.FormatOCI)
	digest, err := oci.Push(context.Background(), img, backend+"/filters/x:v1", oci.Options{Keychain: anonymous{}})
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, "127.0.0.1:18080")
	wrong := strings.Repeat("ab", 32)
	p := start(t, writeConfig(t, istioConfig("oci://"+backend+"/filters/x:v1", wrong)), "envoy", "-c", "envoy.yaml", "--cache-dir", t.TempDir())
	if resp, _ := get(t, "http://127.0.0.1:10000/"); resp.StatusCode != 503 {
		t.Errorf("mismatch, fail-closed: %d, want 503", resp.StatusCode)
	}
	for _, st := range plugins(t, p) {
		if st.State != "fetch failed" && st.State != "fetching" || !strings.Contains(st.Reason, digest.String()) || !strings.Contains(st.Reason, wrong) {
			t.Errorf("mismatch: %+v", st)
		}
	}
	p.stop()
}
