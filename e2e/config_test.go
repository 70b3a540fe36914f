package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes an Envoy config into a temp dir and returns the dir.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hcmConfig is a listener on 10000 with the given http_filters before the
// router, a cluster "web" on 127.0.0.1:18080, admin on 9901.
func hcmConfig(filters string, extra ...string) string {
	c := `
static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: 10000 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          route_config:
            virtual_hosts:
            - name: web
              domains: ["*"]
              routes:
              - match: { prefix: "/direct" }
                direct_response: { status: 418, body: { inline_string: "teapot" } }
              - match: { prefix: "/" }
                route: { cluster: web, timeout: 2s }
          http_filters:
` + filters + `
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: web
    connect_timeout: 1s
    load_assignment:
      cluster_name: web
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18080 } } } }] }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 9901 } }
`
	return c + strings.Join(extra, "\n")
}

// wasmFilter is an http_filters entry for a local module.
func wasmFilter(name, file, config string, extra ...string) string {
	return `
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: ` + name + `
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: '` + config + `' }
` + strings.Join(extra, "\n") + `
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code: { local: { filename: ` + file + ` } }`
}

func TestBadConfigNamesFileAndField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unsupported field", strings.Replace(hcmConfig(""), "stat_prefix: ingress_http", "stat_prefix: ingress_http\n          xff_num_trusted_hops: 1", 1),
			"envoy.yaml: static_resources.listeners[0].filter_chains[0].filters[0].typed_config.xff_num_trusted_hops"},
		{"unknown field", strings.Replace(hcmConfig(""), "stat_prefix: ingress_http", "stat_prefix: ingress_http\n          no_such_field: 1", 1), "no_such_field"},
		{"missing wasm file", hcmConfig(wasmFilter("f", "./missing.wasm", "")), "missing.wasm"},
		{"unknown cluster", strings.Replace(hcmConfig(""), "route: { cluster: web, timeout: 2s }", "route: { cluster: nope }", 1), "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeConfig(t, c.yaml)
			out, code := run(t, dir, "envoy", "-c", "envoy.yaml")
			if code == 0 || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, output %q; want non-zero and a message containing %q", code, out, c.want)
			}
		})
	}
}

func TestValidateMode(t *testing.T) {
	dir := writeConfig(t, hcmConfig(wasmFilter("recorder", filepath.Join(mustAbs(t, "../host/testdata/recorder/filter.wasm")), "")))
	out, code := run(t, dir, "envoy", "-c", "envoy.yaml", "--mode", "validate")
	if code != 0 || !strings.Contains(out, "configuration 'envoy.yaml' OK") {
		t.Fatalf("exit %d: %s", code, out)
	}
	bad := writeConfig(t, hcmConfig(wasmFilter("bad", "./missing.wasm", "")))
	if out, code := run(t, bad, "envoy", "-c", "envoy.yaml", "--mode", "validate"); code == 0 {
		t.Fatalf("validate accepted a missing module: %s", out)
	}
}

func mustAbs(t *testing.T, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
