package host

import "fmt"

// ABIVersion is the Proxy-Wasm ABI a module was built for, detected from its
// marker export (proxy_abi_version_X_Y_Z).
type ABIVersion uint8

// ABI versions this host runs.
const (
	ABIUnknown ABIVersion = iota
	ABI010                // proxy_abi_version_0_1_0
	ABI020                // proxy_abi_version_0_2_0
	ABI021                // proxy_abi_version_0_2_1
)

// String returns the dotted version, e.g. "0.2.1".
func (v ABIVersion) String() string {
	switch v {
	case ABI010:
		return "0.1.0"
	case ABI020:
		return "0.2.0"
	case ABI021:
		return "0.2.1"
	}
	return "unknown"
}

// abiMarkers maps marker export names to versions.
var abiMarkers = map[string]ABIVersion{
	"proxy_abi_version_0_1_0": ABI010,
	"proxy_abi_version_0_2_0": ABI020,
	"proxy_abi_version_0_2_1": ABI021,
}

// Status is a Proxy-Wasm status code (proxy_status_t), the i32 every host
// function returns.
type Status uint32

// Status codes, as the ABI and Envoy number them.
const (
	StatusOK                   Status = 0
	StatusNotFound             Status = 1
	StatusBadArgument          Status = 2
	StatusSerializationFailure Status = 3
	StatusParseFailure         Status = 4
	StatusBadExpression        Status = 5
	StatusInvalidMemoryAccess  Status = 6
	StatusEmpty                Status = 7
	StatusCASMismatch          Status = 8
	StatusResultMismatch       Status = 9
	StatusInternalFailure      Status = 10
	StatusBrokenConnection     Status = 11
	StatusUnimplemented        Status = 12
)

var statusNames = [...]string{
	"OK", "NOT_FOUND", "BAD_ARGUMENT", "SERIALIZATION_FAILURE", "PARSE_FAILURE",
	"BAD_EXPRESSION", "INVALID_MEMORY_ACCESS", "EMPTY", "CAS_MISMATCH",
	"RESULT_MISMATCH", "INTERNAL_FAILURE", "BROKEN_CONNECTION", "UNIMPLEMENTED",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("STATUS_%d", uint32(s))
}

// Action is the raw value a stream callback returned. The ABI defines only
// Continue and Pause; the C++ and AssemblyScript SDKs return Envoy's richer
// enums (2–4), which are passed through unchanged. See the Envoy conversion
// helpers HeadersStatus, DataStatus and TrailersStatus.
type Action uint32

// Actions defined by the ABI.
const (
	ActionContinue Action = 0
	ActionPause    Action = 1
)

// Envoy's FilterHeadersStatus values, which a header callback may return.
const (
	HeadersContinue                     Action = 0
	HeadersStopIteration                Action = 1
	HeadersContinueAndEndStream         Action = 2
	HeadersStopAllIterationAndBuffer    Action = 3
	HeadersStopAllIterationAndWatermark Action = 4
)

// Envoy's FilterDataStatus values.
const (
	DataContinue                  Action = 0
	DataStopIterationAndBuffer    Action = 1
	DataStopIterationAndWatermark Action = 2
	DataStopIterationNoBuffer     Action = 3
)

// HeadersStatus converts a header callback result the way Envoy does: values
// above 4 become 4, and 1 (Pause) becomes StopAllIterationAndWatermark unless
// allowStopIteration (Envoy's allow_on_headers_stop_iteration) is set.
func HeadersStatus(a Action, allowStopIteration bool) Action {
	if a > HeadersStopAllIterationAndWatermark {
		return HeadersStopAllIterationAndWatermark
	}
	if a == HeadersStopIteration && !allowStopIteration {
		return HeadersStopAllIterationAndWatermark
	}
	return a
}

// DataStatus converts a body callback result the way Envoy does: values above
// 3 become 3 (StopIterationNoBuffer).
func DataStatus(a Action) Action {
	if a > DataStopIterationNoBuffer {
		return DataStopIterationNoBuffer
	}
	return a
}

// TrailersStatus converts a trailers callback result: anything non-zero stops.
func TrailersStatus(a Action) Action {
	if a > ActionPause {
		return ActionPause
	}
	return a
}

// MapType selects a header, trailer or metadata map (proxy_map_type_t).
type MapType uint32

// Map types.
const (
	MapRequestHeaders           MapType = 0
	MapRequestTrailers          MapType = 1
	MapResponseHeaders          MapType = 2
	MapResponseTrailers         MapType = 3
	MapGRPCInitialMetadata      MapType = 4
	MapGRPCTrailingMetadata     MapType = 5
	MapHTTPCallResponseHeaders  MapType = 6
	MapHTTPCallResponseTrailers MapType = 7
	maxMapType                          = MapHTTPCallResponseTrailers
)

// BufferType selects a buffer (proxy_buffer_type_t).
type BufferType uint32

// Buffer types.
const (
	BufferRequestBody          BufferType = 0
	BufferResponseBody         BufferType = 1
	BufferDownstreamData       BufferType = 2
	BufferUpstreamData         BufferType = 3
	BufferHTTPCallResponseBody BufferType = 4
	BufferGRPCReceive          BufferType = 5
	BufferVMConfiguration      BufferType = 6
	BufferPluginConfiguration  BufferType = 7
	BufferForeignArguments     BufferType = 8
	maxBufferType                         = BufferForeignArguments
)

// StreamType selects a stream direction (proxy_stream_type_t).
type StreamType uint32

// Stream types.
const (
	StreamRequest    StreamType = 0
	StreamResponse   StreamType = 1
	StreamDownstream StreamType = 2
	StreamUpstream   StreamType = 3
	maxStreamType               = StreamUpstream
)

// PeerType tells who closed a TCP connection.
type PeerType uint32

// Peer types.
const (
	PeerUnknown PeerType = 0
	PeerLocal   PeerType = 1
	PeerRemote  PeerType = 2
)

// LogLevel is a Proxy-Wasm log level (proxy_log_level_t).
type LogLevel uint32

// Log levels. LogOff is never valid from a guest; it is what the host reports
// (clamped to LogCritical) when logging is off.
const (
	LogTrace    LogLevel = 0
	LogDebug    LogLevel = 1
	LogInfo     LogLevel = 2
	LogWarn     LogLevel = 3
	LogError    LogLevel = 4
	LogCritical LogLevel = 5
	LogOff      LogLevel = 6
)

var logLevelNames = [...]string{"trace", "debug", "info", "warning", "error", "critical", "off"}

func (l LogLevel) String() string {
	if int(l) < len(logLevelNames) {
		return logLevelNames[l]
	}
	return fmt.Sprintf("level%d", uint32(l))
}

// ParseLogLevel parses Envoy's level names (trace, debug, info, warning/warn,
// error, critical, off).
func ParseLogLevel(s string) (LogLevel, error) {
	switch s {
	case "trace":
		return LogTrace, nil
	case "debug":
		return LogDebug, nil
	case "info":
		return LogInfo, nil
	case "warning", "warn":
		return LogWarn, nil
	case "error", "err":
		return LogError, nil
	case "critical":
		return LogCritical, nil
	case "off":
		return LogOff, nil
	}
	return 0, fmt.Errorf("host: unknown log level %q", s)
}

// MetricType is a metric kind (proxy_metric_type_t).
type MetricType uint32

// Metric types.
const (
	MetricCounter   MetricType = 0
	MetricGauge     MetricType = 1
	MetricHistogram MetricType = 2
	maxMetricType              = MetricHistogram
)

func (t MetricType) String() string {
	switch t {
	case MetricCounter:
		return "counter"
	case MetricGauge:
		return "gauge"
	case MetricHistogram:
		return "histogram"
	}
	return fmt.Sprintf("metric%d", uint32(t))
}

// GRPCStatusNone is the grpc_status value SDKs pass to
// proxy_send_local_response for a reply that is not gRPC.
const GRPCStatusNone = -1
