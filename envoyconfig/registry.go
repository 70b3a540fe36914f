package envoyconfig

import (
	"strings"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	httpwasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	httpinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	networkwasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/wasm/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// typeURLPrefix is the prefix Config uses for every resolved Any.
const typeURLPrefix = "type.googleapis.com/"

// Full names of the extension types wasmesh implements.
const (
	hcmType           = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
	tcpProxyType      = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
	networkWasmType   = "envoy.extensions.filters.network.wasm.v3.Wasm"
	httpWasmType      = "envoy.extensions.filters.http.wasm.v3.Wasm"
	routerType        = "envoy.extensions.filters.http.router.v3.Router"
	stdoutLogType     = "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog"
	stderrLogType     = "envoy.extensions.access_loggers.stream.v3.StderrAccessLog"
	fileLogType       = "envoy.extensions.access_loggers.file.v3.FileAccessLog"
	httpProtocolType  = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
	downstreamTLSType = "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
	upstreamTLSType   = "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
	previousHostsType = "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
	tlsInspectorType  = "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
	httpInspectorType = "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"
)

// Full names of the TypedStruct wrappers that are rewritten into the Any they
// describe (see rewriteTypedStruct).
const (
	udpaTypedStruct = "udpa.type.v1.TypedStruct"
	xdsTypedStruct  = "xds.type.v3.TypedStruct"
)

// types is the registry of every type an "@type" may name. It is private so
// that extensions other packages link in do not become accepted by accident.
var types = func() *protoregistry.Types {
	t := new(protoregistry.Types)
	for _, m := range []proto.Message{
		// Extensions.
		&hcmv3.HttpConnectionManager{},
		&tcpproxyv3.TcpProxy{},
		&networkwasmv3.Wasm{},
		&httpwasmv3.Wasm{},
		&routerv3.Router{},
		&streamv3.StdoutAccessLog{},
		&streamv3.StderrAccessLog{},
		&filev3.FileAccessLog{},
		&upstreamhttpv3.HttpProtocolOptions{},
		&tlsv3.DownstreamTlsContext{},
		&tlsv3.UpstreamTlsContext{},
		&previoushostsv3.PreviousHostsPredicate{},
		&tlsinspectorv3.TlsInspector{},
		&httpinspectorv3.HttpInspector{},
		// Plugin configuration values (opaque to wasmesh).
		&wrapperspb.StringValue{},
		&wrapperspb.BytesValue{},
		&wrapperspb.BoolValue{},
		&wrapperspb.Int32Value{},
		&wrapperspb.Int64Value{},
		&wrapperspb.UInt32Value{},
		&wrapperspb.UInt64Value{},
		&wrapperspb.FloatValue{},
		&wrapperspb.DoubleValue{},
		&structpb.Struct{},
		&structpb.Value{},
		&structpb.ListValue{},
		&udpatypev1.TypedStruct{},
		&xdstypev3.TypedStruct{},
	} {
		if err := t.RegisterMessage(m.ProtoReflect().Type()); err != nil {
			panic(err) // a duplicate in the list above
		}
	}
	return t
}()

// typeName returns the message name a type URL denotes: the text after the
// last '/', as protobuf resolvers do.
func typeName(url string) protoreflect.FullName {
	return protoreflect.FullName(url[strings.LastIndexByte(url, '/')+1:])
}

// isTypedStruct reports whether url names a TypedStruct.
func isTypedStruct(url string) bool {
	n := typeName(url)
	return n == udpaTypedStruct || n == xdsTypedStruct
}

// jsonValueTypes are the well-known types whose JSON form is not an object
// of fields; inside an Any they are written {"@type": ..., "value": <json>}.
var jsonValueTypes = map[protoreflect.FullName]bool{
	"google.protobuf.Any":         true,
	"google.protobuf.Duration":    true,
	"google.protobuf.Timestamp":   true,
	"google.protobuf.FieldMask":   true,
	"google.protobuf.Struct":      true,
	"google.protobuf.Value":       true,
	"google.protobuf.ListValue":   true,
	"google.protobuf.Empty":       true,
	"google.protobuf.StringValue": true,
	"google.protobuf.BytesValue":  true,
	"google.protobuf.BoolValue":   true,
	"google.protobuf.Int32Value":  true,
	"google.protobuf.Int64Value":  true,
	"google.protobuf.UInt32Value": true,
	"google.protobuf.UInt64Value": true,
	"google.protobuf.FloatValue":  true,
	"google.protobuf.DoubleValue": true,
}
