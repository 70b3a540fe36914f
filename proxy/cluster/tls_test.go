package cluster

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/wasmesh/wasmesh/internal/tlsconf/tlstest"
)

// tlsBackend is an httptest TLS server that records the SNI it was sent.
type tlsBackend struct {
	*backend
	sni atomic.Value // string
}

// newTLSBackend serves echoHandler(id) over TLS with a certificate from ca;
// h2 enables HTTP/2 (ALPN); clientCA, if not nil, requires client
// certificates it signed.
func newTLSBackend(t *testing.T, id string, ca *tlstest.CA, h2 bool, clientCA *tlstest.CA) *tlsBackend {
	t.Helper()
	tb := &tlsBackend{}
	tb.sni.Store("")
	s := httptest.NewUnstartedServer(echoHandler(id))
	s.EnableHTTP2 = h2
	s.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.Server("svc.example").TLS()},
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			tb.sni.Store(hi.ServerName)
			return nil, nil
		},
	}
	if clientCA != nil {
		s.TLS.ClientAuth, s.TLS.ClientCAs = tls.RequireAndVerifyClientCert, clientCA.Pool()
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	_, p, _ := strings.Cut(s.Listener.Addr().String(), ":")
	port, _ := strconv.Atoi(p)
	tb.backend = &backend{Server: s, id: id, port: port}
	return tb
}

// tlsSocket is a cluster transport_socket field with the UpstreamTlsContext body.
func tlsSocket(body string) string {
	return `"transport_socket":{"name":"envoy.transport_sockets.tls","typed_config":{
		"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",` + body + `}}`
}

// trusted is a validation_context trusting ca.
func trusted(ca *tlstest.CA) string {
	return `"validation_context":{"trusted_ca":{"inline_string":` + strconv.Quote(string(ca.CertPEM)) + `}}`
}

func TestTLSUpstream(t *testing.T) {
	ca := tlstest.NewCA("test ca")
	h1 := newTLSBackend(t, "h1", ca, false, nil)
	h2 := newTLSBackend(t, "h2", ca, true, nil)
	m := newManager(t, Options{},
		clusterJSON("h1", "STATIC", "ROUND_ROBIN", tlsSocket(`"sni":"svc.example","common_tls_context":{`+trusted(ca)+`}`), h1.ep()),
		clusterJSON("h2", "STATIC", "ROUND_ROBIN", `"http2_protocol_options":{},`+tlsSocket(`"sni":"h2.example","common_tls_context":{`+trusted(ca)+`}`), h2.ep()),
	)
	for _, tc := range []struct {
		b          *tlsBackend
		proto, sni string
	}{{h1, "1", "svc.example"}, {h2, "2", "h2.example"}} {
		cl := m.Cluster(tc.b.id)
		for range 2 {
			resp, body := get(t, cl, "/x")
			if body != tc.b.id || resp.Header.Get("x-proto") != tc.proto {
				t.Errorf("%s: body %q proto %q", tc.b.id, body, resp.Header.Get("x-proto"))
			}
		}
		if got := tc.b.sni.Load(); got != tc.sni {
			t.Errorf("%s: server saw SNI %q, want %q", tc.b.id, got, tc.sni)
		}
		if st := cl.Stats(); st.UpstreamCxTotal != 1 || st.UpstreamRq2xx != 2 {
			t.Errorf("%s: stats %+v", tc.b.id, st)
		}
	}
}

func TestTLSUpstreamSNIFromHostname(t *testing.T) {
	ca := tlstest.NewCA("test ca")
	b := newTLSBackend(t, "a", ca, false, nil)
	js := `{"name":"c","type":"STATIC","load_assignment":{"cluster_name":"c","endpoints":[{"lb_endpoints":[{"endpoint":{
		"hostname":"ep.example","address":{"socket_address":{"address":"127.0.0.1","port_value":` + strconv.Itoa(b.port) + `}}}}]}]},` +
		tlsSocket(`"common_tls_context":{}`) + `}`
	cl := newManager(t, Options{}, js).Cluster("c")
	// No validation_context: the certificate is not verified, as Envoy.
	if _, body := get(t, cl, "/"); body != "a" {
		t.Errorf("body %q", body)
	}
	if got := b.sni.Load(); got != "ep.example" {
		t.Errorf("SNI %q, want the endpoint hostname", got)
	}
}

func TestTLSUpstreamWrongCA(t *testing.T) {
	b := newTLSBackend(t, "a", tlstest.NewCA("real ca"), false, nil)
	cl := newManager(t, Options{}, clusterJSON("c", "STATIC", "ROUND_ROBIN",
		tlsSocket(`"common_tls_context":{`+trusted(tlstest.NewCA("other ca"))+`}`), b.ep())).Cluster("c")
	req, _ := http.NewRequest("GET", "http://x/", nil)
	_, err := cl.RoundTrip(req)
	var e *Error
	if !errors.As(err, &e) || e.Kind != ConnectFailure {
		t.Fatalf("error %v, want a ConnectFailure", err)
	}
	if !strings.Contains(err.Error(), "tls handshake") {
		t.Errorf("error %q does not mention the handshake", err)
	}
	if st := cl.Stats(); st.UpstreamCxConnectFail != 1 || st.UpstreamCxActive != 0 {
		t.Errorf("stats %+v", st)
	}
	if _, _, err := cl.Dial(t.Context()); !errors.As(err, &e) || e.Kind != ConnectFailure {
		t.Errorf("Dial: %v", err)
	}
}

func TestTLSUpstreamClientCertificate(t *testing.T) {
	ca, clientCA := tlstest.NewCA("server ca"), tlstest.NewCA("client ca")
	b := newTLSBackend(t, "a", ca, true, clientCA)
	cert := clientCA.Client("proxy")
	certs := `"tls_certificates":[{"certificate_chain":{"inline_string":` + strconv.Quote(string(cert.CertPEM)) +
		`},"private_key":{"inline_bytes":"` + b64(cert.KeyPEM) + `"}}]`
	m := newManager(t, Options{},
		clusterJSON("with", "STATIC", "ROUND_ROBIN", tlsSocket(`"common_tls_context":{`+certs+`,`+trusted(ca)+`}`), b.ep()),
		clusterJSON("without", "STATIC", "ROUND_ROBIN", tlsSocket(`"common_tls_context":{`+trusted(ca)+`}`), b.ep()),
	)
	if _, body := get(t, m.Cluster("with"), "/"); body != "a" {
		t.Errorf("body %q", body)
	}
	req, _ := http.NewRequest("GET", "http://x/", nil)
	if resp, err := m.Cluster("without").RoundTrip(req); err == nil {
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Error("a server requiring client certificates answered a client without one")
	}
}

func TestTLSUpstreamConfigErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`"common_tls_context":{"validation_context":{"trusted_ca":{"filename":"/nonexistent/ca.pem"}}}`,
			"cluster: c: transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename: open /nonexistent/ca.pem"},
		{`"common_tls_context":{"validation_context":{"trusted_ca":{"inline_string":"junk"}}}`,
			"trusted_ca: no PEM certificate found"},
		{`"common_tls_context":{"tls_certificates":[{"certificate_chain":{"inline_string":"x"},"private_key":{"inline_string":"y"}}]}`,
			"common_tls_context.tls_certificates[0]: tls: "},
	} {
		_, err := NewManager([]*clusterv3.Cluster{parseCluster(t, clusterJSON("c", "STATIC", "ROUND_ROBIN", tlsSocket(tc.body)))}, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
