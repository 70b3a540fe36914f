//go:build !wasip1

// Native stand-ins for the imports of imports_wasip1.go, with the same
// signatures. Keep both files in sync.

package abi

import "unsafe"

// Host is the raw Proxy-Wasm import table. Outside wasip1 builds every
// Proxy* function forwards to the Host installed with SetHost, which lets
// tests run the SDK against a fake host. Implementations write results
// through the pointers exactly as a real host writes guest memory.
type Host interface {
	ProxyLog(level uint32, message *byte, messageSize uint32) Status
	ProxyGetLogLevel(returnLevel *uint32) Status
	ProxyGetCurrentTimeNanoseconds(returnTime *uint64) Status
	ProxySetTickPeriodMilliseconds(period uint32) Status
	ProxySetEffectiveContext(contextID uint32) Status
	ProxyDone() Status
	ProxyCallForeignFunction(name *byte, nameSize uint32, arguments *byte, argumentsSize uint32, returnResults unsafe.Pointer, returnResultsSize *uint32) Status
	ProxyGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, returnData unsafe.Pointer, returnSize *uint32) Status
	ProxyGetBufferStatus(bufferType uint32, returnSize *uint32, returnFlags *uint32) Status
	ProxySetBufferBytes(bufferType uint32, start uint32, size uint32, data *byte, dataSize uint32) Status
	ProxyGetHeaderMapSize(mapType uint32, returnSize *uint32) Status
	ProxyGetHeaderMapPairs(mapType uint32, returnData unsafe.Pointer, returnSize *uint32) Status
	ProxySetHeaderMapPairs(mapType uint32, data *byte, dataSize uint32) Status
	ProxyGetHeaderMapValue(mapType uint32, key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status
	ProxyAddHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status
	ProxyReplaceHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status
	ProxyRemoveHeaderMapValue(mapType uint32, key *byte, keySize uint32) Status
	ProxyContinueStream(streamType uint32) Status
	ProxyCloseStream(streamType uint32) Status
	ProxySendLocalResponse(statusCode uint32, details *byte, detailsSize uint32, body *byte, bodySize uint32, headers *byte, headersSize uint32, grpcStatus int32) Status
	ProxyGetStatus(returnCode *uint32, returnMessage unsafe.Pointer, returnMessageSize *uint32) Status
	ProxyHttpCall(upstream *byte, upstreamSize uint32, headers *byte, headersSize uint32, body *byte, bodySize uint32, trailers *byte, trailersSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status
	ProxyGrpcCall(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, message *byte, messageSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status
	ProxyGrpcStream(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, returnStreamID *uint32) Status
	ProxyGrpcSend(streamID uint32, message *byte, messageSize uint32, endOfStream uint32) Status
	ProxyGrpcCancel(calloutID uint32) Status
	ProxyGrpcClose(calloutID uint32) Status
	ProxyGetSharedData(key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32, returnCas *uint32) Status
	ProxySetSharedData(key *byte, keySize uint32, value *byte, valueSize uint32, cas uint32) Status
	ProxyRegisterSharedQueue(name *byte, nameSize uint32, returnQueueID *uint32) Status
	ProxyResolveSharedQueue(vmID *byte, vmIDSize uint32, name *byte, nameSize uint32, returnQueueID *uint32) Status
	ProxyEnqueueSharedQueue(queueID uint32, value *byte, valueSize uint32) Status
	ProxyDequeueSharedQueue(queueID uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status
	ProxyDefineMetric(metricType uint32, name *byte, nameSize uint32, returnMetricID *uint32) Status
	ProxyIncrementMetric(metricID uint32, offset int64) Status
	ProxyRecordMetric(metricID uint32, value uint64) Status
	ProxyGetMetric(metricID uint32, returnValue *uint64) Status
	ProxyGetProperty(path *byte, pathSize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status
	ProxySetProperty(path *byte, pathSize uint32, value *byte, valueSize uint32) Status
}

// UnimplementedHost answers every call with StatusUnimplemented. Embed it in
// a fake Host to implement only the calls a test needs.
type UnimplementedHost struct{}

// ProxyLog returns StatusUnimplemented.
func (UnimplementedHost) ProxyLog(level uint32, message *byte, messageSize uint32) Status {
	return StatusUnimplemented
}

// ProxyGetLogLevel returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetLogLevel(returnLevel *uint32) Status { return StatusUnimplemented }

// ProxyGetCurrentTimeNanoseconds returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetCurrentTimeNanoseconds(returnTime *uint64) Status {
	return StatusUnimplemented
}

// ProxySetTickPeriodMilliseconds returns StatusUnimplemented.
func (UnimplementedHost) ProxySetTickPeriodMilliseconds(period uint32) Status {
	return StatusUnimplemented
}

// ProxySetEffectiveContext returns StatusUnimplemented.
func (UnimplementedHost) ProxySetEffectiveContext(contextID uint32) Status {
	return StatusUnimplemented
}

// ProxyDone returns StatusUnimplemented.
func (UnimplementedHost) ProxyDone() Status { return StatusUnimplemented }

// ProxyCallForeignFunction returns StatusUnimplemented.
func (UnimplementedHost) ProxyCallForeignFunction(name *byte, nameSize uint32, arguments *byte, argumentsSize uint32, returnResults unsafe.Pointer, returnResultsSize *uint32) Status {
	return StatusUnimplemented
}

// ProxyGetBufferBytes returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, returnData unsafe.Pointer, returnSize *uint32) Status {
	return StatusUnimplemented
}

// ProxyGetBufferStatus returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetBufferStatus(bufferType uint32, returnSize *uint32, returnFlags *uint32) Status {
	return StatusUnimplemented
}

// ProxySetBufferBytes returns StatusUnimplemented.
func (UnimplementedHost) ProxySetBufferBytes(bufferType uint32, start uint32, size uint32, data *byte, dataSize uint32) Status {
	return StatusUnimplemented
}

// ProxyGetHeaderMapSize returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetHeaderMapSize(mapType uint32, returnSize *uint32) Status {
	return StatusUnimplemented
}

// ProxyGetHeaderMapPairs returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetHeaderMapPairs(mapType uint32, returnData unsafe.Pointer, returnSize *uint32) Status {
	return StatusUnimplemented
}

// ProxySetHeaderMapPairs returns StatusUnimplemented.
func (UnimplementedHost) ProxySetHeaderMapPairs(mapType uint32, data *byte, dataSize uint32) Status {
	return StatusUnimplemented
}

// ProxyGetHeaderMapValue returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetHeaderMapValue(mapType uint32, key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status {
	return StatusUnimplemented
}

// ProxyAddHeaderMapValue returns StatusUnimplemented.
func (UnimplementedHost) ProxyAddHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status {
	return StatusUnimplemented
}

// ProxyReplaceHeaderMapValue returns StatusUnimplemented.
func (UnimplementedHost) ProxyReplaceHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status {
	return StatusUnimplemented
}

// ProxyRemoveHeaderMapValue returns StatusUnimplemented.
func (UnimplementedHost) ProxyRemoveHeaderMapValue(mapType uint32, key *byte, keySize uint32) Status {
	return StatusUnimplemented
}

// ProxyContinueStream returns StatusUnimplemented.
func (UnimplementedHost) ProxyContinueStream(streamType uint32) Status { return StatusUnimplemented }

// ProxyCloseStream returns StatusUnimplemented.
func (UnimplementedHost) ProxyCloseStream(streamType uint32) Status { return StatusUnimplemented }

// ProxySendLocalResponse returns StatusUnimplemented.
func (UnimplementedHost) ProxySendLocalResponse(statusCode uint32, details *byte, detailsSize uint32, body *byte, bodySize uint32, headers *byte, headersSize uint32, grpcStatus int32) Status {
	return StatusUnimplemented
}

// ProxyGetStatus returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetStatus(returnCode *uint32, returnMessage unsafe.Pointer, returnMessageSize *uint32) Status {
	return StatusUnimplemented
}

// ProxyHttpCall returns StatusUnimplemented.
func (UnimplementedHost) ProxyHttpCall(upstream *byte, upstreamSize uint32, headers *byte, headersSize uint32, body *byte, bodySize uint32, trailers *byte, trailersSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status {
	return StatusUnimplemented
}

// ProxyGrpcCall returns StatusUnimplemented.
func (UnimplementedHost) ProxyGrpcCall(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, message *byte, messageSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status {
	return StatusUnimplemented
}

// ProxyGrpcStream returns StatusUnimplemented.
func (UnimplementedHost) ProxyGrpcStream(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, returnStreamID *uint32) Status {
	return StatusUnimplemented
}

// ProxyGrpcSend returns StatusUnimplemented.
func (UnimplementedHost) ProxyGrpcSend(streamID uint32, message *byte, messageSize uint32, endOfStream uint32) Status {
	return StatusUnimplemented
}

// ProxyGrpcCancel returns StatusUnimplemented.
func (UnimplementedHost) ProxyGrpcCancel(calloutID uint32) Status { return StatusUnimplemented }

// ProxyGrpcClose returns StatusUnimplemented.
func (UnimplementedHost) ProxyGrpcClose(calloutID uint32) Status { return StatusUnimplemented }

// ProxyGetSharedData returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetSharedData(key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32, returnCas *uint32) Status {
	return StatusUnimplemented
}

// ProxySetSharedData returns StatusUnimplemented.
func (UnimplementedHost) ProxySetSharedData(key *byte, keySize uint32, value *byte, valueSize uint32, cas uint32) Status {
	return StatusUnimplemented
}

// ProxyRegisterSharedQueue returns StatusUnimplemented.
func (UnimplementedHost) ProxyRegisterSharedQueue(name *byte, nameSize uint32, returnQueueID *uint32) Status {
	return StatusUnimplemented
}

// ProxyResolveSharedQueue returns StatusUnimplemented.
func (UnimplementedHost) ProxyResolveSharedQueue(vmID *byte, vmIDSize uint32, name *byte, nameSize uint32, returnQueueID *uint32) Status {
	return StatusUnimplemented
}

// ProxyEnqueueSharedQueue returns StatusUnimplemented.
func (UnimplementedHost) ProxyEnqueueSharedQueue(queueID uint32, value *byte, valueSize uint32) Status {
	return StatusUnimplemented
}

// ProxyDequeueSharedQueue returns StatusUnimplemented.
func (UnimplementedHost) ProxyDequeueSharedQueue(queueID uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status {
	return StatusUnimplemented
}

// ProxyDefineMetric returns StatusUnimplemented.
func (UnimplementedHost) ProxyDefineMetric(metricType uint32, name *byte, nameSize uint32, returnMetricID *uint32) Status {
	return StatusUnimplemented
}

// ProxyIncrementMetric returns StatusUnimplemented.
func (UnimplementedHost) ProxyIncrementMetric(metricID uint32, offset int64) Status {
	return StatusUnimplemented
}

// ProxyRecordMetric returns StatusUnimplemented.
func (UnimplementedHost) ProxyRecordMetric(metricID uint32, value uint64) Status {
	return StatusUnimplemented
}

// ProxyGetMetric returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetMetric(metricID uint32, returnValue *uint64) Status {
	return StatusUnimplemented
}

// ProxyGetProperty returns StatusUnimplemented.
func (UnimplementedHost) ProxyGetProperty(path *byte, pathSize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status {
	return StatusUnimplemented
}

// ProxySetProperty returns StatusUnimplemented.
func (UnimplementedHost) ProxySetProperty(path *byte, pathSize uint32, value *byte, valueSize uint32) Status {
	return StatusUnimplemented
}

var _ Host = UnimplementedHost{}

// ProxyLog stands in for env.proxy_log; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyLog(level uint32, message *byte, messageSize uint32) Status {
	return host("proxy_log").ProxyLog(level, message, messageSize)
}

// ProxyGetLogLevel stands in for env.proxy_get_log_level; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetLogLevel(returnLevel *uint32) Status {
	return host("proxy_get_log_level").ProxyGetLogLevel(returnLevel)
}

// ProxyGetCurrentTimeNanoseconds stands in for env.proxy_get_current_time_nanoseconds; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetCurrentTimeNanoseconds(returnTime *uint64) Status {
	return host("proxy_get_current_time_nanoseconds").ProxyGetCurrentTimeNanoseconds(returnTime)
}

// ProxySetTickPeriodMilliseconds stands in for env.proxy_set_tick_period_milliseconds; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySetTickPeriodMilliseconds(period uint32) Status {
	return host("proxy_set_tick_period_milliseconds").ProxySetTickPeriodMilliseconds(period)
}

// ProxySetEffectiveContext stands in for env.proxy_set_effective_context; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySetEffectiveContext(contextID uint32) Status {
	return host("proxy_set_effective_context").ProxySetEffectiveContext(contextID)
}

// ProxyDone stands in for env.proxy_done; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyDone() Status {
	return host("proxy_done").ProxyDone()
}

// ProxyCallForeignFunction stands in for env.proxy_call_foreign_function; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyCallForeignFunction(name *byte, nameSize uint32, arguments *byte, argumentsSize uint32, returnResults unsafe.Pointer, returnResultsSize *uint32) Status {
	return host("proxy_call_foreign_function").ProxyCallForeignFunction(name, nameSize, arguments, argumentsSize, returnResults, returnResultsSize)
}

// ProxyGetBufferBytes stands in for env.proxy_get_buffer_bytes; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, returnData unsafe.Pointer, returnSize *uint32) Status {
	return host("proxy_get_buffer_bytes").ProxyGetBufferBytes(bufferType, start, maxSize, returnData, returnSize)
}

// ProxyGetBufferStatus stands in for env.proxy_get_buffer_status; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetBufferStatus(bufferType uint32, returnSize *uint32, returnFlags *uint32) Status {
	return host("proxy_get_buffer_status").ProxyGetBufferStatus(bufferType, returnSize, returnFlags)
}

// ProxySetBufferBytes stands in for env.proxy_set_buffer_bytes; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySetBufferBytes(bufferType uint32, start uint32, size uint32, data *byte, dataSize uint32) Status {
	return host("proxy_set_buffer_bytes").ProxySetBufferBytes(bufferType, start, size, data, dataSize)
}

// ProxyGetHeaderMapSize stands in for env.proxy_get_header_map_size; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetHeaderMapSize(mapType uint32, returnSize *uint32) Status {
	return host("proxy_get_header_map_size").ProxyGetHeaderMapSize(mapType, returnSize)
}

// ProxyGetHeaderMapPairs stands in for env.proxy_get_header_map_pairs; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetHeaderMapPairs(mapType uint32, returnData unsafe.Pointer, returnSize *uint32) Status {
	return host("proxy_get_header_map_pairs").ProxyGetHeaderMapPairs(mapType, returnData, returnSize)
}

// ProxySetHeaderMapPairs stands in for env.proxy_set_header_map_pairs; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySetHeaderMapPairs(mapType uint32, data *byte, dataSize uint32) Status {
	return host("proxy_set_header_map_pairs").ProxySetHeaderMapPairs(mapType, data, dataSize)
}

// ProxyGetHeaderMapValue stands in for env.proxy_get_header_map_value; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetHeaderMapValue(mapType uint32, key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status {
	return host("proxy_get_header_map_value").ProxyGetHeaderMapValue(mapType, key, keySize, returnValue, returnValueSize)
}

// ProxyAddHeaderMapValue stands in for env.proxy_add_header_map_value; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyAddHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status {
	return host("proxy_add_header_map_value").ProxyAddHeaderMapValue(mapType, key, keySize, value, valueSize)
}

// ProxyReplaceHeaderMapValue stands in for env.proxy_replace_header_map_value; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyReplaceHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) Status {
	return host("proxy_replace_header_map_value").ProxyReplaceHeaderMapValue(mapType, key, keySize, value, valueSize)
}

// ProxyRemoveHeaderMapValue stands in for env.proxy_remove_header_map_value; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyRemoveHeaderMapValue(mapType uint32, key *byte, keySize uint32) Status {
	return host("proxy_remove_header_map_value").ProxyRemoveHeaderMapValue(mapType, key, keySize)
}

// ProxyContinueStream stands in for env.proxy_continue_stream; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyContinueStream(streamType uint32) Status {
	return host("proxy_continue_stream").ProxyContinueStream(streamType)
}

// ProxyCloseStream stands in for env.proxy_close_stream; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyCloseStream(streamType uint32) Status {
	return host("proxy_close_stream").ProxyCloseStream(streamType)
}

// ProxySendLocalResponse stands in for env.proxy_send_local_response; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySendLocalResponse(statusCode uint32, details *byte, detailsSize uint32, body *byte, bodySize uint32, headers *byte, headersSize uint32, grpcStatus int32) Status {
	return host("proxy_send_local_response").ProxySendLocalResponse(statusCode, details, detailsSize, body, bodySize, headers, headersSize, grpcStatus)
}

// ProxyGetStatus stands in for env.proxy_get_status; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetStatus(returnCode *uint32, returnMessage unsafe.Pointer, returnMessageSize *uint32) Status {
	return host("proxy_get_status").ProxyGetStatus(returnCode, returnMessage, returnMessageSize)
}

// ProxyHttpCall stands in for env.proxy_http_call; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyHttpCall(upstream *byte, upstreamSize uint32, headers *byte, headersSize uint32, body *byte, bodySize uint32, trailers *byte, trailersSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status {
	return host("proxy_http_call").ProxyHttpCall(upstream, upstreamSize, headers, headersSize, body, bodySize, trailers, trailersSize, timeoutMilliseconds, returnCalloutID)
}

// ProxyGrpcCall stands in for env.proxy_grpc_call; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGrpcCall(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, message *byte, messageSize uint32, timeoutMilliseconds uint32, returnCalloutID *uint32) Status {
	return host("proxy_grpc_call").ProxyGrpcCall(service, serviceSize, serviceName, serviceNameSize, method, methodSize, initialMetadata, initialMetadataSize, message, messageSize, timeoutMilliseconds, returnCalloutID)
}

// ProxyGrpcStream stands in for env.proxy_grpc_stream; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGrpcStream(service *byte, serviceSize uint32, serviceName *byte, serviceNameSize uint32, method *byte, methodSize uint32, initialMetadata *byte, initialMetadataSize uint32, returnStreamID *uint32) Status {
	return host("proxy_grpc_stream").ProxyGrpcStream(service, serviceSize, serviceName, serviceNameSize, method, methodSize, initialMetadata, initialMetadataSize, returnStreamID)
}

// ProxyGrpcSend stands in for env.proxy_grpc_send; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGrpcSend(streamID uint32, message *byte, messageSize uint32, endOfStream uint32) Status {
	return host("proxy_grpc_send").ProxyGrpcSend(streamID, message, messageSize, endOfStream)
}

// ProxyGrpcCancel stands in for env.proxy_grpc_cancel; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGrpcCancel(calloutID uint32) Status {
	return host("proxy_grpc_cancel").ProxyGrpcCancel(calloutID)
}

// ProxyGrpcClose stands in for env.proxy_grpc_close; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGrpcClose(calloutID uint32) Status {
	return host("proxy_grpc_close").ProxyGrpcClose(calloutID)
}

// ProxyGetSharedData stands in for env.proxy_get_shared_data; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetSharedData(key *byte, keySize uint32, returnValue unsafe.Pointer, returnValueSize *uint32, returnCas *uint32) Status {
	return host("proxy_get_shared_data").ProxyGetSharedData(key, keySize, returnValue, returnValueSize, returnCas)
}

// ProxySetSharedData stands in for env.proxy_set_shared_data; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySetSharedData(key *byte, keySize uint32, value *byte, valueSize uint32, cas uint32) Status {
	return host("proxy_set_shared_data").ProxySetSharedData(key, keySize, value, valueSize, cas)
}

// ProxyRegisterSharedQueue stands in for env.proxy_register_shared_queue; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyRegisterSharedQueue(name *byte, nameSize uint32, returnQueueID *uint32) Status {
	return host("proxy_register_shared_queue").ProxyRegisterSharedQueue(name, nameSize, returnQueueID)
}

// ProxyResolveSharedQueue stands in for env.proxy_resolve_shared_queue; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyResolveSharedQueue(vmID *byte, vmIDSize uint32, name *byte, nameSize uint32, returnQueueID *uint32) Status {
	return host("proxy_resolve_shared_queue").ProxyResolveSharedQueue(vmID, vmIDSize, name, nameSize, returnQueueID)
}

// ProxyEnqueueSharedQueue stands in for env.proxy_enqueue_shared_queue; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyEnqueueSharedQueue(queueID uint32, value *byte, valueSize uint32) Status {
	return host("proxy_enqueue_shared_queue").ProxyEnqueueSharedQueue(queueID, value, valueSize)
}

// ProxyDequeueSharedQueue stands in for env.proxy_dequeue_shared_queue; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyDequeueSharedQueue(queueID uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status {
	return host("proxy_dequeue_shared_queue").ProxyDequeueSharedQueue(queueID, returnValue, returnValueSize)
}

// ProxyDefineMetric stands in for env.proxy_define_metric; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyDefineMetric(metricType uint32, name *byte, nameSize uint32, returnMetricID *uint32) Status {
	return host("proxy_define_metric").ProxyDefineMetric(metricType, name, nameSize, returnMetricID)
}

// ProxyIncrementMetric stands in for env.proxy_increment_metric; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyIncrementMetric(metricID uint32, offset int64) Status {
	return host("proxy_increment_metric").ProxyIncrementMetric(metricID, offset)
}

// ProxyRecordMetric stands in for env.proxy_record_metric; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyRecordMetric(metricID uint32, value uint64) Status {
	return host("proxy_record_metric").ProxyRecordMetric(metricID, value)
}

// ProxyGetMetric stands in for env.proxy_get_metric; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetMetric(metricID uint32, returnValue *uint64) Status {
	return host("proxy_get_metric").ProxyGetMetric(metricID, returnValue)
}

// ProxyGetProperty stands in for env.proxy_get_property; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxyGetProperty(path *byte, pathSize uint32, returnValue unsafe.Pointer, returnValueSize *uint32) Status {
	return host("proxy_get_property").ProxyGetProperty(path, pathSize, returnValue, returnValueSize)
}

// ProxySetProperty stands in for env.proxy_set_property; it forwards to the Host set with
// SetHost and panics if there is none.
func ProxySetProperty(path *byte, pathSize uint32, value *byte, valueSize uint32) Status {
	return host("proxy_set_property").ProxySetProperty(path, pathSize, value, valueSize)
}
