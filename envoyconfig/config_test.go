package envoyconfig

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// Snippet builders: small configs around the part a case is about.
const (
	hcmURL  = "type.googleapis.com/" + hcmType
	wasmURL = "type.googleapis.com/" + httpWasmType
	// L is the path of the network filter's typed_config in netFilter configs.
	L = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config"
	// W is the path of the Wasm PluginConfig in httpWasm configs.
	W = L + ".http_filters[0].typed_config.config"
	// C is the path of the cluster in cluster configs.
	C = "static_resources.clusters[0]"
	// addr is a listener address.
	addr = "{socket_address: {address: 0.0.0.0, port_value: 10000}}"
)

// netFilter is a listener whose only network filter has the typed_config tc (YAML flow mapping body).
func netFilter(tc string) string {
	return `static_resources: {listeners: [{name: l, address: ` + addr + `, filter_chains: [{filters: [{name: f, typed_config: {` + tc + `}}]}]}]}`
}

// hcm is an HttpConnectionManager with the extra fields, and an empty
// route_config unless extra has one.
func hcm(extra string) string {
	if !strings.Contains(extra, "route_config") {
		extra += ", route_config: {}"
	}
	return netFilter(`"@type": ` + hcmURL + `, stat_prefix: s, ` + extra)
}

// httpWasm is an HTTP Wasm filter (then the router) with the PluginConfig body.
func httpWasm(config string) string {
	return hcm(`http_filters: [{name: w, typed_config: {"@type": ` + wasmURL + `, config: {` + config + `}}},
		{name: r, typed_config: {"@type": type.googleapis.com/` + routerType + `}}]`)
}

// cluster is one cluster with the extra fields.
func cluster(extra string) string {
	return `static_resources: {clusters: [{name: c, connect_timeout: 1s, ` + extra + `}]}`
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the error, "" for none
		warnings []string
	}{
		{name: "empty", in: ""},
		{name: "comment only", in: "# nothing\n"},
		{name: "empty JSON", in: " {}"},
		{name: "camelCase names", in: `staticResources: {clusters: [{name: c, connectTimeout: 1s, lbPolicy: RANDOM}]}`},
		{name: "wasm local file", in: httpWasm(`vm_config: {runtime: envoy.wasm.runtime.v8, code: {local: {filename: f.wasm}}}`)},
		{name: "wasm any runtime", in: httpWasm(`vm_config: {runtime: envoy.wasm.runtime.wamr, code: {local: {inline_bytes: AGFzbQ==}}}`)},
		{name: "fail_open", in: httpWasm(`fail_open: true, vm_config: {code: {local: {filename: f.wasm}}}`)},
		{name: "struct configuration", in: httpWasm(`configuration: {"@type": type.googleapis.com/google.protobuf.Struct, value: {a: 1}}, vm_config: {code: {local: {filename: f.wasm}}}`)},
		{name: "typed struct as plugin configuration stays", in: httpWasm(`configuration: {"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: x.Y, value: {a: 1}}, vm_config: {code: {local: {filename: f.wasm}}}`)},
		{name: "nested typed structs", in: netFilter(`"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: ` + hcmURL + `, value: {stat_prefix: s, route_config: {}, http_filters: [{name: r, typed_config: {"@type": type.googleapis.com/xds.type.v3.TypedStruct, typeUrl: type.googleapis.com/` + routerType + `}}]}`)},
		{name: "tcp proxy weighted", in: netFilter(`"@type": type.googleapis.com/` + tcpProxyType + `, stat_prefix: t, weighted_clusters: {clusters: [{name: a, weight: 1}, {name: b, weight: 2}]}`)},
		{name: "socket protocol TCP", in: cluster(`load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: a, port_value: 1, protocol: TCP}}}}]}]}`)},
		{name: "filter chain match empty", in: `static_resources: {listeners: [{name: l, address: ` + addr + `, filter_chains: [{filter_chain_match: {}, filters: []}]}]}`},
		{name: "google_re2 empty", in: hcm(`route_config: {virtual_hosts: [{name: v, domains: ["*"], routes: [{match: {safe_regex: {google_re2: {}, regex: "^/a"}}, route: {cluster: c}}]}]}`)},
		{name: "header matchers", in: hcm(`route_config: {virtual_hosts: [{name: v, domains: ["*"], routes: [{match: {prefix: /, headers: [{name: a, exact_match: x}, {name: b, present_match: true, invert_match: true}, {name: c, string_match: {suffix: z, ignore_case: true}}]}, route: {cluster: c, host_rewrite_literal: h}}]}]}`)},
		{name: "direct response", in: hcm(`route_config: {virtual_hosts: [{name: v, domains: ["*"], routes: [{match: {prefix: /}, direct_response: {status: 404, body: {inline_bytes: bm8=}}, response_headers_to_add: [{header: {key: a, value: b}, append: false, keep_empty_value: true}]}]}]}`)},
		{name: "downstream protocol", in: cluster(`typed_extension_protocol_options: {envoy.extensions.upstreams.http.v3.HttpProtocolOptions: {"@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions, use_downstream_protocol_config: {http_protocol_options: {}, http2_protocol_options: {}}}}`)},
		{
			name: "warnings", in: cluster(`common_lb_config: {healthy_panic_threshold: {value: 50}}, upstream_connection_options: {tcp_keepalive: {}}`) + "\nlayered_runtime: {}\nadmin: {access_log: [{name: a, typed_config: {\"@type\": type.googleapis.com/" + stdoutLogType + "}}]}",
			warnings: []string{C + ".common_lb_config: accepted and ignored", C + ".upstream_connection_options: accepted and ignored", "layered_runtime: accepted and ignored", "admin.access_log: accepted and ignored"},
		},

		// Syntax.
		{name: "yaml syntax", in: "a: [", want: `envoy.yaml: invalid YAML: yaml: line 1: did not find expected node content`},
		{name: "json syntax", in: "{\n  \"a\": }", want: `envoy.yaml: invalid JSON at line 2:9: invalid character '}' looking for beginning of value`},
		{name: "json trailing", in: "{} {}", want: `envoy.yaml: invalid JSON: unexpected data after the top-level object`},
		{name: "not a mapping", in: "- a", want: `envoy.yaml: the config must be a mapping of bootstrap fields`},

		// Unknown fields and bad values (protojson).
		{name: "unknown field", in: `static_resources: {listeners: [{name: l, address: ` + addr + `, bogus: 1}]}`, want: `envoy.yaml: static_resources.listeners[0].bogus: unknown field`},
		{name: "unknown field in typed_config", in: hcm(`bogus: 1`), want: `envoy.yaml: ` + L + `.bogus: unknown field`},
		{name: "unknown field in typed struct", in: netFilter(`"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: ` + hcmURL + `, value: {stat_prefix: s, statPrefx: t}`), want: `envoy.yaml: ` + L + `.statPrefx: unknown field`},
		{name: "bad number", in: cluster(`load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: a, port_value: abc}}}}]}]}`), want: `envoy.yaml: ` + C + `.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: invalid value for uint32 field portValue: "abc"`},
		{name: "bad duration", in: cluster(`dns_refresh_rate: soon`), want: `envoy.yaml: ` + C + `.dns_refresh_rate: invalid google.protobuf.Duration value "soon"`},
		{name: "bad enum", in: cluster(`lb_policy: FASTEST`), want: `envoy.yaml: ` + C + `.lb_policy: invalid value for enum field lbPolicy: "FASTEST"`},
		{name: "list expected", in: hcm(`route_config: {virtual_hosts: [{name: v, domains: {a: b}}]}`), want: `envoy.yaml: ` + L + `.route_config.virtual_hosts[0].domains: unexpected token {`},

		// "@type" and TypedStruct.
		{name: "unsupported extension", in: netFilter(`"@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy, stat_prefix: r`), want: `envoy.yaml: ` + L + `: unsupported extension type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy`},
		{name: "typed struct of unsupported", in: netFilter(`"@type": type.googleapis.com/xds.type.v3.TypedStruct, type_url: type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy`), want: `envoy.yaml: ` + L + `: unsupported extension type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy`},
		{name: "typed struct without type_url", in: netFilter(`"@type": type.googleapis.com/udpa.type.v1.TypedStruct, value: {}`), want: `envoy.yaml: ` + L + `.type_url: missing in TypedStruct`},
		{name: "typed struct value not object", in: netFilter(`"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: ` + hcmURL + `, value: [1]`), want: `envoy.yaml: ` + L + `.value: must be an object of the fields of type_url`},
		{name: "missing @type", in: netFilter(`stat_prefix: s`), want: `envoy.yaml: ` + L + `: missing "@type" (a type URL such as type.googleapis.com/` + hcmType + `)`},
		{name: "extension in the wrong place", in: netFilter(`"@type": type.googleapis.com/` + routerType), want: `envoy.yaml: ` + L + `: unsupported extension type.googleapis.com/` + routerType + ` (supported: ` + hcmType + `, ` + tcpProxyType + `, ` + networkWasmType + `)`},
		{name: "listener address required", in: `static_resources: {listeners: [{name: l}]}`, want: `envoy.yaml: static_resources.listeners[0].address: required by wasmesh`},
		{name: "bad @type", in: netFilter(`"@type": 5`), want: `envoy.yaml: ` + L + `.@type: must be a type URL string`},
		{name: "type URL without host", in: netFilter(`"@type": ` + tcpProxyType + `, stat_prefix: t, cluster: c`)},
		{name: "typed_config required", in: `static_resources: {listeners: [{name: l, address: ` + addr + `, filter_chains: [{filters: [{name: envoy.filters.network.tcp_proxy}]}]}]}`, want: `envoy.yaml: ` + L + `: required by wasmesh`},

		// Validation.
		{name: "cluster without name", in: `static_resources: {clusters: [{connect_timeout: 1s}]}`, want: `envoy.yaml: static_resources.clusters[0].name: value length must be at least 1 runes`},
		{name: "negative timeout", in: cluster(`connect_timeout: -1s`), want: `envoy.yaml: ` + C + `.connect_timeout: value must be greater than 0s`},
		{name: "invalid inside typed_config", in: httpWasm(`vm_config: {code: {remote: {http_uri: {uri: "http://x/f.wasm", cluster: c, timeout: 1s}}}}`), want: `envoy.yaml: ` + W + `.vm_config.code.remote.sha256: value length must be at least 1 runes`},
		{name: "invalid oneof", in: httpWasm(`vm_config: {code: {}}`), want: `envoy.yaml: ` + W + `.vm_config.code.specifier: value is required`},

		// Support.
		{name: "unsupported field", in: `static_resources: {listeners: [{name: l, address: ` + addr + `, per_connection_buffer_limit_bytes: 1}]}`, want: `envoy.yaml: static_resources.listeners[0].per_connection_buffer_limit_bytes: field not supported by wasmesh`},
		{name: "unsupported value", in: `static_resources: {clusters: [{name: a, connect_timeout: 1s}, {name: b, connect_timeout: 1s, lb_policy: MAGLEV}]}`, want: `envoy.yaml: static_resources.clusters[1].lb_policy: unsupported value MAGLEV (supported: ROUND_ROBIN, RANDOM, LEAST_REQUEST)`},
		{name: "udp", in: cluster(`load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: a, port_value: 1, protocol: UDP}}}}]}]}`), want: `envoy.yaml: ` + C + `.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.protocol: unsupported value UDP (supported: TCP)`},
		{name: "pipe", in: `admin: {address: {pipe: {path: /tmp/admin}}}`, want: `envoy.yaml: admin.address.pipe: field not supported by wasmesh`},
		{name: "priority", in: cluster(`load_assignment: {cluster_name: c, endpoints: [{priority: 1}]}`), want: `envoy.yaml: ` + C + `.load_assignment.endpoints[0].priority: only priority 0 is supported`},
		{name: "filter chain match", in: `static_resources: {listeners: [{name: l, address: ` + addr + `, filter_chains: [{filter_chain_match: {server_names: [a]}}]}]}`, want: `envoy.yaml: static_resources.listeners[0].filter_chains[0].filter_chain_match.server_names: field not supported by wasmesh`},
		{name: "null runtime", in: httpWasm(`vm_config: {runtime: envoy.wasm.runtime.null, code: {local: {inline_string: x}}}`), want: `envoy.yaml: ` + W + `.vm_config.runtime: unsupported value envoy.wasm.runtime.null (supported: envoy.wasm.runtime.* except envoy.wasm.runtime.null)`},
		{name: "codec", in: hcm(`codec_type: HTTP3`), want: `envoy.yaml: ` + L + `.codec_type: unsupported value HTTP3 (supported: AUTO, HTTP1, HTTP2)`},
		{name: "upgrade filters", in: hcm(`upgrade_configs: [{upgrade_type: websocket, filters: [{name: f}]}]`), want: `envoy.yaml: ` + L + `.upgrade_configs[0].filters: field not supported by wasmesh`},
		{name: "protocol options key", in: cluster(`typed_extension_protocol_options: {envoy.extensions.upstreams.http.v3.Other: {"@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions}}`), want: `envoy.yaml: ` + C + `.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.Other"]: unsupported key (supported: envoy.extensions.upstreams.http.v3.HttpProtocolOptions)`},
		{name: "http2 options", in: cluster(`http2_protocol_options: {max_concurrent_streams: 10}`), want: `envoy.yaml: ` + C + `.http2_protocol_options.max_concurrent_streams: field not supported by wasmesh`},
		{name: "several", in: cluster(`type: EDS, lb_policy: RING_HASH`), want: "envoy.yaml: " + C + ".type: unsupported value EDS (supported: STATIC, STRICT_DNS, LOGICAL_DNS)\nenvoy.yaml: " + C + ".lb_policy: unsupported value RING_HASH (supported: ROUND_ROBIN, RANDOM, LEAST_REQUEST)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in), "envoy.yaml")
			if tt.want != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tt.want)
				}
				if err.Error() != tt.want {
					t.Fatalf("error\n got: %s\nwant: %s", err, tt.want)
				}
				if errs := Errors(err); len(errs) != strings.Count(tt.want, "\n")+1 {
					t.Errorf("Errors returned %d errors", len(errs))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.Source != "envoy.yaml" || c.Bootstrap == nil {
				t.Errorf("bad config %+v", c)
			}
			if !slices.Equal(c.Warnings, tt.warnings) {
				t.Errorf("warnings\n got: %q\nwant: %q", c.Warnings, tt.warnings)
			}
		})
	}
}

func TestErrorType(t *testing.T) {
	_, err := Parse([]byte(cluster(`lb_policy: MAGLEV`)), "--config-yaml")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not an *Error", err)
	}
	if e.Source != "--config-yaml" || e.Path != C+".lb_policy" || !strings.HasPrefix(e.Msg, "unsupported value MAGLEV") {
		t.Errorf("got %+v", e)
	}
	if got := (&Error{Msg: "m"}).Error(); got != "envoyconfig: m" {
		t.Errorf("no source: %q", got)
	}
	if got := (&Error{Source: "s", Msg: "m"}).Error(); got != "s: m" {
		t.Errorf("no path: %q", got)
	}
	_, err = Parse([]byte("a: ["), "x")
	if errors.Unwrap(err) == nil {
		t.Error("YAML error not wrapped")
	}
}

func TestLoad(t *testing.T) {
	c, err := Load("testdata/wasm_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "testdata/wasm_http.yaml" {
		t.Errorf("source %q", c.Source)
	}
	_, err = Load("testdata/missing.yaml")
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "envoyconfig: ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestMerge(t *testing.T) {
	base, err := Load("testdata/wasm_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	overlay, err := Parse([]byte(`
admin: {address: {socket_address: {address: 0.0.0.0, port_value: 9902}}}
static_resources: {clusters: [{name: extra, connect_timeout: 2s, respect_dns_ttl: true}]}`), "--config-yaml")
	if err != nil {
		t.Fatal(err)
	}
	before := proto.Clone(base.Bootstrap)
	m, err := Merge(base, overlay)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(base.Bootstrap, before) {
		t.Error("Merge modified base")
	}
	if m.Source != "testdata/wasm_http.yaml + --config-yaml" {
		t.Errorf("source %q", m.Source)
	}
	if got := m.Bootstrap.GetAdmin().GetAddress().GetSocketAddress(); got.GetAddress() != "0.0.0.0" || got.GetPortValue() != 9902 {
		t.Errorf("admin address %v", got)
	}
	var names []string
	for _, c := range m.Bootstrap.GetStaticResources().GetClusters() {
		names = append(names, c.GetName())
	}
	if fmt.Sprint(names) != "[web_service extra]" {
		t.Errorf("clusters %v", names)
	}
	if fmt.Sprint(m.Warnings) != "[static_resources.clusters[1].respect_dns_ttl: accepted and ignored]" {
		t.Errorf("warnings %q", m.Warnings)
	}
	if got, _ := Merge(nil, overlay); got != overlay {
		t.Error("Merge(nil, overlay)")
	}
	if got, _ := Merge(base, nil); got != base {
		t.Error("Merge(base, nil)")
	}
	if got, err := Merge(nil, nil); got != nil || err != nil {
		t.Error("Merge(nil, nil)")
	}
}

func TestTypeURLNormalized(t *testing.T) {
	in := hcm(`http_filters: [{name: w, typed_config: {"@type": ` + httpWasmType + `, config: {
		configuration: {"@type": example.com/x/google.protobuf.StringValue, value: v},
		vm_config: {code: {local: {filename: f}}}}}}]`)
	c, err := Parse([]byte(in), "x")
	if err != nil {
		t.Fatal(err)
	}
	h, err := HCM(c.Bootstrap.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig())
	if err != nil {
		t.Fatal(err)
	}
	tc := h.GetHttpFilters()[0].GetTypedConfig()
	if tc.GetTypeUrl() != wasmURL {
		t.Errorf("nested type URL %q", tc.GetTypeUrl())
	}
	w, err := HTTPWasm(tc)
	if err != nil {
		t.Fatal(err)
	}
	conf := w.GetConfig().GetConfiguration()
	if conf.GetTypeUrl() != "type.googleapis.com/google.protobuf.StringValue" {
		t.Errorf("configuration type URL %q", conf.GetTypeUrl())
	}
	if raw, _ := PluginConfiguration(conf); string(raw) != "v" {
		t.Errorf("configuration %q", raw)
	}
}

// TestEnumsIgnoreCase: enum values are matched ignoring case, as Envoy's
// loader does (configs in the wild write "codec_type: auto"); a value that
// is no enum name in any case is still an error naming the field.
func TestEnumsIgnoreCase(t *testing.T) {
	c, err := Parse([]byte(cluster(`type: strict_dns, lb_policy: Round_Robin, dns_lookup_family: v4_only`)), "envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Bootstrap.GetStaticResources().GetClusters()[0]
	if cl.GetType().String() != "STRICT_DNS" || cl.GetLbPolicy().String() != "ROUND_ROBIN" || cl.GetDnsLookupFamily().String() != "V4_ONLY" {
		t.Errorf("parsed %v %v %v", cl.GetType(), cl.GetLbPolicy(), cl.GetDnsLookupFamily())
	}
	if _, err := Parse([]byte(hcm(`codec_type: auto`)), "envoy.yaml"); err != nil {
		t.Errorf("codec_type: auto: %v", err)
	}
	_, err = Parse([]byte(cluster(`lb_policy: roundrobin`)), "envoy.yaml")
	if err == nil || !strings.Contains(err.Error(), "lb_policy") {
		t.Errorf("an unknown enum value: %v, want an error naming lb_policy", err)
	}
}

// TestListenerFilters: the TLS and HTTP inspectors are accepted (nothing
// here depends on them); other listener filters are errors naming the type.
func TestListenerFilters(t *testing.T) {
	listener := func(filters string) string {
		return `static_resources: {listeners: [{name: l, address: {socket_address: {address: 127.0.0.1, port_value: 1}}, listener_filters: [` + filters + `]}]}`
	}
	ok := `{name: envoy.filters.listener.tls_inspector, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}},
		{name: envoy.filters.listener.http_inspector, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector}}`
	if _, err := Parse([]byte(listener(ok)), "envoy.yaml"); err != nil {
		t.Errorf("inspectors: %v", err)
	}
	_, err := Parse([]byte(listener(`{name: pp, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol}}`)), "envoy.yaml")
	if err == nil || !strings.Contains(err.Error(), "listener_filters[0].typed_config") {
		t.Errorf("proxy_protocol: %v, want an error naming listener_filters[0].typed_config", err)
	}
}

// TestOneMessageForList: one message where a list of messages is expected
// reads as a list of one, as Envoy's parser reads it (the Proxy-Wasm SDK
// examples write "listeners:" followed by a single listener's fields).
func TestOneMessageForList(t *testing.T) {
	c, err := Parse([]byte(`static_resources: {listeners: {name: l, address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}`), "envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if ls := c.Bootstrap.GetStaticResources().GetListeners(); len(ls) != 1 || ls[0].GetName() != "l" {
		t.Errorf("listeners %v", ls)
	}
	if _, err := Parse([]byte(`static_resources: {listeners: {name: l, nonsense: 1}}`), "envoy.yaml"); err == nil ||
		!strings.Contains(err.Error(), "static_resources.listeners[0].nonsense: unknown field") {
		t.Errorf("an error inside it: %v, want one naming listeners[0].nonsense", err)
	}
}

// TestRouterByName: the router named without a typed_config, or with an
// empty one, is the router (Envoy finds it by name; the Proxy-Wasm Go SDK
// examples write it so). Other filters still need their typed_config.
func TestRouterByName(t *testing.T) {
	for _, f := range []string{`{name: envoy.filters.http.router}`, `{name: envoy.filters.http.router, typed_config: {}}`, `{name: envoy.router}`} {
		c, err := Parse([]byte(hcm(`http_filters: [`+f+`]`)), "envoy.yaml")
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		h, err := HCM(c.Bootstrap.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig())
		if err != nil {
			t.Fatal(err)
		}
		if got := h.GetHttpFilters()[0].GetTypedConfig().GetTypeUrl(); got != "type.googleapis.com/"+routerType {
			t.Errorf("%s: typed_config %q", f, got)
		}
	}
	if _, err := Parse([]byte(hcm(`http_filters: [{name: envoy.filters.http.wasm}]`)), "envoy.yaml"); err == nil || !strings.Contains(err.Error(), "http_filters[0].typed_config: required") {
		t.Errorf("a Wasm filter without typed_config: %v", err)
	}
}
