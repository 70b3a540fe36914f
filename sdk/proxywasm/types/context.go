// Package types holds the interfaces a filter implements (VMContext,
// PluginContext, HttpContext, TcpContext), their no-op Default*
// implementations, and the enumerations and errors shared with package
// proxywasm.
//
// The names and signatures mirror the upstream
// github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types package, so a filter
// written for it compiles against this package after changing the import path.
//
// The contexts form a tree:
//
//	VMContext (one per Wasm VM)
//	  └── PluginContext (one per plugin configuration, the "root context")
//	        ├── HttpContext (one per HTTP request/response pair)
//	        └── TcpContext  (one per TCP connection)
package types

// VMContext corresponds to one Wasm VM. Exactly one exists per VM; register it
// with proxywasm.SetVMContext from an init function.
type VMContext interface {
	// OnVMStart is called once per plugin (root) context right after the host
	// created it, before OnPluginStart. GetVMConfiguration is available during
	// this call. Return OnVMStartStatusFailed to reject the VM.
	OnVMStart(vmConfigurationSize int) OnVMStartStatus

	// NewPluginContext creates the PluginContext for a new root context id.
	NewPluginContext(contextID uint32) PluginContext
}

// PluginContext corresponds to one plugin configuration (a filter entry in
// the host's configuration). It creates the stream contexts.
type PluginContext interface {
	// OnPluginStart is called after OnVMStart. GetPluginConfiguration is
	// available during this call. Return OnPluginStartStatusFailed to reject
	// the configuration.
	OnPluginStart(pluginConfigurationSize int) OnPluginStartStatus

	// OnPluginDone is called when the host shuts the plugin down. Return false
	// to delay the deletion; call proxywasm.PluginDone once the pending work is
	// finished.
	OnPluginDone() bool

	// OnQueueReady is called for each item enqueued on a queue this plugin
	// registered with proxywasm.RegisterSharedQueue. The queue may already be
	// empty when this runs (another VM may have dequeued the item).
	OnQueueReady(queueID uint32)

	// OnTick is called every period set with
	// proxywasm.SetTickPeriodMilliSeconds.
	OnTick()

	// NewTcpContext creates the context for a new TCP connection. Return nil
	// if this plugin does not handle TCP.
	NewTcpContext(contextID uint32) TcpContext

	// NewHttpContext creates the context for a new HTTP stream. Return nil if
	// this plugin does not handle HTTP.
	NewHttpContext(contextID uint32) HttpContext
}

// TcpContext handles the events of one TCP connection.
type TcpContext interface {
	// OnNewConnection is called when the downstream connection is accepted.
	OnNewConnection() Action

	// OnDownstreamData is called for each chunk received from the client.
	OnDownstreamData(dataSize int, endOfStream bool) Action

	// OnDownstreamClose is called when the downstream connection is closed.
	OnDownstreamClose(peerType PeerType)

	// OnUpstreamData is called for each chunk received from the backend.
	OnUpstreamData(dataSize int, endOfStream bool) Action

	// OnUpstreamClose is called when the upstream connection is closed.
	OnUpstreamClose(peerType PeerType)

	// OnStreamDone is called once, before the host deletes the context.
	OnStreamDone()
}

// HttpContext handles the events of one HTTP request/response pair.
type HttpContext interface {
	// OnHttpRequestHeaders is called when the request headers arrive.
	OnHttpRequestHeaders(numHeaders int, endOfStream bool) Action

	// OnHttpRequestBody is called for each request body chunk. After
	// returning ActionPause the host buffers the body and the next call
	// reports the total buffered size.
	OnHttpRequestBody(bodySize int, endOfStream bool) Action

	// OnHttpRequestTrailers is called when the request trailers arrive.
	OnHttpRequestTrailers(numTrailers int) Action

	// OnHttpResponseHeaders is called when the response headers arrive.
	OnHttpResponseHeaders(numHeaders int, endOfStream bool) Action

	// OnHttpResponseBody is called for each response body chunk, with the
	// same buffering rules as OnHttpRequestBody.
	OnHttpResponseBody(bodySize int, endOfStream bool) Action

	// OnHttpResponseTrailers is called when the response trailers arrive.
	OnHttpResponseTrailers(numTrailers int) Action

	// OnHttpStreamDone is called once at the end of the stream, from the
	// host's proxy_on_log callback, so request and response data are still
	// readable. Use it for access logging.
	OnHttpStreamDone()
}

// GrpcCallHandler receives the events of a gRPC call or stream started with
// proxywasm.GrpcCall or proxywasm.GrpcStream. A PluginContext may implement
// it too: it then receives the events of calls dispatched with a nil handler
// (and of calls the SDK does not know). DefaultPluginContext implements it
// with no-ops.
//
// This interface is a wasmesh extension: the upstream Go SDK has no gRPC
// support.
type GrpcCallHandler interface {
	// OnGrpcReceiveInitialMetadata is called when the response's initial
	// metadata arrived; read it with proxywasm.GetGrpcReceiveInitialMetadata.
	OnGrpcReceiveInitialMetadata(calloutID uint32, numElements int)

	// OnGrpcReceive is called for each response message; read it with
	// proxywasm.GetGrpcReceiveMessage.
	OnGrpcReceive(calloutID uint32, messageSize int)

	// OnGrpcReceiveTrailingMetadata is called when the trailing metadata
	// arrived; read it with proxywasm.GetGrpcReceiveTrailingMetadata.
	OnGrpcReceiveTrailingMetadata(calloutID uint32, numElements int)

	// OnGrpcClose is called once when the call or stream has finished, with
	// the gRPC status code (0 is OK). proxywasm.GetStatus returns the code and
	// the status message during this call.
	OnGrpcClose(calloutID uint32, statusCode uint32)
}

// ForeignFunctionContext is implemented by a PluginContext that wants the
// host-initiated proxy_on_foreign_function callback. The arguments are
// readable with proxywasm.GetForeignFunctionArguments during the call.
// DefaultPluginContext implements it with a no-op.
//
// This interface is a wasmesh extension: the upstream Go SDK does not export
// proxy_on_foreign_function.
type ForeignFunctionContext interface {
	OnForeignFunction(functionID uint32, argumentsSize int)
}

type (
	// DefaultVMContext is a no-op VMContext to embed in your own type.
	DefaultVMContext struct{}

	// DefaultPluginContext is a no-op PluginContext to embed in your own type.
	DefaultPluginContext struct{}

	// DefaultTcpContext is a no-op TcpContext to embed in your own type.
	DefaultTcpContext struct{}

	// DefaultHttpContext is a no-op HttpContext to embed in your own type.
	DefaultHttpContext struct{}

	// DefaultGrpcCallHandler is a no-op GrpcCallHandler to embed in your own type.
	DefaultGrpcCallHandler struct{}
)

// OnVMStart implements VMContext and returns OnVMStartStatusOK.
func (*DefaultVMContext) OnVMStart(int) OnVMStartStatus { return OnVMStartStatusOK }

// NewPluginContext implements VMContext and returns a DefaultPluginContext.
func (*DefaultVMContext) NewPluginContext(uint32) PluginContext { return &DefaultPluginContext{} }

// OnPluginStart implements PluginContext and returns OnPluginStartStatusOK.
func (*DefaultPluginContext) OnPluginStart(int) OnPluginStartStatus { return OnPluginStartStatusOK }

// OnPluginDone implements PluginContext and returns true.
func (*DefaultPluginContext) OnPluginDone() bool { return true }

// OnQueueReady implements PluginContext and does nothing.
func (*DefaultPluginContext) OnQueueReady(uint32) {}

// OnTick implements PluginContext and does nothing.
func (*DefaultPluginContext) OnTick() {}

// NewTcpContext implements PluginContext and returns nil.
func (*DefaultPluginContext) NewTcpContext(uint32) TcpContext { return nil }

// NewHttpContext implements PluginContext and returns nil.
func (*DefaultPluginContext) NewHttpContext(uint32) HttpContext { return nil }

// OnGrpcReceiveInitialMetadata implements GrpcCallHandler and does nothing.
func (*DefaultPluginContext) OnGrpcReceiveInitialMetadata(uint32, int) {}

// OnGrpcReceive implements GrpcCallHandler and does nothing.
func (*DefaultPluginContext) OnGrpcReceive(uint32, int) {}

// OnGrpcReceiveTrailingMetadata implements GrpcCallHandler and does nothing.
func (*DefaultPluginContext) OnGrpcReceiveTrailingMetadata(uint32, int) {}

// OnGrpcClose implements GrpcCallHandler and does nothing.
func (*DefaultPluginContext) OnGrpcClose(uint32, uint32) {}

// OnForeignFunction implements ForeignFunctionContext and does nothing.
func (*DefaultPluginContext) OnForeignFunction(uint32, int) {}

// OnNewConnection implements TcpContext and returns ActionContinue.
func (*DefaultTcpContext) OnNewConnection() Action { return ActionContinue }

// OnDownstreamData implements TcpContext and returns ActionContinue.
func (*DefaultTcpContext) OnDownstreamData(int, bool) Action { return ActionContinue }

// OnDownstreamClose implements TcpContext and does nothing.
func (*DefaultTcpContext) OnDownstreamClose(PeerType) {}

// OnUpstreamData implements TcpContext and returns ActionContinue.
func (*DefaultTcpContext) OnUpstreamData(int, bool) Action { return ActionContinue }

// OnUpstreamClose implements TcpContext and does nothing.
func (*DefaultTcpContext) OnUpstreamClose(PeerType) {}

// OnStreamDone implements TcpContext and does nothing.
func (*DefaultTcpContext) OnStreamDone() {}

// OnHttpRequestHeaders implements HttpContext and returns ActionContinue.
func (*DefaultHttpContext) OnHttpRequestHeaders(int, bool) Action { return ActionContinue }

// OnHttpRequestBody implements HttpContext and returns ActionContinue.
func (*DefaultHttpContext) OnHttpRequestBody(int, bool) Action { return ActionContinue }

// OnHttpRequestTrailers implements HttpContext and returns ActionContinue.
func (*DefaultHttpContext) OnHttpRequestTrailers(int) Action { return ActionContinue }

// OnHttpResponseHeaders implements HttpContext and returns ActionContinue.
func (*DefaultHttpContext) OnHttpResponseHeaders(int, bool) Action { return ActionContinue }

// OnHttpResponseBody implements HttpContext and returns ActionContinue.
func (*DefaultHttpContext) OnHttpResponseBody(int, bool) Action { return ActionContinue }

// OnHttpResponseTrailers implements HttpContext and returns ActionContinue.
func (*DefaultHttpContext) OnHttpResponseTrailers(int) Action { return ActionContinue }

// OnHttpStreamDone implements HttpContext and does nothing.
func (*DefaultHttpContext) OnHttpStreamDone() {}

// OnGrpcReceiveInitialMetadata implements GrpcCallHandler and does nothing.
func (*DefaultGrpcCallHandler) OnGrpcReceiveInitialMetadata(uint32, int) {}

// OnGrpcReceive implements GrpcCallHandler and does nothing.
func (*DefaultGrpcCallHandler) OnGrpcReceive(uint32, int) {}

// OnGrpcReceiveTrailingMetadata implements GrpcCallHandler and does nothing.
func (*DefaultGrpcCallHandler) OnGrpcReceiveTrailingMetadata(uint32, int) {}

// OnGrpcClose implements GrpcCallHandler and does nothing.
func (*DefaultGrpcCallHandler) OnGrpcClose(uint32, uint32) {}

var (
	_ VMContext              = &DefaultVMContext{}
	_ PluginContext          = &DefaultPluginContext{}
	_ GrpcCallHandler        = &DefaultPluginContext{}
	_ ForeignFunctionContext = &DefaultPluginContext{}
	_ TcpContext             = &DefaultTcpContext{}
	_ HttpContext            = &DefaultHttpContext{}
	_ GrpcCallHandler        = &DefaultGrpcCallHandler{}
)

// PluginContextFactory creates a PluginContext; see proxywasm.SetPluginContext.
type PluginContextFactory func(contextID uint32) PluginContext

// HttpContextFactory creates an HttpContext; see proxywasm.SetHttpContext.
type HttpContextFactory func(contextID uint32) HttpContext

// TcpContextFactory creates a TcpContext; see proxywasm.SetTcpContext.
type TcpContextFactory func(contextID uint32) TcpContext
