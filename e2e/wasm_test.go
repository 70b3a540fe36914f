package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

func buildTestFilter(t *testing.T, name, out string) {
	t.Helper()
	if err := wasmbuild.Go(context.Background(), filepath.Join("testdata", name), out); err != nil {
		t.Fatal(err)
	}
}

// The properties Envoy serves, environment variables, node from the
// bootstrap and --service-node.
func TestPropertiesAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	buildTestFilter(t, "props", filepath.Join(dir, "props.wasm"))
	echoServer(t, "127.0.0.1:18080")
	cfg := hcmConfig(wasmFilter("props_plugin", "./props.wasm", "", `                root_id: props_root`)) + `
node: { id: node-1, cluster: mesh }`
	cfg = strings.Replace(cfg, "code: { local: { filename: ./props.wasm } }", `code: { local: { filename: ./props.wasm } }
                  vm_id: props_vm
                  environment_variables: { key_values: { GREETING: hello-env } }`, 1)
	cfg = strings.Replace(cfg, "- match: { prefix: \"/\" }", "- name: default_route\n                match: { prefix: \"/\" }", 1)
	writeConfigIn(t, dir, cfg)
	p := start(t, dir, "envoy", "-c", "envoy.yaml")
	resp, _ := get(t, "http://127.0.0.1:10000/some/path?x=1", "user-agent", "props-test")
	want := map[string]string{
		"x-prop-request.path":               "/some/path?x=1",
		"x-prop-request.url_path":           "/some/path",
		"x-prop-request.host":               "127.0.0.1:10000",
		"x-prop-request.method":             "GET",
		"x-prop-request.scheme":             "http",
		"x-prop-request.headers.user-agent": "props-test",
		"x-prop-destination.address":        "127.0.0.1:10000",
		"x-prop-plugin_name":                "props_plugin",
		"x-prop-plugin_root_id":             "props_root",
		"x-prop-plugin_vm_id":               "props_vm",
		"x-prop-node.id":                    "node-1",
		"x-prop-xds.node.id":                "node-1",
		"x-prop-node.cluster":               "mesh",
		"x-prop-route_name":                 "default_route",
		"x-prop-xds.cluster_name":           "web",
		"x-prop-response.code":              "200",
		"x-prop-destination.port":           "10000",
		"x-env-greeting":                    "hello-env",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.HasPrefix(resp.Header.Get("x-prop-source.address"), "127.0.0.1:") {
		t.Errorf("source.address %q", resp.Header.Get("x-prop-source.address"))
	}
	p.stop()
}

// Code fetched from vm_config.code.remote through a cluster, checked
// against its sha256.
func TestRemoteCode(t *testing.T) {
	wasm, err := os.ReadFile("../examples/assemblyscript/addheader/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	ln, err := net.Listen("tcp", "127.0.0.1:18083")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(wasm) })}
	go srv.Serve(ln)
	defer srv.Close()
	echoServer(t, "127.0.0.1:18080")
	remote := func(sha string) string {
		return withCluster(hcmConfig(`
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: add_header
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: remote }
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code:
                    remote:
                      http_uri: { uri: "http://127.0.0.1:18083/filter.wasm", cluster: code_server, timeout: 5s }
                      sha256: `+sha), `
  - name: code_server
    connect_timeout: 1s
    load_assignment:
      cluster_name: code_server
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18083 } } } }] }]`)
	}
	p := start(t, writeConfig(t, remote(hex.EncodeToString(sum[:]))), "envoy", "-c", "envoy.yaml")
	resp, _ := get(t, "http://127.0.0.1:10000/")
	if resp.Header.Get("hello") != "remote" {
		t.Fatalf("hello=%q", resp.Header.Get("hello"))
	}
	p.stop()

	// A digest mismatch: the plugin does not load; fail closed gives 503.
	p = start(t, writeConfig(t, remote(strings.Repeat("ab", 32))), "envoy", "-c", "envoy.yaml")
	resp, _ = get(t, "http://127.0.0.1:10000/")
	if resp.StatusCode != 503 {
		t.Fatalf("status %d with a sha256 mismatch, want 503 (fail closed)", resp.StatusCode)
	}
	if !strings.Contains(p.output(), "sha256") {
		t.Error("the mismatch must be logged")
	}
	p.stop()
}

// withCluster adds a cluster (YAML list entry) to a config made by
// hcmConfig.
func withCluster(cfg, cluster string) string {
	return strings.Replace(cfg, "\nadmin:", cluster+"\nadmin:", 1)
}
