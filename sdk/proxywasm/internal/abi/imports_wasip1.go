//go:build wasip1

// The Proxy-Wasm ABI 0.2.1 host functions, imported from module "env" with
// the exact Wasm types of the ABI: every parameter and result is i32 except
// the i64 value of proxy_increment_metric and proxy_record_metric. Pointers
// are guest addresses; imports_other.go has the same functions for native
// builds. Keep both files in sync.

package abi

import "unsafe"

// ProxyLog imports env.proxy_log.
//
//go:wasmimport env proxy_log
func ProxyLog(level uint32, message *byte, messageSize uint32) Status

// ProxyGetLogLevel imports env.proxy_get_log_level.
//
//go:wasmimport env proxy_get_log_level
func ProxyGetLogLevel(returnLevel *uint32) Status

// ProxyGetCurrentTimeNanoseconds imports env.proxy_get_current_time_nanoseconds.
//
//go:wasmimport env proxy_get_current_time_nanoseconds
func ProxyGetCurrentTimeNanoseconds(returnTime *uint64) Status

// ProxySetTickPeriodMilliseconds imports env.proxy_set_tick_period_milliseconds.
//
//go:wasmimport env proxy_set_tick_period_milliseconds
func ProxySetTickPeriodMilliseconds(period uint32) Status

// ProxySetEffectiveContext imports env.proxy_set_effective_context.
//
//go:wasmimport env proxy_set_effective_context
func ProxySetEffectiveContext(contextID uint32) Status

// ProxyDone imports env.proxy_done.
//
//go:wasmimport env proxy_done
func ProxyDone() Status

// ProxyCallForeignFunction imports env.proxy_call_foreign_function.
//
//go:wasmimport env proxy_call_foreign_function
func ProxyCallForeignFunction(name *byte, nameSize uint32, arguments *byte, argumentsSize uint32, returnResults unsafe.Pointer, returnResultsSize *uint32) Status

// ProxyGetBufferBytes imports env.proxy_get_buffer_bytes.
//
//go:wasmimport env proxy_get_buffer_bytes
func ProxyGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, returnData unsafe.Pointer, returnSize *uint32) Status

// ProxyGetBufferStatus imports env.proxy_get_buffer_status.
//
//go:wasmimport env proxy_get_buffer_status
func ProxyGetBufferStatus(bufferType uint32, returnSize *uint32, returnFlags *uint32) Status

// ProxySetBufferBytes imports env.proxy_set_buffer_bytes.
//
//go:wasmimport env proxy_set_buffer_bytes
func ProxySetBufferBytes(bufferType uint32, start uint32, size uint32, data *byte, dataSize uint32) Status

// ProxyGetHeaderMapSize imports env.proxy_get_header_map_size.
//
//go:wasmimport env proxy_get_header_map_size
func ProxyGetHeaderMapSize(mapType uint32, returnSize *uint32) Status

// ProxyGetHeaderMapPairs imports env.proxy_get_header_map_pairs.
//
//go:wasmimport env proxy_get_header_map_pairs
func ProxyGetHeaderMapPairs(mapType uint32, returnData unsafe.Pointer, returnSize *uint32) Status

// ProxySetHeaderMapPairs imports env.proxy_set_header_map_pairs.
//
//go:wasmimport env proxy_set_header_map_pairs
func ProxySetHeaderMapPairs(mapType uint32, data *byte, dataSize uint32) Status

// ProxyGetHeaderMapValue imports env.proxy_get_header_map_value.
//
//go:wasmimport env proxy_get_header_map_value
func ProxyGetHeaderMapValue(mapType uint32, key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status

// ProxyAddHeaderMapValue imports env.proxy_add_header_map_value.
//
//go:wasmimport env proxy_add_header_map_value
func ProxyAddHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status

// ProxyReplaceHeaderMapValue imports env.proxy_replace_header_map_value.
//
//go:wasmimport env proxy_replace_header_map_value
func ProxyReplaceHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status

// ProxyRemoveHeaderMapValue imports env.proxy_remove_header_map_value.
//
//go:wasmimport env proxy_remove_header_map_value
func ProxyRemoveHeaderMapValue(mapType uint32, key *byte, keySize uint32) Status

// ProxyContinueStream imports env.proxy_continue_stream.
//
//go:wasmimport env proxy_continue_stream
func ProxyContinueStream(streamType uint32) Status

// ProxyCloseStream imports env.proxy_close_stream.
//
//go:wasmimport env proxy_close_stream
func ProxyCloseStream(streamType uint32) Status

// ProxySendLocalResponse imports env.proxy_send_local_response.
//
//go:wasmimport env proxy_send_local_response
func ProxySendLocalResponse(statusCode uint32, details *byte, detailsSize uint32, body *byte, bodySize uint32, headers *byte, headersSize uint32, grpcStatus int32) Status

// ProxyGetStatus imports env.proxy_get_status.
//
//go:wasmimport env proxy_get_status
func ProxyGetStatus(returnCode *uint32, returnMessage unsafe.Pointer, returnMessageSize *uint32) Status

// ProxyHttpCall imports env.proxy_http_call.
//
//go:wasmimport env proxy_http_call
func ProxyHttpCall(upstream *byte, upstreamSize uint32, headers *byte, headersSize uint32, body *byte, bodySize uint32, trailers *byte, trailersSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status

// ProxyGrpcCall imports env.proxy_grpc_call.
//
//go:wasmimport env proxy_grpc_call
func ProxyGrpcCall(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, message *byte, messageSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status

// ProxyGrpcStream imports env.proxy_grpc_stream.
//
//go:wasmimport env proxy_grpc_stream
func ProxyGrpcStream(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, returnStreamID *uint32) Status

// ProxyGrpcSend imports env.proxy_grpc_send.
//
//go:wasmimport env proxy_grpc_send
func ProxyGrpcSend(streamID uint32, message *byte, messageSize uint32, endOfStream uint32) Status

// ProxyGrpcCancel imports env.proxy_grpc_cancel.
//
//go:wasmimport env proxy_grpc_cancel
func ProxyGrpcCancel(calloutID uint32) Status

// ProxyGrpcClose imports env.proxy_grpc_close.
//
//go:wasmimport env proxy_grpc_close
func ProxyGrpcClose(calloutID uint32) Status

// ProxyGetSharedData imports env.proxy_get_shared_data.
//
//go:wasmimport env proxy_get_shared_data
func ProxyGetSharedData(key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32, returnCas *uint32) Status

// ProxySetSharedData imports env.proxy_set_shared_data.
//
//go:wasmimport env proxy_set_shared_data
func ProxySetSharedData(key *byte, keySize uint32, value *byte, valueSize uint32, cas uint32) Status

// ProxyRegisterSharedQueue imports env.proxy_register_shared_queue.
//
//go:wasmimport env proxy_register_shared_queue
func ProxyRegisterSharedQueue(name *byte, nameSize uint32, returnQueueID *uint32) Status

// ProxyResolveSharedQueue imports env.proxy_resolve_shared_queue.
//
//go:wasmimport env proxy_resolve_shared_queue
func ProxyResolveSharedQueue(vmID *byte, vmIDSize uint32, name *byte, nameSize uint32, returnQueueID *uint32) Status

// ProxyEnqueueSharedQueue imports env.proxy_enqueue_shared_queue.
//
//go:wasmimport env proxy_enqueue_shared_queue
func ProxyEnqueueSharedQueue(queueID uint32, value *byte, valueSize uint32) Status

// ProxyDequeueSharedQueue imports env.proxy_dequeue_shared_queue.
//
//go:wasmimport env proxy_dequeue_shared_queue
func ProxyDequeueSharedQueue(queueID uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status

// ProxyDefineMetric imports env.proxy_define_metric.
//
//go:wasmimport env proxy_define_metric
func ProxyDefineMetric(metricType uint32, name *byte, nameSize uint32, returnMetricID *uint32) Status

// ProxyIncrementMetric imports env.proxy_increment_metric.
//
//go:wasmimport env proxy_increment_metric
func ProxyIncrementMetric(metricID uint32, offset int64) Status

// ProxyRecordMetric imports env.proxy_record_metric.
//
//go:wasmimport env proxy_record_metric
func ProxyRecordMetric(metricID uint32, value uint64) Status

// ProxyGetMetric imports env.proxy_get_metric.
//
//go:wasmimport env proxy_get_metric
func ProxyGetMetric(metricID uint32, returnValue *uint64) Status

// ProxyGetProperty imports env.proxy_get_property.
//
//go:wasmimport env proxy_get_property
func ProxyGetProperty(path *byte, pathSize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status

// ProxySetProperty imports env.proxy_set_property.
//
//go:wasmimport env proxy_set_property
func ProxySetProperty(path *byte, pathSize uint32, value *byte, valueSize uint32) Status
