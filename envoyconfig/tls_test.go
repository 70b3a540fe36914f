package envoyconfig

import (
	"strings"
	"testing"
)

// tlsListener is a TCP proxy listener whose filter chain has the
// transport_socket body ts (YAML flow mapping body).
func tlsListener(ts string) string {
	return `static_resources: {listeners: [{name: l, address: ` + addr + `, filter_chains: [{transport_socket: {` + ts + `},
		filters: [{name: f, typed_config: {"@type": type.googleapis.com/` + tcpProxyType + `, stat_prefix: t, cluster: c}}]}]}]}`
}

// downTLS is a DownstreamTlsContext transport socket with the extra fields.
func downTLS(extra string) string {
	return `name: envoy.transport_sockets.tls, typed_config: {"@type": type.googleapis.com/` + downstreamTLSType + `, ` + extra + `}`
}

// upTLS is an UpstreamTlsContext transport socket with the extra fields.
func upTLS(extra string) string {
	return `name: envoy.transport_sockets.tls, typed_config: {"@type": type.googleapis.com/` + upstreamTLSType + `, ` + extra + `}`
}

const (
	// certs is a tls_certificates list from files.
	certs = `tls_certificates: [{certificate_chain: {filename: cert.pem}, private_key: {filename: key.pem}}]`
	// TS is the path of the listener's transport socket.
	TS = "static_resources.listeners[0].filter_chains[0].transport_socket"
	// CTX is the path of the listener's CommonTlsContext.
	CTX = TS + ".typed_config.common_tls_context"
)

func TestParseTLS(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the error, "" for none
	}{
		{name: "downstream", in: tlsListener(downTLS(`common_tls_context: {` + certs + `}`))},
		{name: "downstream mtls", in: tlsListener(downTLS(`require_client_certificate: true, common_tls_context: {` + certs + `,
			validation_context: {trusted_ca: {filename: ca.pem}}, alpn_protocols: [h2, http/1.1],
			tls_params: {tls_minimum_protocol_version: TLSv1_2, tls_maximum_protocol_version: TLSv1_3}}`))},
		{name: "inline data sources", in: tlsListener(downTLS(`common_tls_context: {tls_certificates: [{certificate_chain: {inline_string: x}, private_key: {inline_bytes: eA==}}]}`))},
		{name: "upstream", in: cluster(`transport_socket: {` + upTLS(`sni: svc.example, common_tls_context: {validation_context: {trusted_ca: {inline_string: x}}, `+certs+`}`) + `}`)},
		{name: "upstream no validation", in: cluster(`transport_socket: {` + upTLS(`common_tls_context: {}`) + `}`)},
		{name: "typed struct", in: cluster(`transport_socket: {name: tls, typed_config: {"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: type.googleapis.com/` + upstreamTLSType + `, value: {sni: a}}}`)},

		{name: "upstream context on a listener", in: tlsListener(upTLS(`sni: a`)),
			want: `envoy.yaml: ` + TS + `: typed_config: unsupported extension type.googleapis.com/` + upstreamTLSType + ` here (supported: ` + downstreamTLSType + `)`},
		{name: "downstream context on a cluster", in: cluster(`transport_socket: {` + downTLS(`common_tls_context: {}`) + `}`),
			want: `envoy.yaml: ` + C + `.transport_socket: typed_config: unsupported extension type.googleapis.com/` + downstreamTLSType + ` here (supported: ` + upstreamTLSType + `)`},
		{name: "other transport socket", in: cluster(`transport_socket: {name: raw, typed_config: {"@type": type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer}}`),
			want: `envoy.yaml: ` + C + `.transport_socket.typed_config: unsupported extension type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`},
		{name: "typed_config required", in: tlsListener(`name: envoy.transport_sockets.tls`),
			want: `envoy.yaml: ` + TS + `.typed_config: required by wasmesh`},
		{name: "san matching", in: tlsListener(downTLS(`common_tls_context: {validation_context: {match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: a}}]}}`)),
			want: `envoy.yaml: ` + CTX + `.validation_context.match_typed_subject_alt_names: subject alt name matching is not supported`},
		{name: "sds", in: tlsListener(downTLS(`common_tls_context: {tls_certificate_sds_secret_configs: [{name: s}]}`)),
			want: `envoy.yaml: ` + CTX + `.tls_certificate_sds_secret_configs: field not supported by wasmesh`},
		{name: "private key required", in: tlsListener(downTLS(`common_tls_context: {tls_certificates: [{certificate_chain: {filename: c}}]}`)),
			want: `envoy.yaml: ` + CTX + `.tls_certificates[0].private_key: required by wasmesh`},
		{name: "cipher suites", in: tlsListener(downTLS(`common_tls_context: {tls_params: {cipher_suites: [a]}}`)),
			want: `envoy.yaml: ` + CTX + `.tls_params.cipher_suites: field not supported by wasmesh`},
		{name: "require sni", in: tlsListener(downTLS(`require_sni: true`)),
			want: `envoy.yaml: ` + TS + `.typed_config.require_sni: field not supported by wasmesh`},
		{name: "auto sni", in: cluster(`transport_socket: {` + upTLS(`auto_host_sni: true`) + `}`),
			want: `envoy.yaml: ` + C + `.transport_socket.typed_config.auto_host_sni: field not supported by wasmesh`},
		{name: "environment variable source", in: tlsListener(downTLS(`common_tls_context: {validation_context: {trusted_ca: {environment_variable: CA}}}`)),
			want: `envoy.yaml: ` + CTX + `.validation_context.trusted_ca.environment_variable: field not supported by wasmesh`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "envoy.yaml")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want %q", tt.want)
			case tt.want != "" && !strings.HasPrefix(err.Error(), tt.want):
				t.Fatalf("error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestTLSHelpers(t *testing.T) {
	c, err := Parse([]byte(cluster(`transport_socket: {`+upTLS(`sni: svc.example`)+`}`)), "x")
	if err != nil {
		t.Fatal(err)
	}
	u, err := UpstreamTLS(c.Bootstrap.GetStaticResources().GetClusters()[0].GetTransportSocket().GetTypedConfig())
	if err != nil || u.GetSni() != "svc.example" {
		t.Fatalf("UpstreamTLS: %v %v", u, err)
	}
	if _, err := DownstreamTLS(c.Bootstrap.GetStaticResources().GetClusters()[0].GetTransportSocket().GetTypedConfig()); err == nil {
		t.Error("DownstreamTLS accepted an UpstreamTlsContext")
	}
}
