package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/fetch"
	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// istioListener is a listener with one Wasm filter as istiod generates it
// (remote oci code, cluster "_", sha256 "nil"), with fast retries.
func istioListener(name, uri, policy, config string) string {
	return fmt.Sprintf(`
  - name: %[1]s
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: %[1]s
          route_config:
            virtual_hosts:
            - { name: web, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: web } }] }
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: default.%[1]s
                root_id: add_header
                failure_policy: %[3]s
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: %[4]s }
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  environment_variables:
                    key_values: { ISTIO_META_WASM_IMAGE_PULL_POLICY: IfNotPresent, ISTIO_META_WASM_PLUGIN_RESOURCE_VERSION: "7", GUEST: "yes" }
                  code:
                    remote:
                      http_uri: { uri: %[2]q, cluster: _, timeout: 2s }
                      sha256: nil
                      retry_policy: { num_retries: 0, retry_back_off: { base_interval: 0.05s, max_interval: 0.2s } }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`, name, uri, policy, config)
}

// The registry is down when the server starts: the fail-closed plugin
// denies (503), the fail-open one is skipped, /wasm says "fetch failed"
// with the retry time; once the registry is up the background retry loads
// both and requests go through them, without a restart.
func TestFetchFallbackThenBackgroundLoad(t *testing.T) {
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
	// The registry's address, with nothing listening yet.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	regAddr := ln.Addr().String()
	ln.Close()
	upstream, _ := net.Listen("tcp", "127.0.0.1:0")
	go http.Serve(upstream, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "upstream") }))
	defer upstream.Close()

	uri := "oci://" + regAddr + "/filters/x:v1"
	yaml := "static_resources:\n  listeners:" + istioListener("closed", uri, "FAIL_CLOSED", "closed") + istioListener("open", uri, "FAIL_OPEN", "open") + fmt.Sprintf(`
  clusters:
  - name: web
    load_assignment:
      cluster_name: web
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } } }] }]
`, upstream.Addr().(*net.TCPAddr).Port)
	cfg, err := envoyconfig.Parse([]byte(yaml), "istio.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	srv, err := New(context.Background(), cfg, Options{Concurrency: 2, CacheDir: cacheDir, Logger: NewLogger(io.Discard, host.LogInfo, "")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	go srv.Serve()

	get := func(listener string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + srv.ListenerAddr(listener).String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("hello")
	}
	if code, _ := get("closed"); code != 503 {
		t.Errorf("fail-closed while the registry is down: %d, want 503", code)
	}
	if code, hello := get("open"); code != 200 || hello != "" {
		t.Errorf("fail-open while the registry is down: %d hello=%q, want 200 untouched", code, hello)
	}
	for _, st := range srv.Plugins() {
		if st.State != stateFetchFailed && st.State != stateFetching || st.Fallback == "" || st.Source != uri {
			t.Errorf("while down: %+v", st)
		}
		if st.State == stateFetchFailed && (st.RetryAt == nil || !strings.Contains(st.Reason, uri)) {
			t.Errorf("fetch failed without retry time or reason naming the URL: %+v", st)
		}
	}

	// The registry comes up.
	target, _ := url.Parse("http://" + backend)
	gate, err := net.Listen("tcp", regAddr)
	if err != nil {
		t.Fatalf("reopen %s: %v", regAddr, err)
	}
	go http.Serve(gate, httputil.NewSingleHostReverseProxy(target))
	defer gate.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		running := 0
		for _, st := range srv.Plugins() {
			if st.State == stateRunning {
				running++
			}
		}
		if running == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugins not running 10s after the registry came up: %+v", srv.Plugins())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, l := range []string{"closed", "open"} {
		if code, hello := get(l); code != 200 || hello != l {
			t.Errorf("%s after the fetch: %d hello=%q, want 200 hello=%s", l, code, hello, l)
		}
	}
	for _, st := range srv.Plugins() {
		if st.ImageDigest != digest.String() || st.SHA256 == "" || st.Fallback != "" || st.RetryAt != nil || st.Attempts < 2 {
			t.Errorf("after the fetch: %+v", st)
		}
	}
	// ISTIO_META_* is the agent's: the guest does not see it.
	for _, p := range srv.wasm.plugins {
		env := p.set.Load().cfg.Env
		if env["GUEST"] != "yes" || len(env) != 1 {
			t.Errorf("guest environment %v, want only GUEST", env)
		}
	}
	if _, err := os.Stat(cacheDir + "/modules/" + srv.Plugins()[0].SHA256 + ".wasm"); err != nil {
		t.Errorf("module not cached: %v", err)
	}
}

func TestFetchPullPolicyEnv(t *testing.T) {
	c := newRemoteCode(nil, map[string]string{envPullPolicy: "Always", envPullSecret: `{"auths":{}}`})
	if c.opts.PullPolicy != fetch.Always || string(c.opts.PullSecret) != `{"auths":{}}` || c.optsErr != nil || c.viaCluster {
		t.Errorf("%+v", c)
	}
	if c := newRemoteCode(nil, map[string]string{envPullPolicy: "Sometimes"}); c.optsErr == nil {
		t.Error("a bad pull policy is not an error")
	}
	env := map[string]string{"ISTIO_META_A": "1", "B": "2"}
	if istio := stripIstioEnv(env); len(env) != 1 || istio["ISTIO_META_A"] != "1" {
		t.Errorf("env %v istio %v", env, istio)
	}
}
