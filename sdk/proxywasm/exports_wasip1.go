//go:build wasip1

package proxywasm

import (
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// The Proxy-Wasm ABI 0.2.1 callbacks (ABI doc §2.1). Every parameter and
// result is an i32: Go's uint32, bool and *byte all compile to i32 here, and
// bool results are 0 or 1. Each callback only forwards to vm.

// proxyABIVersion marks the module as built for Proxy-Wasm ABI 0.2.1. The
// host never calls it.
//
//go:wasmexport proxy_abi_version_0_2_1
func proxyABIVersion() {}

// proxyOnMemoryAllocate returns a block of size bytes for data the host
// hands to the guest. The block is ordinary Go memory: it stays alive once
// the SDK has stored the pointer the host writes back, and the garbage
// collector frees it later. No Go code runs between this function returning
// and the host writing that pointer, so the block cannot be collected early.
// Size 0 returns 0 (the host never asks for it).
//
//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) *byte {
	if size == 0 {
		return nil
	}
	buf := make([]byte, size)
	return &buf[0]
}

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(contextID, parentContextID uint32) {
	vm.onContextCreate(contextID, parentContextID)
}

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(rootContextID, vmConfigurationSize uint32) bool {
	return vm.onVMStart(rootContextID, int(vmConfigurationSize))
}

//go:wasmexport proxy_on_configure
func proxyOnConfigure(rootContextID, pluginConfigurationSize uint32) bool {
	return vm.onConfigure(rootContextID, int(pluginConfigurationSize))
}

//go:wasmexport proxy_on_tick
func proxyOnTick(rootContextID uint32) {
	vm.onTick(rootContextID)
}

//go:wasmexport proxy_on_queue_ready
func proxyOnQueueReady(rootContextID, queueID uint32) {
	vm.onQueueReady(rootContextID, queueID)
}

//go:wasmexport proxy_on_foreign_function
func proxyOnForeignFunction(rootContextID, functionID, argumentsSize uint32) {
	vm.onForeignFunction(rootContextID, functionID, int(argumentsSize))
}

//go:wasmexport proxy_on_new_connection
func proxyOnNewConnection(contextID uint32) types.Action {
	return vm.onNewConnection(contextID)
}

//go:wasmexport proxy_on_downstream_data
func proxyOnDownstreamData(contextID, dataSize uint32, endOfStream bool) types.Action {
	return vm.onDownstreamData(contextID, int(dataSize), endOfStream)
}

//go:wasmexport proxy_on_upstream_data
func proxyOnUpstreamData(contextID, dataSize uint32, endOfStream bool) types.Action {
	return vm.onUpstreamData(contextID, int(dataSize), endOfStream)
}

//go:wasmexport proxy_on_downstream_connection_close
func proxyOnDownstreamConnectionClose(contextID uint32, peerType types.PeerType) {
	vm.onDownstreamConnectionClose(contextID, peerType)
}

//go:wasmexport proxy_on_upstream_connection_close
func proxyOnUpstreamConnectionClose(contextID uint32, peerType types.PeerType) {
	vm.onUpstreamConnectionClose(contextID, peerType)
}

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(contextID, numHeaders uint32, endOfStream bool) types.Action {
	return vm.onRequestHeaders(contextID, int(numHeaders), endOfStream)
}

//go:wasmexport proxy_on_request_body
func proxyOnRequestBody(contextID, bodySize uint32, endOfStream bool) types.Action {
	return vm.onRequestBody(contextID, int(bodySize), endOfStream)
}

//go:wasmexport proxy_on_request_trailers
func proxyOnRequestTrailers(contextID, numTrailers uint32) types.Action {
	return vm.onRequestTrailers(contextID, int(numTrailers))
}

//go:wasmexport proxy_on_response_headers
func proxyOnResponseHeaders(contextID, numHeaders uint32, endOfStream bool) types.Action {
	return vm.onResponseHeaders(contextID, int(numHeaders), endOfStream)
}

//go:wasmexport proxy_on_response_body
func proxyOnResponseBody(contextID, bodySize uint32, endOfStream bool) types.Action {
	return vm.onResponseBody(contextID, int(bodySize), endOfStream)
}

//go:wasmexport proxy_on_response_trailers
func proxyOnResponseTrailers(contextID, numTrailers uint32) types.Action {
	return vm.onResponseTrailers(contextID, int(numTrailers))
}

//go:wasmexport proxy_on_http_call_response
func proxyOnHttpCallResponse(rootContextID, calloutID, numHeaders, bodySize, numTrailers uint32) {
	vm.onHttpCallResponse(rootContextID, calloutID, int(numHeaders), int(bodySize), int(numTrailers))
}

//go:wasmexport proxy_on_grpc_receive_initial_metadata
func proxyOnGrpcReceiveInitialMetadata(rootContextID, calloutID, numElements uint32) {
	vm.onGrpcReceiveInitialMetadata(rootContextID, calloutID, int(numElements))
}

//go:wasmexport proxy_on_grpc_receive
func proxyOnGrpcReceive(rootContextID, calloutID, messageSize uint32) {
	vm.onGrpcReceive(rootContextID, calloutID, int(messageSize))
}

//go:wasmexport proxy_on_grpc_receive_trailing_metadata
func proxyOnGrpcReceiveTrailingMetadata(rootContextID, calloutID, numElements uint32) {
	vm.onGrpcReceiveTrailingMetadata(rootContextID, calloutID, int(numElements))
}

//go:wasmexport proxy_on_grpc_close
func proxyOnGrpcClose(rootContextID, calloutID, statusCode uint32) {
	vm.onGrpcClose(rootContextID, calloutID, statusCode)
}

//go:wasmexport proxy_on_done
func proxyOnDone(contextID uint32) bool {
	return vm.onDone(contextID)
}

//go:wasmexport proxy_on_log
func proxyOnLog(contextID uint32) {
	vm.onLog(contextID)
}

//go:wasmexport proxy_on_delete
func proxyOnDelete(contextID uint32) {
	vm.onDelete(contextID)
}
