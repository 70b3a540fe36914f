package host

import (
	"context"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// proxy_log(level, msg_ptr, msg_size) -> status
//
// Logs msg at level on the "wasm" logger, prefixed as Envoy does
// ("wasm log <plugin> <root_id> <vm_id>: ").
//
// Returns: OK; BAD_ARGUMENT when level > 5 (CRITICAL);
// INVALID_MEMORY_ACCESS when the message is out of bounds.
func proxyLog(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	level := LogLevel(uint32(stack[0]))
	if level > LogCritical {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	msg, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	vm.guestLog(level, msg)
	stack[0] = uint64(StatusOK)
}

// proxy_get_log_level(out_level) -> status           (ABI 0.2.1)
//
// Writes the host's current wasm log level as a u32, clamped to 0–5 (5,
// CRITICAL, when logging is off: the Rust SDK reads it as a 0–5 enum).
//
// Returns: OK; INVALID_MEMORY_ACCESS when out_level is out of bounds.
func proxyGetLogLevel(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	level := vm.rt.logger.Level()
	if level > LogCritical {
		level = LogCritical
	}
	stack[0] = uint64(statusIf(writeU32(m, uint32(stack[0]), uint32(level))))
}

// proxy_get_current_time_nanoseconds(out_u64) -> status
//
// Writes the wall-clock time in nanoseconds since the Unix epoch (u64 LE).
//
// Returns: OK; INVALID_MEMORY_ACCESS.
func proxyGetCurrentTimeNanoseconds(_ context.Context, m api.Module, stack []uint64) {
	stack[0] = uint64(statusIf(writeU64(m, uint32(stack[0]), uint64(time.Now().UnixNano()))))
}

// proxy_set_tick_period_milliseconds(period) -> status
//
// Sets the timer of the root context of the calling context (a stream sets
// its root's). proxy_on_tick(root) then runs every period, re-armed after
// each tick with the current period. 0 stops the timer. Each VM has its
// own timer per root context.
//
// Returns: OK, always.
func proxySetTickPeriodMilliseconds(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	if root := vm.active().root; root != nil {
		root.setTickPeriod(time.Duration(uint32(stack[0])) * time.Millisecond)
	}
	stack[0] = uint64(StatusOK)
}

// proxy_set_effective_context(context_id) -> status
//
// Makes later host calls of the current callback apply to context_id (any
// live root or stream context of this VM). The effect ends when the
// callback returns.
//
// Returns: OK; BAD_ARGUMENT when the id is unknown in this VM.
func proxySetEffectiveContext(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	c, ok := vm.contexts[uint32(stack[0])]
	if !ok || c.deleted {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	vm.effective = c
	stack[0] = uint64(StatusOK)
}

// proxy_done() -> status
//
// Ends the pending shutdown of the calling root context (after its
// proxy_on_done returned false). proxy_on_delete follows once the current
// guest call has returned.
//
// Returns: OK; NOT_FOUND when the root context is not pending.
func proxyDone(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	root := vm.active().root
	if root == nil || root.state != rootPendingDone {
		stack[0] = uint64(StatusNotFound)
		return
	}
	vm.defer_(deferredAction{kind: actDeleteRoot, root: root})
	stack[0] = uint64(StatusOK)
}

// proxy_call_foreign_function(name_ptr, name_size, args_ptr, args_size,
// out_results_ptr_ptr, out_results_size) -> status        (ABI 0.2.x)
//
// Calls the host extension named name with args. Results are copied into
// the guest only when out_results_ptr_ptr is non-zero; an empty result
// writes (0, 0). Built-in: compress, uncompress (zlib), clear_route_cache;
// embedders add more with Config.ForeignFunctions.
//
// Returns: the function's own status; NOT_FOUND for an unknown name;
// INVALID_MEMORY_ACCESS.
func proxyCallForeignFunction(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	name, ok1 := read(m, uint32(stack[0]), uint32(stack[1]))
	args, ok2 := read(m, uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	fn, ok := vm.rt.foreign[string(name)]
	if !ok {
		stack[0] = uint64(StatusNotFound)
		return
	}
	c := vm.active()
	call := &ForeignCall{Stream: c.http, Root: c.root, vm: vm}
	result, st := fn(call, args)
	if st != StatusOK {
		stack[0] = uint64(st)
		return
	}
	if ptrPtr := uint32(stack[4]); ptrPtr != 0 {
		st = vm.copyOut(m, result, ptrPtr, uint32(stack[5]))
	}
	stack[0] = uint64(st)
}

// proxy_get_status(out_code, out_message_ptr_ptr, out_message_size) -> status
//
// Reports the status of the last callout: in proxy_on_http_call_response
// after a failure, code 11 (BROKEN_CONNECTION) and "reset"; in
// proxy_on_grpc_close, the gRPC status and message. Elsewhere 0 and "".
//
// Returns: OK; INVALID_MEMORY_ACCESS.
func proxyGetStatus(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	if !writeU32(m, uint32(stack[0]), uint32(vm.scope.status)) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	msg := vm.scope.statusMessage
	stack[0] = uint64(vm.writeOut(m, uint32(len(msg)), uint32(stack[1]), uint32(stack[2]), func(dst []byte) { copy(dst, msg) }))
}

// emscripten_notify_memory_growth(memory_index)
//
// Imported by emscripten modules built with ALLOW_MEMORY_GROWTH. No-op.
func emscriptenNotifyMemoryGrowth(context.Context, api.Module, []uint64) {}

// pthread_equal(a, b) -> i32: 1 when a == b.
func pthreadEqual(_ context.Context, _ api.Module, stack []uint64) {
	stack[0] = b2u(uint32(stack[0]) == uint32(stack[1]))
}

// abort(msg_ptr, file_ptr, line, col)
//
// AssemblyScript's abort, imported by modules built without
// --use abort=abort_proc_exit. Not in Envoy: a wasmesh extension. Logs the
// message and traps, failing the VM.
func asAbort(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	msg := asString(m, uint32(stack[0]))
	file := asString(m, uint32(stack[1]))
	vm.rt.logger.Log(LogError, "wasm abort: "+msg+" at "+file)
	panic(&procExitError{code: 255})
}

// asString reads an AssemblyScript string (UTF-16 with its byte length in
// the 4 bytes before ptr), best effort, for abort messages.
func asString(m api.Module, ptr uint32) string {
	if ptr < 4 {
		return ""
	}
	n, ok := m.Memory().ReadUint32Le(ptr - 4)
	if !ok || n > 4096 {
		return ""
	}
	b, ok := read(m, ptr, n)
	if !ok {
		return ""
	}
	out := make([]byte, 0, n/2)
	for i := 0; i+1 < len(b); i += 2 {
		if b[i+1] == 0 {
			out = append(out, b[i])
		} else {
			out = append(out, '?')
		}
	}
	return string(out)
}

func statusIf(ok bool) Status {
	if ok {
		return StatusOK
	}
	return StatusInvalidMemoryAccess
}
