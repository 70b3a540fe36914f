// Package tlsconf turns Envoy's TLS transport socket contexts
// (envoy.extensions.transport_sockets.tls.v3 DownstreamTlsContext and
// UpstreamTlsContext) into crypto/tls configurations, reading every
// certificate, key and CA bundle once. Errors name the field path inside the
// context ("common_tls_context.tls_certificates[0].private_key.filename: ...");
// callers prefix the path of the context itself.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// ALPN protocol names.
const (
	ALPNH2     = "h2"
	ALPNHTTP11 = "http/1.1"
)

// Server returns the config of a TLS listener. defaultALPN applies when
// alpn_protocols is empty (h2, http/1.1 for HTTP connection managers).
//
// As Envoy: at least one certificate is required; with a trusted_ca, client
// certificates are requested and verified when sent, and required when
// require_client_certificate is set; require_client_certificate without a
// trusted_ca requires a certificate but does not verify it. Versions default
// to TLS 1.2 to 1.3.
func Server(ctx *tlsv3.DownstreamTlsContext, defaultALPN []string) (*tls.Config, error) {
	common := ctx.GetCommonTlsContext()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}
	if err := setVersions(cfg, common.GetTlsParams()); err != nil {
		return nil, err
	}
	certs, err := certificates(common)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, errors.New("common_tls_context.tls_certificates: a listener needs a certificate")
	}
	cfg.Certificates = certs
	cfg.NextProtos = alpn(common, defaultALPN)
	pool, err := trustedCA(common)
	if err != nil {
		return nil, err
	}
	require := ctx.GetRequireClientCertificate().GetValue()
	switch {
	case pool != nil && require:
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, pool
	case pool != nil:
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, pool
	case require:
		cfg.ClientAuth = tls.RequireAnyClientCert
	}
	return cfg, nil
}

// Client returns the config of a TLS cluster. defaultALPN applies when
// alpn_protocols is empty (the cluster's protocol: h2 or http/1.1). The
// caller sets ServerName per connection (see SNI).
//
// As Envoy: without a validation_context the server certificate is not
// verified at all; with a trusted_ca its chain must lead to one of those
// CAs, but the host name is not checked (Envoy checks names only with
// subject alt name matchers, which are not supported). Versions default to
// TLS 1.2 only, Envoy's client default.
func Client(ctx *tlsv3.UpstreamTlsContext, defaultALPN []string) (*tls.Config, error) {
	common := ctx.GetCommonTlsContext()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	if err := setVersions(cfg, common.GetTlsParams()); err != nil {
		return nil, err
	}
	certs, err := certificates(common)
	if err != nil {
		return nil, err
	}
	cfg.Certificates = certs
	cfg.NextProtos = alpn(common, defaultALPN)
	pool, err := trustedCA(common)
	if err != nil {
		return nil, err
	}
	// crypto/tls verifies the host name along with the chain; Envoy only
	// verifies the chain, so verification is done in VerifyConnection.
	// Without a trusted_ca, Envoy accepts any server certificate: so do we.
	cfg.InsecureSkipVerify = true
	if pool != nil {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyChain(cs.PeerCertificates, pool)
		}
	}
	return cfg, nil
}

// SNI returns the server name a cluster sends: sni when set, else the
// endpoint's hostname (which may be empty: then no SNI is sent).
func SNI(ctx *tlsv3.UpstreamTlsContext, hostname string) string {
	if s := ctx.GetSni(); s != "" {
		return s
	}
	return hostname
}

// verifyChain checks that certs[0] chains to pool through certs[1:].
func verifyChain(certs []*x509.Certificate, pool *x509.CertPool) error {
	if len(certs) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// versions maps Envoy's protocol versions to crypto/tls's (0: TLS_AUTO).
var versions = map[tlsv3.TlsParameters_TlsProtocol]uint16{
	tlsv3.TlsParameters_TLSv1_0: tls.VersionTLS10,
	tlsv3.TlsParameters_TLSv1_1: tls.VersionTLS11,
	tlsv3.TlsParameters_TLSv1_2: tls.VersionTLS12,
	tlsv3.TlsParameters_TLSv1_3: tls.VersionTLS13,
}

// setVersions applies tls_params over cfg's defaults.
func setVersions(cfg *tls.Config, p *tlsv3.TlsParameters) error {
	if v := p.GetTlsMinimumProtocolVersion(); v != tlsv3.TlsParameters_TLS_AUTO {
		if cfg.MinVersion = versions[v]; cfg.MinVersion == 0 {
			return fmt.Errorf("common_tls_context.tls_params.tls_minimum_protocol_version: unsupported value %s", v)
		}
		cfg.MaxVersion = max(cfg.MaxVersion, cfg.MinVersion)
	}
	if v := p.GetTlsMaximumProtocolVersion(); v != tlsv3.TlsParameters_TLS_AUTO {
		if cfg.MaxVersion = versions[v]; cfg.MaxVersion == 0 {
			return fmt.Errorf("common_tls_context.tls_params.tls_maximum_protocol_version: unsupported value %s", v)
		}
	}
	if cfg.MaxVersion < cfg.MinVersion {
		return errors.New("common_tls_context.tls_params: tls_maximum_protocol_version is lower than tls_minimum_protocol_version")
	}
	return nil
}

// alpn returns alpn_protocols, or def when empty.
func alpn(common *tlsv3.CommonTlsContext, def []string) []string {
	if p := common.GetAlpnProtocols(); len(p) > 0 {
		return append([]string(nil), p...)
	}
	return append([]string(nil), def...)
}

// certificates loads every tls_certificates entry.
func certificates(common *tlsv3.CommonTlsContext) ([]tls.Certificate, error) {
	var out []tls.Certificate
	for i, tc := range common.GetTlsCertificates() {
		path := fmt.Sprintf("common_tls_context.tls_certificates[%d]", i)
		chain, err := read(path+".certificate_chain", tc.GetCertificateChain())
		if err != nil {
			return nil, err
		}
		key, err := read(path+".private_key", tc.GetPrivateKey())
		if err != nil {
			return nil, err
		}
		c, err := tls.X509KeyPair(chain, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// trustedCA loads validation_context.trusted_ca, or returns nil when absent.
func trustedCA(common *tlsv3.CommonTlsContext) (*x509.CertPool, error) {
	ca := common.GetValidationContext().GetTrustedCa()
	if ca == nil {
		return nil, nil
	}
	const path = "common_tls_context.validation_context.trusted_ca"
	pem, err := read(path, ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	return pool, nil
}

// read returns a DataSource's bytes; path names it in errors.
func read(path string, ds *corev3.DataSource) ([]byte, error) {
	switch s := ds.GetSpecifier().(type) {
	case *corev3.DataSource_Filename:
		b, err := os.ReadFile(s.Filename)
		if err != nil {
			return nil, fmt.Errorf("%s.filename: %w", path, err)
		}
		return b, nil
	case *corev3.DataSource_InlineBytes:
		return s.InlineBytes, nil
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), nil
	case nil:
		return nil, fmt.Errorf("%s: required", path)
	default:
		return nil, fmt.Errorf("%s: only filename, inline_bytes and inline_string are supported", path)
	}
}

// VersionName returns Envoy's name of a TLS version ("TLSv1.3"), as the
// connection.tls_version property reports it.
func VersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return ""
}
