package host

import (
	"context"
	"math"

	"github.com/tetratelabs/wazero/api"
)

// buffer resolves a buffer type for the active context (Envoy's rules, doc
// §3.4). found is false only for the two buffers Envoy reports as
// NOT_FOUND: the callout response body outside proxy_on_http_call_response
// and the plugin configuration outside proxy_on_configure. mutable is the
// buffer a guest may rewrite (HTTP bodies and TCP data), nil otherwise.
func (vm *VM) buffer(bt BufferType) (data []byte, mutable *Buffer, found bool) {
	c := vm.active()
	switch bt {
	case BufferRequestBody, BufferResponseBody:
		if c.http != nil {
			if b := c.http.bodies[bt]; b != nil {
				return b.Bytes, b, true
			}
		}
		return nil, nil, true
	case BufferDownstreamData, BufferUpstreamData:
		if c.tcp != nil {
			if b := c.tcp.data[bt-BufferDownstreamData]; b != nil {
				return b.Bytes, b, true
			}
		}
		return nil, nil, true
	case BufferHTTPCallResponseBody:
		if vm.scope.httpResponse == nil {
			return nil, nil, false
		}
		return vm.scope.httpResponse.Body, nil, true
	case BufferGRPCReceive:
		return vm.scope.grpcMessage, nil, true
	case BufferVMConfiguration:
		return vm.cfg.Configuration, nil, true
	case BufferPluginConfiguration:
		if !vm.scope.hasPluginConfig {
			return nil, nil, false
		}
		return vm.scope.pluginConfig, nil, true
	case BufferForeignArguments:
		return vm.scope.foreignArgs, nil, true
	}
	return nil, nil, false
}

// proxy_get_buffer_bytes(type, start, max_size, out_ptr_ptr, out_size) -> status
//
// Copies [start, start+max_size) of the buffer into the guest. The range is
// clamped to the buffer; an empty result writes (0, 0) without allocating.
//
// Returns: OK; BAD_ARGUMENT when type > 8 or start+max_size overflows 32
// bits; NOT_FOUND for the callout response body outside
// proxy_on_http_call_response and the plugin configuration outside
// proxy_on_configure; INVALID_MEMORY_ACCESS.
func proxyGetBufferBytes(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	bt, start, max := BufferType(uint32(stack[0])), uint32(stack[1]), uint32(stack[2])
	if bt > maxBufferType || uint64(start)+uint64(max) > math.MaxUint32 {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	data, _, found := vm.buffer(bt)
	if !found {
		stack[0] = uint64(StatusNotFound)
		return
	}
	if int(start) >= len(data) {
		data = nil
	} else {
		data = data[start:]
		if uint32(len(data)) > max {
			data = data[:max]
		}
	}
	stack[0] = uint64(vm.copyOut(m, data, uint32(stack[3]), uint32(stack[4])))
}

// proxy_get_buffer_status(type, out_size, out_flags) -> status
//
// Writes the buffer's size (u32) and flags (u32, always 0).
//
// Returns: OK; BAD_ARGUMENT when type > 8; NOT_FOUND as for
// proxy_get_buffer_bytes; INVALID_MEMORY_ACCESS.
func proxyGetBufferStatus(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	bt := BufferType(uint32(stack[0]))
	if bt > maxBufferType {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	data, _, found := vm.buffer(bt)
	if !found {
		stack[0] = uint64(StatusNotFound)
		return
	}
	if !writable(m, uint32(stack[1]), 4) || !writable(m, uint32(stack[2]), 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	writeU32(m, uint32(stack[1]), uint32(len(data)))
	writeU32(m, uint32(stack[2]), 0)
	stack[0] = uint64(StatusOK)
}

// proxy_set_buffer_bytes(type, start, size, data_ptr, data_size) -> status
//
// Rewrites an HTTP body or TCP data buffer, with Envoy's rules: start == 0
// drains size bytes from the front (all when size >= length) and prepends
// data, so (0, 0, d) prepends and (0, len, d) replaces; start >= length
// appends.
//
// Returns: OK; BAD_ARGUMENT when type > 8, when 0 < start < length, or for
// a buffer that cannot be written now (configurations, callout bodies, no
// body in this callback); NOT_FOUND as for proxy_get_buffer_bytes;
// INVALID_MEMORY_ACCESS.
func proxySetBufferBytes(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	bt, start, size := BufferType(uint32(stack[0])), uint32(stack[1]), uint32(stack[2])
	if bt > maxBufferType {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	data, ok := read(m, uint32(stack[3]), uint32(stack[4]))
	if !ok {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	_, b, found := vm.buffer(bt)
	switch {
	case !found:
		stack[0] = uint64(StatusNotFound)
	case b == nil:
		stack[0] = uint64(StatusBadArgument)
	case start == 0:
		rest := b.Bytes
		if int(size) >= len(rest) {
			rest = rest[:0]
		} else {
			rest = rest[size:]
		}
		nb := make([]byte, 0, len(data)+len(rest))
		nb = append(append(nb, data...), rest...)
		b.Bytes = nb
		stack[0] = uint64(StatusOK)
	case int(start) >= len(b.Bytes):
		b.Bytes = append(b.Bytes, data...)
		stack[0] = uint64(StatusOK)
	default:
		stack[0] = uint64(StatusBadArgument)
	}
}

// proxy_get_configuration(out_ptr_ptr, out_size) -> status   (ABI 0.1.0)
//
// Copies the plugin configuration during proxy_on_configure and the VM
// configuration otherwise.
//
// Returns: OK; INVALID_MEMORY_ACCESS.
func proxyGetConfiguration(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	data := vm.cfg.Configuration
	if vm.scope.hasPluginConfig {
		data = vm.scope.pluginConfig
	}
	stack[0] = uint64(vm.copyOut(m, data, uint32(stack[0]), uint32(stack[1])))
}
