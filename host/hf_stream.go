package host

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// proxy_continue_stream(stream_type) -> status                 (ABI 0.2.x)
//
// Resumes a paused HTTP request or response, or downstream reads, after
// the current guest call returns. A stream type that does not belong to the
// calling context is ignored.
//
// Returns: OK; BAD_ARGUMENT when stream_type > 3; UNIMPLEMENTED for
// UPSTREAM (as Envoy).
func proxyContinueStream(ctx context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(vmFrom(ctx).continueStream(StreamType(uint32(stack[0]))))
}

func (vm *VM) continueStream(t StreamType) Status {
	c := vm.active()
	switch t {
	case StreamRequest, StreamResponse:
		if c.http != nil {
			vm.defer_(deferredAction{kind: actContinue, stream: t, http: c.http})
		}
	case StreamDownstream:
		if c.tcp != nil {
			vm.defer_(deferredAction{kind: actContinue, stream: t, tcp: c.tcp})
		}
	case StreamUpstream:
		return StatusUnimplemented
	default:
		return StatusBadArgument
	}
	return StatusOK
}

// proxy_close_stream(stream_type) -> status                    (ABI 0.2.x)
//
// HTTP_REQUEST/HTTP_RESPONSE: resets the HTTP stream. DOWNSTREAM/UPSTREAM:
// closes that connection, flushing. Deferred until the guest call returns.
//
// Returns: OK; BAD_ARGUMENT when stream_type > 3.
func proxyCloseStream(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	t := StreamType(uint32(stack[0]))
	if t > maxStreamType {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	c := vm.active()
	switch {
	case c.http != nil && t <= StreamResponse:
		vm.defer_(deferredAction{kind: actClose, stream: t, http: c.http})
	case c.tcp != nil && t >= StreamDownstream:
		vm.defer_(deferredAction{kind: actClose, stream: t, tcp: c.tcp})
	}
	stack[0] = uint64(StatusOK)
}

// proxy_continue_request() -> status                            (ABI 0.1.0)
//
// As proxy_continue_stream(HTTP_REQUEST). Returns: OK.
func proxyContinueRequest(ctx context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(vmFrom(ctx).continueStream(StreamRequest))
}

// proxy_continue_response() -> status                           (ABI 0.1.0)
//
// As proxy_continue_stream(HTTP_RESPONSE). Returns: OK.
func proxyContinueResponse(ctx context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(vmFrom(ctx).continueStream(StreamResponse))
}

// proxy_clear_route_cache() -> status                           (ABI 0.1.0)
//
// Asks the embedder to recompute the stream's route after the call.
// Returns: OK.
func proxyClearRouteCache(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	if s := vm.active().http; s != nil {
		vm.defer_(deferredAction{kind: actClearRouteCache, http: s})
	}
	stack[0] = uint64(StatusOK)
}

// proxy_send_local_response(status_code, details_ptr, details_size,
// body_ptr, body_size, headers_ptr, headers_size, grpc_status) -> status
//
// Replies to the calling HTTP stream without the upstream, after the
// current guest call returns. The callback's result is forced to stop.
// Headers use the pairs serialization (malformed: no headers); whitespace in
// details becomes '_'; grpc_status outside 0–16 (SDKs pass -1) means not
// gRPC.
//
// Returns: OK; BAD_ARGUMENT when the calling context is not an HTTP stream;
// INVALID_MEMORY_ACCESS.
func proxySendLocalResponse(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	details, ok1 := read(m, uint32(stack[1]), uint32(stack[2]))
	body, ok2 := read(m, uint32(stack[3]), uint32(stack[4]))
	hdrs, ok3 := read(m, uint32(stack[5]), uint32(stack[6]))
	if !ok1 || !ok2 || !ok3 {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	s := vm.active().http
	if s == nil {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	lr := &LocalResponse{
		StatusCode: int(uint32(stack[0])),
		Details:    detailsString(details),
		Body:       append([]byte(nil), body...),
		Headers:    &Headers{},
		GRPCStatus: int32(uint32(stack[7])),
	}
	if lr.GRPCStatus < 0 || lr.GRPCStatus > 16 {
		lr.GRPCStatus = GRPCStatusNone
	}
	decodePairsInto(lr.Headers, hdrs)
	first := s.localReply == nil
	s.localReply = lr
	s.repliedInCall = true
	if first {
		vm.defer_(deferredAction{kind: actLocalReply, http: s})
	}
	stack[0] = uint64(StatusOK)
}

func detailsString(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			c = '_'
		}
		out[i] = c
	}
	return string(out)
}
