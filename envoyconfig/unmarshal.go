package envoyconfig

import (
	"bytes"
	"encoding/json"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	httpwasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	networkwasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/wasm/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// HCM returns the HttpConnectionManager in a network filter's typed_config.
func HCM(a *anypb.Any) (*hcmv3.HttpConnectionManager, error) {
	return unmarshalAs(a, &hcmv3.HttpConnectionManager{})
}

// TCPProxy returns the TcpProxy in a network filter's typed_config.
func TCPProxy(a *anypb.Any) (*tcpproxyv3.TcpProxy, error) {
	return unmarshalAs(a, &tcpproxyv3.TcpProxy{})
}

// HTTPWasm returns the envoy.extensions.filters.http.wasm.v3.Wasm in an HTTP
// filter's typed_config.
func HTTPWasm(a *anypb.Any) (*httpwasmv3.Wasm, error) {
	return unmarshalAs(a, &httpwasmv3.Wasm{})
}

// NetworkWasm returns the envoy.extensions.filters.network.wasm.v3.Wasm in a
// network filter's typed_config.
func NetworkWasm(a *anypb.Any) (*networkwasmv3.Wasm, error) {
	return unmarshalAs(a, &networkwasmv3.Wasm{})
}

// HTTPProtocolOptions returns the cluster's upstream HTTP protocol options,
// from typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"],
// or nil if absent.
func HTTPProtocolOptions(c *clusterv3.Cluster) (*upstreamhttpv3.HttpProtocolOptions, error) {
	a := c.GetTypedExtensionProtocolOptions()[httpProtocolType]
	if a == nil {
		return nil, nil
	}
	return unmarshalAs(a, &upstreamhttpv3.HttpProtocolOptions{})
}

// DownstreamTLS returns the DownstreamTlsContext in a filter chain's
// transport_socket.typed_config.
func DownstreamTLS(a *anypb.Any) (*tlsv3.DownstreamTlsContext, error) {
	return unmarshalAs(a, &tlsv3.DownstreamTlsContext{})
}

// UpstreamTLS returns the UpstreamTlsContext in a cluster's
// transport_socket.typed_config.
func UpstreamTLS(a *anypb.Any) (*tlsv3.UpstreamTlsContext, error) {
	return unmarshalAs(a, &tlsv3.UpstreamTlsContext{})
}

// PluginConfiguration returns the bytes Envoy hands a plugin for a
// PluginConfig.configuration or VmConfig.configuration: the raw string of a
// google.protobuf.StringValue, the raw bytes of a BytesValue, the compact
// JSON of a Struct, and the serialized message (a.Value) of any other type.
// It returns nil for a nil or empty Any.
func PluginConfiguration(a *anypb.Any) ([]byte, error) {
	if a.GetTypeUrl() == "" {
		return nil, nil
	}
	switch typeName(a.GetTypeUrl()) {
	case "google.protobuf.StringValue":
		s, err := unmarshalAs(a, &wrapperspb.StringValue{})
		if err != nil {
			return nil, err
		}
		return []byte(s.GetValue()), nil
	case "google.protobuf.BytesValue":
		b, err := unmarshalAs(a, &wrapperspb.BytesValue{})
		if err != nil {
			return nil, err
		}
		return b.GetValue(), nil
	case "google.protobuf.Struct":
		s, err := unmarshalAs(a, &structpb.Struct{})
		if err != nil {
			return nil, err
		}
		js, err := protojson.Marshal(s)
		if err != nil {
			return nil, &Error{Msg: "configuration: " + err.Error(), cause: err}
		}
		// protojson varies its spacing on purpose; compact it for a stable value.
		var out bytes.Buffer
		if err := json.Compact(&out, js); err != nil {
			return nil, &Error{Msg: "configuration: " + err.Error(), cause: err}
		}
		return out.Bytes(), nil
	default:
		return a.GetValue(), nil
	}
}

// unmarshalAs decodes a into m, which must be the type a names.
func unmarshalAs[M proto.Message](a *anypb.Any, m M) (M, error) {
	var zero M
	want := m.ProtoReflect().Descriptor().FullName()
	if a == nil {
		return zero, &Error{Msg: "expected " + string(want) + ", got nothing"}
	}
	if typeName(a.GetTypeUrl()) != want {
		return zero, &Error{Msg: "expected " + string(want) + ", got " + a.GetTypeUrl()}
	}
	if err := proto.Unmarshal(a.GetValue(), m); err != nil {
		return zero, &Error{Msg: "decoding " + string(want) + ": " + err.Error(), cause: err}
	}
	return m, nil
}
