package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/internal/tlsconf/tlstest"
)

// tlsConfig is a TLS listener "main" on 10000 (Wasm add_header, configuration
// "tls") and an mTLS listener "mtls" on 10001, both routing to the TLS
// cluster "secure" on 127.0.0.1:18085. Certificates are in dir: ca.pem,
// server.pem, server-key.pem. certFile replaces the listeners' certificate
// file name.
func tlsConfig(t *testing.T, dir, certFile string) string {
	ln := func(name, port, extra string) string {
		return `
  - name: ` + name + `
    address: { socket_address: { address: 127.0.0.1, port_value: ` + port + ` } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          ` + extra + `
          common_tls_context:
            tls_certificates: [{ certificate_chain: { filename: ` + certFile + ` }, private_key: { filename: ` + filepath.Join(dir, "server-key.pem") + ` } }]
            validation_context: { trusted_ca: { filename: ` + filepath.Join(dir, "ca.pem") + ` } }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ` + name + `
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: secure, timeout: 5s } }] }]
          http_filters:` + wasmFilter("add_header", mustAbs(t, "../examples/assemblyscript/addheader/filter.wasm"), "tls", "                root_id: add_header") + `
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`
	}
	return `
static_resources:
  listeners:` + ln("main", "10000", "") + ln("mtls", "10001", "require_client_certificate: true") + `
  clusters:
  - name: secure
    connect_timeout: 1s
    load_assignment:
      cluster_name: secure
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18085 } } } }] }]
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: upstream.local
        common_tls_context:
          validation_context: { trusted_ca: { filename: ` + filepath.Join(dir, "ca.pem") + ` } }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 9901 } }
`
}

// tlsUpstream is an HTTPS server on 127.0.0.1:18085 with a certificate for
// upstream.local; it counts requests and records the SNI and path it saw.
type tlsUpstream struct {
	requests  atomic.Int64
	sni, path atomic.Value
}

func startTLSUpstream(t *testing.T, ca *tlstest.CA) *tlsUpstream {
	u := &tlsUpstream{}
	ln, err := net.Listen("tcp", "127.0.0.1:18085")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.requests.Add(1)
		u.path.Store(r.URL.Path)
		w.Header().Set("x-upstream-tls", r.TLS.ServerName)
		io.WriteString(w, "secure upstream")
	}))
	s.Listener.Close()
	s.Listener = ln
	s.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server("upstream.local").TLS()}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return u
}

func TestTLS(t *testing.T) {
	ca := tlstest.NewCA("e2e ca")
	dir := writeConfig(t, "")
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := ca.Server("localhost", "127.0.0.1").WriteFiles(dir, "server")
	if err := writeFile(filepath.Join(dir, "envoy.yaml"), tlsConfig(t, dir, cert)); err != nil {
		t.Fatal(err)
	}
	up := startTLSUpstream(t, ca)
	p := start(t, dir, "envoy", "-c", "envoy.yaml")

	client := func(h2 bool, certs ...tls.Certificate) *http.Client {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: certs}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	for _, tc := range []struct {
		name  string
		h2    bool
		proto int
	}{{"https http/1.1", false, 1}, {"https h2", true, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			before := up.requests.Load()
			resp, err := client(tc.h2).Get("https://127.0.0.1:10000/" + tc.name[6:])
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "secure upstream" || resp.ProtoMajor != tc.proto {
				t.Fatalf("%d %s %q", resp.StatusCode, resp.Proto, body)
			}
			if resp.Header.Get("hello") != "tls" {
				t.Errorf("hello header %q, want tls (the Wasm filter)", resp.Header.Get("hello"))
			}
			if resp.Header.Get("x-upstream-tls") != "upstream.local" || up.requests.Load() != before+1 {
				t.Errorf("upstream saw SNI %q, %d requests", resp.Header.Get("x-upstream-tls"), up.requests.Load()-before)
			}
		})
	}
	t.Run("mtls refuses a client without a certificate", func(t *testing.T) {
		if resp, err := client(false).Get("https://127.0.0.1:10001/"); err == nil {
			resp.Body.Close()
			t.Fatalf("status %d without a client certificate", resp.StatusCode)
		}
		resp, err := client(true, ca.Client("e2e client").TLS()).Get("https://127.0.0.1:10001/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("hello") != "tls" {
			t.Errorf("with a certificate: %d %v", resp.StatusCode, resp.Header)
		}
	})
	p.stop()
}

func TestTLSBadCertificateFile(t *testing.T) {
	dir := writeConfig(t, "")
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), tlstest.NewCA("e2e ca").CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "envoy.yaml"), tlsConfig(t, dir, filepath.Join(dir, "missing.pem"))); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, dir, "envoy", "-c", "envoy.yaml")
	want := "static_resources.listeners[0].filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificates[0].certificate_chain.filename"
	if code == 0 || !strings.Contains(out, want) {
		t.Fatalf("exit %d, output %q; want a message naming %s", code, out, want)
	}
}
