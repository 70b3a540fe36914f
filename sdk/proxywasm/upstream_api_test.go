package proxywasm

import "github.com/wasmesh/wasmesh/sdk/proxywasm/types"

// These assignments pin every public function of the upstream
// proxy-wasm-go-sdk (packages proxywasm and proxywasm/types) to its upstream
// signature, so that a filter ports by changing the import path only. The
// one intended difference is PluginDone, which also returns an error.
var (
	_ func(types.VMContext)                          = SetVMContext
	_ func(func(uint32) types.PluginContext)         = SetPluginContext
	_ func(func(uint32) types.HttpContext)           = SetHttpContext
	_ func(func(uint32) types.TcpContext)            = SetTcpContext
	_ func() ([]byte, error)                         = GetVMConfiguration
	_ func() ([]byte, error)                         = GetPluginConfiguration
	_ func(uint32) error                             = SetTickPeriodMilliSeconds
	_ func(uint32) error                             = SetEffectiveContext
	_ func(string) (uint32, error)                   = RegisterSharedQueue
	_ func(string, string) (uint32, error)           = ResolveSharedQueue
	_ func(uint32, []byte) error                     = EnqueueSharedQueue
	_ func(uint32) ([]byte, error)                   = DequeueSharedQueue
	_ func() error                                   = PluginDone // upstream: func()
	_ func() ([][2]string, error)                    = GetHttpCallResponseHeaders
	_ func(int, int) ([]byte, error)                 = GetHttpCallResponseBody
	_ func() ([][2]string, error)                    = GetHttpCallResponseTrailers
	_ func(int, int) ([]byte, error)                 = GetDownstreamData
	_ func([]byte) error                             = AppendDownstreamData
	_ func([]byte) error                             = PrependDownstreamData
	_ func([]byte) error                             = ReplaceDownstreamData
	_ func(int, int) ([]byte, error)                 = GetUpstreamData
	_ func([]byte) error                             = AppendUpstreamData
	_ func([]byte) error                             = PrependUpstreamData
	_ func([]byte) error                             = ReplaceUpstreamData
	_ func() error                                   = ContinueTcpStream
	_ func() error                                   = CloseDownstream
	_ func() error                                   = CloseUpstream
	_ func() ([][2]string, error)                    = GetHttpRequestHeaders
	_ func([][2]string) error                        = ReplaceHttpRequestHeaders
	_ func(string) (string, error)                   = GetHttpRequestHeader
	_ func(string) error                             = RemoveHttpRequestHeader
	_ func(string, string) error                     = ReplaceHttpRequestHeader
	_ func(string, string) error                     = AddHttpRequestHeader
	_ func(int, int) ([]byte, error)                 = GetHttpRequestBody
	_ func([]byte) error                             = AppendHttpRequestBody
	_ func([]byte) error                             = PrependHttpRequestBody
	_ func([]byte) error                             = ReplaceHttpRequestBody
	_ func() ([][2]string, error)                    = GetHttpRequestTrailers
	_ func([][2]string) error                        = ReplaceHttpRequestTrailers
	_ func(string) (string, error)                   = GetHttpRequestTrailer
	_ func(string) error                             = RemoveHttpRequestTrailer
	_ func(string, string) error                     = ReplaceHttpRequestTrailer
	_ func(string, string) error                     = AddHttpRequestTrailer
	_ func() error                                   = ResumeHttpRequest
	_ func() ([][2]string, error)                    = GetHttpResponseHeaders
	_ func([][2]string) error                        = ReplaceHttpResponseHeaders
	_ func(string) (string, error)                   = GetHttpResponseHeader
	_ func(string) error                             = RemoveHttpResponseHeader
	_ func(string, string) error                     = ReplaceHttpResponseHeader
	_ func(string, string) error                     = AddHttpResponseHeader
	_ func(int, int) ([]byte, error)                 = GetHttpResponseBody
	_ func([]byte) error                             = AppendHttpResponseBody
	_ func([]byte) error                             = PrependHttpResponseBody
	_ func([]byte) error                             = ReplaceHttpResponseBody
	_ func() ([][2]string, error)                    = GetHttpResponseTrailers
	_ func([][2]string) error                        = ReplaceHttpResponseTrailers
	_ func(string) (string, error)                   = GetHttpResponseTrailer
	_ func(string) error                             = RemoveHttpResponseTrailer
	_ func(string, string) error                     = ReplaceHttpResponseTrailer
	_ func(string, string) error                     = AddHttpResponseTrailer
	_ func() error                                   = ResumeHttpResponse
	_ func(uint32, [][2]string, []byte, int32) error = SendHttpResponse
	_ func(string) ([]byte, uint32, error)           = GetSharedData
	_ func(string, []byte, uint32) error             = SetSharedData
	_ func([]string) ([]byte, error)                 = GetProperty
	_ func([]string) ([][2]string, error)            = GetPropertyMap
	_ func([]string, []byte) error                   = SetProperty
	_ func(string, []byte) ([]byte, error)           = CallForeignFunction
	_ func(string)                                   = LogTrace
	_ func(string, ...interface{})                   = LogTracef
	_ func(string)                                   = LogDebug
	_ func(string, ...interface{})                   = LogDebugf
	_ func(string)                                   = LogInfo
	_ func(string, ...interface{})                   = LogInfof
	_ func(string)                                   = LogWarn
	_ func(string, ...interface{})                   = LogWarnf
	_ func(string)                                   = LogError
	_ func(string, ...interface{})                   = LogErrorf
	_ func(string)                                   = LogCritical
	_ func(string, ...interface{})                   = LogCriticalf
	_ func(string) MetricCounter                     = DefineCounterMetric
	_ func(string) MetricGauge                       = DefineGaugeMetric
	_ func(string) MetricHistogram                   = DefineHistogramMetric
	_ func(MetricCounter) uint64                     = MetricCounter.Value
	_ func(MetricCounter, uint64)                    = MetricCounter.Increment
	_ func(MetricGauge) int64                        = MetricGauge.Value
	_ func(MetricGauge, int64)                       = MetricGauge.Add
	_ func(MetricHistogram) uint64                   = MetricHistogram.Value
	_ func(MetricHistogram, uint64)                  = MetricHistogram.Record
	_ func(string, [][2]string, []byte, [][2]string, uint32,
		func(numHeaders, bodySize, numTrailers int)) (uint32, error) = DispatchHttpCall

	_ types.PluginContextFactory = func(uint32) types.PluginContext { return nil }
	_ types.HttpContextFactory   = func(uint32) types.HttpContext { return nil }
	_ types.TcpContextFactory    = func(uint32) types.TcpContext { return nil }

	_ = []types.Action{types.ActionContinue, types.ActionPause, types.HeaderContinue, types.HeaderStopIteration,
		types.HeaderContinueAndEndStream, types.HeaderStopAllIterationAndBuffer, types.HeaderStopAllIterationAndWatermark,
		types.DataContinue, types.DataStopIterationAndBuffer, types.DataStopIterationAndWatermark, types.DataStopIterationNoBuffer}
	_ = []types.PeerType{types.PeerTypeUnknown, types.PeerTypeLocal, types.PeerTypeRemote}
	_ = []types.OnVMStartStatus{types.OnVMStartStatusOK, types.OnVMStartStatusFailed}
	_ = []types.OnPluginStartStatus{types.OnPluginStartStatusOK, types.OnPluginStartStatusFailed}
	_ = []error{types.ErrorStatusNotFound, types.ErrorStatusBadArgument, types.ErrorStatusEmpty,
		types.ErrorStatusCasMismatch, types.ErrorInternalFailure, types.ErrorUnimplemented}
)
