package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/tlsconf/tlstest"
)

// TestTCPProxyTLS terminates TLS on a tcp_proxy listener in front of a
// plaintext echo upstream.
func TestTCPProxyTLS(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	ca := tlstest.NewCA("ca")
	dir := t.TempDir()
	cert, key := ca.Server("127.0.0.1").WriteFiles(dir, "server")
	_, port, _ := net.SplitHostPort(up.Addr().String())
	cfg, err := envoyconfig.Parse([]byte(`
static_resources:
  listeners:
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates: [{ certificate_chain: { filename: `+cert+` }, private_key: { filename: `+key+` } }]
      filters:
      - name: t
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: t, cluster: echo }
  clusters:
  - name: echo
    load_assignment: { cluster_name: echo, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: `+port+` } } } }] }] }
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, Options{Concurrency: 1, Logger: NewLogger(io.Discard, host.LogInfo, "")})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	defer func() { _ = srv.Shutdown(context.Background()) }()
	c, err := tls.Dial("tcp", srv.ListenerAddr("tcp").String(), &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "ping"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q %v", buf, err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "" {
		t.Errorf("tcp_proxy listener negotiated ALPN %q", p)
	}
}

// TestListenerTLSErrors checks that start-up errors name the field.
func TestListenerTLSErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ certs, want string }{
		{`tls_certificates: [{ certificate_chain: { filename: ` + bad + ` }, private_key: { filename: ` + bad + ` } }]`,
			"static_resources.listeners[0].filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificates[0]: tls: "},
		{`tls_certificates: [{ certificate_chain: { filename: /nonexistent.pem }, private_key: { inline_string: x } }]`,
			"common_tls_context.tls_certificates[0].certificate_chain.filename: open /nonexistent.pem"},
		{`validation_context: { trusted_ca: { inline_string: x } }`,
			"common_tls_context.tls_certificates: a listener needs a certificate"},
	} {
		cfg, err := envoyconfig.Parse([]byte(`
static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context: { `+tc.certs+` }
      filters: [{ name: t, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: t, cluster: c } }]
  clusters: [{ name: c }]
`), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(context.Background(), cfg, Options{Concurrency: 1, ValidateOnly: true, Logger: NewLogger(io.Discard, host.LogInfo, "")})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestTLSProperties(t *testing.T) {
	for _, tc := range []struct {
		cs                     *tls.ConnectionState
		mtls, version, sniWant string
	}{
		{nil, "false", "", ""},
		{&tls.ConnectionState{Version: tls.VersionTLS13, ServerName: "a.example"}, "false", "TLSv1.3", "a.example"},
		{&tls.ConnectionState{Version: tls.VersionTLS12, PeerCertificates: []*x509.Certificate{{}}}, "true", "TLSv1.2", ""},
	} {
		m, _ := tlsProperty(tc.cs, "mtls")
		v, _ := tlsProperty(tc.cs, "tls_version")
		s, _ := tlsProperty(tc.cs, "requested_server_name")
		if got := strconv.FormatBool(m[0] == 1); got != tc.mtls || string(v) != tc.version || string(s) != tc.sniWant {
			t.Errorf("%+v: mtls %s version %q sni %q", tc.cs, got, v, s)
		}
	}
	if _, ok := tlsProperty(nil, "other"); ok {
		t.Error("unknown property found")
	}
}
