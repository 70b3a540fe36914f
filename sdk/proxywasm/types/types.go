package types

import "errors"

// Action is the result of a stream callback: what the host should do next.
type Action uint32

const (
	// ActionContinue lets the host continue processing the stream.
	ActionContinue Action = 0
	// ActionPause stops the host from forwarding the stream. For headers
	// Envoy stops the body too; for bodies it buffers the data and calls
	// again with the total buffered size. Resume with
	// proxywasm.ResumeHttpRequest, ResumeHttpResponse or ContinueTcpStream.
	ActionPause Action = 1

	// The following values are Envoy's richer header and body statuses.
	// Hosts that only know Continue and Pause treat them as Pause.

	// HeaderContinue is FilterHeadersStatus::Continue.
	HeaderContinue Action = 0
	// HeaderStopIteration is FilterHeadersStatus::StopIteration.
	HeaderStopIteration Action = 1
	// HeaderContinueAndEndStream is FilterHeadersStatus::ContinueAndEndStream.
	HeaderContinueAndEndStream Action = 2
	// HeaderStopAllIterationAndBuffer is FilterHeadersStatus::StopAllIterationAndBuffer.
	HeaderStopAllIterationAndBuffer Action = 3
	// HeaderStopAllIterationAndWatermark is FilterHeadersStatus::StopAllIterationAndWatermark.
	HeaderStopAllIterationAndWatermark Action = 4

	// DataContinue is FilterDataStatus::Continue.
	DataContinue Action = 0
	// DataStopIterationAndBuffer is FilterDataStatus::StopIterationAndBuffer.
	DataStopIterationAndBuffer Action = 1
	// DataStopIterationAndWatermark is FilterDataStatus::StopIterationAndWatermark.
	DataStopIterationAndWatermark Action = 2
	// DataStopIterationNoBuffer is FilterDataStatus::StopIterationNoBuffer.
	DataStopIterationNoBuffer Action = 3
)

// PeerType tells which side closed a TCP connection.
type PeerType uint32

const (
	// PeerTypeUnknown means the host does not know who closed the connection.
	PeerTypeUnknown PeerType = 0
	// PeerTypeLocal means the proxy closed the connection.
	PeerTypeLocal PeerType = 1
	// PeerTypeRemote means the peer closed the connection.
	PeerTypeRemote PeerType = 2
)

// OnVMStartStatus is the result of VMContext.OnVMStart.
type OnVMStartStatus bool

const (
	// OnVMStartStatusOK means the VM started.
	OnVMStartStatusOK OnVMStartStatus = true
	// OnVMStartStatusFailed rejects the VM configuration.
	OnVMStartStatusFailed OnVMStartStatus = false
)

// OnPluginStartStatus is the result of PluginContext.OnPluginStart.
type OnPluginStartStatus bool

const (
	// OnPluginStartStatusOK means the plugin configuration was accepted.
	OnPluginStartStatusOK OnPluginStartStatus = true
	// OnPluginStartStatusFailed rejects the plugin configuration.
	OnPluginStartStatusFailed OnPluginStartStatus = false
)

// LogLevel is a Proxy-Wasm log level (proxy_log_level_t).
type LogLevel uint32

// Log levels, in increasing severity.
const (
	LogLevelTrace    LogLevel = 0
	LogLevelDebug    LogLevel = 1
	LogLevelInfo     LogLevel = 2
	LogLevelWarn     LogLevel = 3
	LogLevelError    LogLevel = 4
	LogLevelCritical LogLevel = 5
)

// String returns the lower-case name of the level, or "unknown".
func (l LogLevel) String() string {
	switch l {
	case LogLevelTrace:
		return "trace"
	case LogLevelDebug:
		return "debug"
	case LogLevelInfo:
		return "info"
	case LogLevelWarn:
		return "warn"
	case LogLevelError:
		return "error"
	case LogLevelCritical:
		return "critical"
	}
	return "unknown"
}

// StreamType selects the stream for proxywasm.ContinueStream and
// proxywasm.CloseStream.
type StreamType uint32

const (
	// StreamTypeRequest is the HTTP request direction.
	StreamTypeRequest StreamType = 0
	// StreamTypeResponse is the HTTP response direction.
	StreamTypeResponse StreamType = 1
	// StreamTypeDownstream is the TCP client side.
	StreamTypeDownstream StreamType = 2
	// StreamTypeUpstream is the TCP backend side.
	StreamTypeUpstream StreamType = 3
)

// BufferType selects a host buffer for the generic buffer calls.
type BufferType uint32

const (
	// BufferTypeHttpRequestBody is the HTTP request body.
	BufferTypeHttpRequestBody BufferType = 0
	// BufferTypeHttpResponseBody is the HTTP response body.
	BufferTypeHttpResponseBody BufferType = 1
	// BufferTypeDownstreamData is TCP data from the client.
	BufferTypeDownstreamData BufferType = 2
	// BufferTypeUpstreamData is TCP data from the backend.
	BufferTypeUpstreamData BufferType = 3
	// BufferTypeHttpCallResponseBody is the body of a DispatchHttpCall response.
	BufferTypeHttpCallResponseBody BufferType = 4
	// BufferTypeGrpcReceiveBuffer is a received gRPC message.
	BufferTypeGrpcReceiveBuffer BufferType = 5
	// BufferTypeVMConfiguration is the VM configuration.
	BufferTypeVMConfiguration BufferType = 6
	// BufferTypePluginConfiguration is the plugin configuration.
	BufferTypePluginConfiguration BufferType = 7
	// BufferTypeCallData holds the arguments of proxy_on_foreign_function.
	BufferTypeCallData BufferType = 8
)

// MapType selects a host header map for the generic header map calls.
type MapType uint32

const (
	// MapTypeHttpRequestHeaders is the HTTP request headers.
	MapTypeHttpRequestHeaders MapType = 0
	// MapTypeHttpRequestTrailers is the HTTP request trailers.
	MapTypeHttpRequestTrailers MapType = 1
	// MapTypeHttpResponseHeaders is the HTTP response headers.
	MapTypeHttpResponseHeaders MapType = 2
	// MapTypeHttpResponseTrailers is the HTTP response trailers.
	MapTypeHttpResponseTrailers MapType = 3
	// MapTypeGrpcReceiveInitialMetadata is the initial metadata of a gRPC response.
	MapTypeGrpcReceiveInitialMetadata MapType = 4
	// MapTypeGrpcReceiveTrailingMetadata is the trailing metadata of a gRPC response.
	MapTypeGrpcReceiveTrailingMetadata MapType = 5
	// MapTypeHttpCallResponseHeaders is the headers of a DispatchHttpCall response.
	MapTypeHttpCallResponseHeaders MapType = 6
	// MapTypeHttpCallResponseTrailers is the trailers of a DispatchHttpCall response.
	MapTypeHttpCallResponseTrailers MapType = 7
)

// MetricType is the kind of a metric for proxywasm.DefineMetric.
type MetricType uint32

const (
	// MetricTypeCounter is a monotonically increasing counter.
	MetricTypeCounter MetricType = 0
	// MetricTypeGauge is a value that can go up and down.
	MetricTypeGauge MetricType = 1
	// MetricTypeHistogram records a distribution of values.
	MetricTypeHistogram MetricType = 2
)

// Errors returned by host calls, one per Proxy-Wasm status code. The first
// six have the upstream SDK's names and messages.
var (
	// ErrorStatusNotFound is status 1: a missing key, property, queue or
	// buffer, or an empty result where the SDK reports "not found".
	ErrorStatusNotFound = errors.New("error status returned by host: not found")
	// ErrorStatusBadArgument is status 2: invalid arguments, an unknown
	// context or cluster, or a map or buffer not available in this callback.
	ErrorStatusBadArgument = errors.New("error status returned by host: bad argument")
	// ErrorStatusEmpty is status 7: DequeueSharedQueue found the queue empty.
	ErrorStatusEmpty = errors.New("error status returned by host: empty")
	// ErrorStatusCasMismatch is status 8: SetSharedData lost a
	// compare-and-swap race; read the value again and retry.
	ErrorStatusCasMismatch = errors.New("error status returned by host: cas mismatch")
	// ErrorInternalFailure is status 10: the host failed (for example a
	// callout could not be started, or the capability is restricted).
	ErrorInternalFailure = errors.New("error status returned by host: internal failure")
	// ErrorUnimplemented is status 12: the host does not implement the call.
	ErrorUnimplemented = errors.New("error status returned by host: unimplemented")

	// ErrorStatusSerializationFailure is status 3.
	ErrorStatusSerializationFailure = errors.New("error status returned by host: serialization failure")
	// ErrorStatusParseFailure is status 4 (for example a gRPC call to an
	// unknown cluster).
	ErrorStatusParseFailure = errors.New("error status returned by host: parse failure")
	// ErrorStatusBadExpression is status 5.
	ErrorStatusBadExpression = errors.New("error status returned by host: bad expression")
	// ErrorStatusInvalidMemoryAccess is status 6: the host could not read or
	// write guest memory.
	ErrorStatusInvalidMemoryAccess = errors.New("error status returned by host: invalid memory access")
	// ErrorStatusResultMismatch is status 9.
	ErrorStatusResultMismatch = errors.New("error status returned by host: result mismatch")
	// ErrorStatusBrokenConnection is status 11 (for example, GetStatus during
	// the response of a failed HTTP call).
	ErrorStatusBrokenConnection = errors.New("error status returned by host: broken connection")
)
