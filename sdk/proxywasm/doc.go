// Package proxywasm is the wasmesh Go SDK for Proxy-Wasm filters (ABI
// 0.2.1), built with the stock Go toolchain (1.24 or later):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o filter.wasm .
//
// The module is a WASI reactor: the host runs _initialize, which runs the
// package init functions, where the filter registers its contexts with one
// of the entry points SetVMContext, SetPluginContext, SetHttpContext or
// SetTcpContext. Package main also needs an empty func main(). Do not call
// host functions other than logging from init: hosts reject them while the
// module starts.
//
// # Porting from the upstream Go SDK
//
// The public API mirrors github.com/proxy-wasm/proxy-wasm-go-sdk (packages
// proxywasm and proxywasm/types). Porting a filter means replacing the import
// path prefix github.com/proxy-wasm/proxy-wasm-go-sdk with
// github.com/wasmesh/wasmesh/sdk. Differences:
//
//   - The module exports the ABI marker proxy_abi_version_0_2_1 (upstream:
//     0_2_0), and every callback of ABI 0.2.1, including the gRPC callbacks
//     and proxy_on_foreign_function.
//   - PluginDone returns an error (upstream returns nothing).
//   - SetProperty and EnqueueSharedQueue accept empty data (upstream rejects
//     or panics); MetricCounter.Increment(0) and MetricGauge.Add(0) do
//     nothing instead of asking the host (Envoy rejects a zero counter
//     increment).
//   - Unknown context ids and unknown callout ids in callbacks are logged at
//     error level and ignored instead of panicking (which traps the VM).
//   - Every status code has its own error (types.ErrorStatus*), not only the
//     seven upstream knows.
//   - A stream whose host never sends proxy_on_log still gets
//     OnHttpStreamDone/OnStreamDone, from proxy_on_delete.
//
// Additions, for the host functions upstream does not wrap: GetLogLevel,
// GetCurrentTimeNanoseconds, GetStatus, ContinueStream, CloseStream,
// SendHttpResponseWithDetails, GetBufferBytes, SetBufferBytes,
// GetBufferStatus, the generic header-map functions (GetHeaderMapPairs,
// GetHeaderMapSize, ...), gRPC (GrpcCall, GrpcStream, GrpcSend, GrpcCancel,
// GrpcClose with types.GrpcCallHandler), foreign-function callbacks
// (types.ForeignFunctionContext, GetForeignFunctionArguments), error-returning
// metric calls (DefineMetric, IncrementMetric, RecordMetric, GetMetric,
// Metric*.Get, MetricGauge.Set) and typed property getters
// (GetPropertyString, GetPropertyInt64, GetPropertyUint64, GetPropertyBool,
// GetPropertyStringMap, ...).
//
// # Errors
//
// Host calls return the types.Error* value matching the host's status:
// types.ErrorStatusNotFound for NOT_FOUND, and so on. As upstream does, an
// empty result from a call that returns a header map or a buffer (the host
// answers OK with no data) is reported as types.ErrorStatusNotFound.
//
// # Callouts
//
// Hosts deliver HTTP and gRPC callout results to the plugin (root) context.
// The SDK maps each callout back to the context that dispatched it, makes
// that context effective with proxy_set_effective_context and then runs the
// callback, so ResumeHttpRequest and SendHttpResponse act on the right
// stream. If the stream was deleted before the result came back, the
// callback is skipped.
//
// # Native builds
//
// The package also compiles for other platforms, so that code using it can
// be built, vetted and unit-tested with the normal toolchain, but every host
// call panics there, explaining that it needs a Proxy-Wasm host.
package proxywasm
