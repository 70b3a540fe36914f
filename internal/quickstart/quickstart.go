// Package quickstart builds what `wasmesh run` starts: an Envoy bootstrap
// with one Wasm filter in front of an upstream, and the built-in echo
// upstream (httpbin's /headers, /anything).
package quickstart

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Options describe the generated config.
type Options struct {
	// WasmFile is the module's absolute path.
	WasmFile string
	// Config is the plugin configuration (a StringValue).
	Config string
	// RootID and Name of the plugin.
	RootID, Name string
	// Listen is the listener address, host:port.
	Listen string
	// Admin is the admin address, host:port ("" for none).
	Admin string
	// Upstream is host:port of the upstream; HTTP/1.1.
	Upstream string
}

// Bootstrap returns the Envoy v3 bootstrap (YAML) that `wasmesh run`
// serves; `wasmesh run --print-config` prints it, and it runs unchanged
// in Envoy.
func Bootstrap(o Options) (string, error) {
	lh, lp, err := splitHostPort(o.Listen)
	if err != nil {
		return "", fmt.Errorf("quickstart: --listen: %w", err)
	}
	uh, up, err := splitHostPort(o.Upstream)
	if err != nil {
		return "", fmt.Errorf("quickstart: --upstream: %w", err)
	}
	clusterType := "STATIC"
	if net.ParseIP(uh) == nil {
		clusterType = "STRICT_DNS"
	}
	name := o.Name
	if name == "" {
		name = "filter"
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	y := fmt.Sprintf(`static_resources:
  listeners:
  - name: main
    address:
      socket_address: { address: %s, port_value: %d }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          route_config:
            name: local_route
            virtual_hosts:
            - name: upstream
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: upstream }
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: %s
                root_id: %s
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: %s
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code:
                    local:
                      filename: %s
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: upstream
    connect_timeout: 1s
    type: %s
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: %s, port_value: %d }
`, lh, lp, q(name), q(o.RootID), q(o.Config), q(o.WasmFile), clusterType, uh, up)
	if o.Admin != "" {
		ah, ap, err := splitHostPort(o.Admin)
		if err != nil {
			return "", fmt.Errorf("quickstart: admin: %w", err)
		}
		y += fmt.Sprintf("admin:\n  address:\n    socket_address: { address: %s, port_value: %d }\n", ah, ap)
	}
	return y, nil
}

// UpstreamAddr turns --upstream (a URL or host:port) into host:port.
func UpstreamAddr(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("quickstart: --upstream %q: %w", s, err)
	}
	if u.Scheme != "http" {
		return "", fmt.Errorf("quickstart: --upstream %q: only http upstreams are supported", s)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

func splitHostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	if h == "" {
		h = "0.0.0.0"
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return h, port, nil
}

// Echo is the built-in upstream: every path answers with the request it
// received as JSON ({"method", "path", "headers", "body"}), like httpbin's
// /anything; /headers answers {"headers": {...}} like httpbin's /headers.
func Echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers := map[string]string{"Host": r.Host}
		for k, v := range r.Header {
			headers[k] = strings.Join(v, ",")
		}
		out := map[string]any{"headers": headers}
		if r.URL.Path != "/headers" {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			out["method"], out["path"], out["body"] = r.Method, r.URL.RequestURI(), string(body)
		}
		w.Header().Set("content-type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	})
}
