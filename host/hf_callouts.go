package host

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// callout is an HTTP call, gRPC call or gRPC stream in flight. It belongs
// to the root context of the caller; completions are delivered there.
type callout struct {
	id     uint32
	root   *Root
	ctx    context.Context
	cancel context.CancelFunc
	grpc   GRPCStream
	stream bool
}

// callout kinds, as the low bits of the id (cpp-host: HTTP 4, 8, ...;
// gRPC call 5, 9, ...; gRPC stream 6, 10, ...).
const (
	kindHTTP = iota
	kindGRPCCall
	kindGRPCStream
)

// endCallout forgets a callout: no further callbacks are delivered for it.
func (vm *VM) endCallout(c *callout) {
	delete(vm.calls, c.id)
	c.cancel()
}

func (vm *VM) newCallout(kind int, root *Root) *callout {
	vm.nextCallID[kind] += 4
	c := &callout{id: vm.nextCallID[kind], root: root, stream: kind == kindGRPCStream}
	c.ctx, c.cancel = context.WithCancel(vm.ctx)
	vm.calls[c.id] = c
	return c
}

// proxy_http_call(upstream_ptr, upstream_size, headers_ptr, headers_size,
// body_ptr, body_size, trailers_ptr, trailers_size, timeout_ms,
// out_call_id) -> status
//
// Starts an HTTP request to the upstream cluster named upstream, through
// Config.HTTPCaller, on behalf of the caller's root context. The response
// arrives later as proxy_on_http_call_response(root, call_id, headers,
// body size, trailers) on the root context; a failure as (root, id, 0, 0,
// 0) with proxy_get_status giving 11 "reset". Headers must include
// :method, :path and :authority; a non-empty body sets content-length.
// timeout_ms 0 means no timeout.
//
// Returns: OK (and writes the call id); BAD_ARGUMENT for an unknown
// cluster, missing pseudo-headers, a negative timeout, or a call from
// outside any plugin; INTERNAL_FAILURE when the call cannot start;
// INVALID_MEMORY_ACCESS.
func proxyHTTPCall(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	outID := uint32(stack[9])
	if !writeU32(m, outID, 0) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	upstream, ok1 := read(m, uint32(stack[0]), uint32(stack[1]))
	hdrs, ok2 := read(m, uint32(stack[2]), uint32(stack[3]))
	body, ok3 := read(m, uint32(stack[4]), uint32(stack[5]))
	trls, ok4 := read(m, uint32(stack[6]), uint32(stack[7]))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	timeout := int32(uint32(stack[8]))
	req := &HTTPCallRequest{Cluster: string(upstream), Headers: &Headers{}, Trailers: &Headers{}}
	decodePairsInto(req.Headers, hdrs)
	decodePairsInto(req.Trailers, trls)
	root := vm.active().root
	if timeout < 0 || root == nil || index(req.Headers, ":method") < 0 || index(req.Headers, ":path") < 0 || index(req.Headers, ":authority") < 0 {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	req.Timeout = time.Duration(timeout) * time.Millisecond
	if len(body) > 0 {
		req.Body = append([]byte(nil), body...)
		set(req.Headers, "content-length", strconv.Itoa(len(body)))
	}
	caller := vm.rt.cfg.HTTPCaller
	if caller == nil {
		stack[0] = uint64(StatusInternalFailure)
		return
	}
	c := vm.newCallout(kindHTTP, root)
	err := caller.HTTPCall(c.ctx, req, func(resp *HTTPCallResponse, err error) {
		vm.post(func() { root.httpCallDone(c, resp, err) })
	})
	if err != nil {
		vm.endCallout(c)
		if errors.Is(err, ErrUnknownCluster) {
			stack[0] = uint64(StatusBadArgument)
		} else {
			stack[0] = uint64(StatusInternalFailure)
		}
		return
	}
	writeU32(m, outID, c.id)
	stack[0] = uint64(StatusOK)
}

// httpCallDone delivers proxy_on_http_call_response to the root context.
func (r *Root) httpCallDone(c *callout, resp *HTTPCallResponse, err error) {
	vm := r.vm
	if vm.begin(&r.hctx) != nil {
		return
	}
	defer vm.end()
	if _, live := vm.calls[c.id]; !live || r.state == rootDeleted {
		return // cancelled with its root context
	}
	vm.endCallout(c)
	var nh, nb, nt int
	if err != nil || resp == nil {
		vm.scope.status, vm.scope.statusMessage = StatusBrokenConnection, "reset"
	} else {
		if resp.Headers == nil {
			resp.Headers = &Headers{}
		}
		vm.scope.httpResponse = resp
		nh, nb = resp.Headers.Len(), len(resp.Body)
		if resp.Trailers != nil {
			nt = resp.Trailers.Len()
		}
	}
	vm.stack[0], vm.stack[1], vm.stack[2], vm.stack[3], vm.stack[4] = uint64(r.id), uint64(c.id), uint64(nh), uint64(nb), uint64(nt)
	vm.call(callbackNames[cbHTTPCallResponse], vm.fns[cbHTTPCallResponse])
}

// proxy_grpc_call(service_ptr, service_size, service_name_ptr,
// service_name_size, method_ptr, method_size, initial_metadata_ptr,
// initial_metadata_size, message_ptr, message_size, timeout_ms,
// out_call_id) -> status
//
// Starts a unary gRPC call through Config.GRPCCaller. service is a cluster
// name or a serialized envoy.config.core.v3.GrpcService. Results arrive on
// the caller's root context: proxy_on_grpc_receive_initial_metadata,
// proxy_on_grpc_receive (message in buffer 5),
// proxy_on_grpc_receive_trailing_metadata, then proxy_on_grpc_close(root,
// id, status) with the message readable through proxy_get_status.
//
// Returns: OK (and writes the id); PARSE_FAILURE for an unknown cluster;
// BAD_ARGUMENT when no gRPC client can be made (no caller, no plugin);
// INTERNAL_FAILURE when the call cannot be sent; INVALID_MEMORY_ACCESS.
func proxyGRPCCall(ctx context.Context, m api.Module, stack []uint64) {
	grpcStart(ctx, m, stack, false)
}

// proxy_grpc_stream(service_ptr, service_size, service_name_ptr,
// service_name_size, method_ptr, method_size, initial_metadata_ptr,
// initial_metadata_size, out_stream_id) -> status
//
// Opens a bidirectional gRPC stream; statuses and callbacks as
// proxy_grpc_call. Messages are sent with proxy_grpc_send.
func proxyGRPCStream(ctx context.Context, m api.Module, stack []uint64) {
	grpcStart(ctx, m, stack, true)
}

func grpcStart(ctx context.Context, m api.Module, stack []uint64, isStream bool) {
	vm := vmFrom(ctx)
	var outID uint32
	if isStream {
		outID = uint32(stack[8])
	} else {
		outID = uint32(stack[11])
	}
	if !writable(m, outID, 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	service, ok1 := read(m, uint32(stack[0]), uint32(stack[1]))
	svcName, ok2 := read(m, uint32(stack[2]), uint32(stack[3]))
	method, ok3 := read(m, uint32(stack[4]), uint32(stack[5]))
	md, ok4 := read(m, uint32(stack[6]), uint32(stack[7]))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	req := &GRPCCallRequest{
		Service:         append([]byte(nil), service...),
		ServiceName:     string(svcName),
		Method:          string(method),
		InitialMetadata: &Headers{},
		Stream:          isStream,
	}
	decodePairsInto(req.InitialMetadata, md)
	if !isStream {
		msg, ok := read(m, uint32(stack[8]), uint32(stack[9]))
		if !ok {
			stack[0] = uint64(StatusInvalidMemoryAccess)
			return
		}
		req.Message = append([]byte(nil), msg...)
		req.Timeout = time.Duration(uint32(stack[10])) * time.Millisecond
	}
	root := vm.active().root
	caller := vm.rt.cfg.GRPCCaller
	if caller == nil || root == nil {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	kind := kindGRPCCall
	if isStream {
		kind = kindGRPCStream
	}
	c := vm.newCallout(kind, root)
	gs, err := caller.GRPCCall(c.ctx, req, &grpcEvents{root: root, c: c})
	if err != nil {
		vm.endCallout(c)
		if errors.Is(err, ErrUnknownCluster) {
			stack[0] = uint64(StatusParseFailure)
		} else {
			stack[0] = uint64(StatusInternalFailure)
		}
		return
	}
	c.grpc = gs
	writeU32(m, outID, c.id)
	stack[0] = uint64(StatusOK)
}

// grpcEvents posts gRPC results to the root context's VM.
type grpcEvents struct {
	root *Root
	c    *callout
}

func (e *grpcEvents) OnInitialMetadata(h *Headers) {
	e.root.vm.post(func() { e.root.grpcMetadata(e.c, MapGRPCInitialMetadata, h) })
}

func (e *grpcEvents) OnMessage(msg []byte) {
	e.root.vm.post(func() { e.root.grpcMessage(e.c, msg) })
}

func (e *grpcEvents) OnTrailingMetadata(h *Headers) {
	e.root.vm.post(func() { e.root.grpcMetadata(e.c, MapGRPCTrailingMetadata, h) })
}

func (e *grpcEvents) OnClose(status int32, message string) {
	e.root.vm.post(func() { e.root.grpcClose(e.c, status, message) })
}

// grpcDeliver runs one gRPC callback on the root if the call is still live.
func (r *Root) grpcDeliver(c *callout, cb callback, a2 uint64, prepare func()) {
	vm := r.vm
	if vm.begin(&r.hctx) != nil {
		return
	}
	defer vm.end()
	if _, live := vm.calls[c.id]; !live || r.state == rootDeleted {
		return
	}
	prepare()
	vm.stack[0], vm.stack[1], vm.stack[2] = uint64(r.id), uint64(c.id), a2
	vm.call(callbackNames[cb], vm.fns[cb])
}

func (r *Root) grpcMetadata(c *callout, mt MapType, h *Headers) {
	cb := cbGRPCInitialMetadata
	if mt == MapGRPCTrailingMetadata {
		cb = cbGRPCTrailingMetadata
	}
	r.grpcDeliver(c, cb, uint64(h.Len()), func() {
		r.vm.scope.grpcMetadata, r.vm.scope.grpcMetadataMap = h, mt
	})
}

func (r *Root) grpcMessage(c *callout, msg []byte) {
	r.grpcDeliver(c, cbGRPCReceive, uint64(len(msg)), func() {
		r.vm.scope.grpcMessage, r.vm.scope.hasGRPCMessage = msg, true
	})
}

func (r *Root) grpcClose(c *callout, status int32, message string) {
	r.grpcDeliver(c, cbGRPCClose, uint64(uint32(status)), func() {
		r.vm.endCallout(c)
		r.vm.scope.status, r.vm.scope.statusMessage = Status(uint32(status)), message
	})
}

// grpcCallout returns the live gRPC call or stream with that id:
// BAD_ARGUMENT for an id of neither kind, NOT_FOUND for an unknown one.
func (vm *VM) grpcCallout(id uint32) (*callout, Status) {
	if k := id & 3; k != kindGRPCCall && k != kindGRPCStream {
		return nil, StatusBadArgument
	}
	c, ok := vm.calls[id]
	if !ok {
		return nil, StatusNotFound
	}
	return c, StatusOK
}

// proxy_grpc_send(stream_id, message_ptr, message_size, end_stream) -> status
//
// Sends a message on a gRPC stream.
//
// Returns: OK; NOT_FOUND for an unknown id; BAD_ARGUMENT when the id is not
// a stream; INTERNAL_FAILURE when sending fails; INVALID_MEMORY_ACCESS.
func proxyGRPCSend(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	msg, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	id := uint32(stack[0])
	if id&3 != kindGRPCStream {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	c, st := vm.grpcCallout(id)
	if st != StatusOK {
		stack[0] = uint64(st)
		return
	}
	if err := c.grpc.Send(append([]byte(nil), msg...), uint32(stack[3]) != 0); err != nil {
		stack[0] = uint64(StatusInternalFailure)
		return
	}
	stack[0] = uint64(StatusOK)
}

// proxy_grpc_cancel(id) -> status
//
// Cancels a gRPC call or resets a stream; no further callbacks arrive.
//
// Returns: OK; NOT_FOUND for an unknown id; BAD_ARGUMENT for an id that is
// neither a call nor a stream.
func proxyGRPCCancel(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	c, st := vm.grpcCallout(uint32(stack[0]))
	if st == StatusOK {
		c.grpc.Cancel()
		vm.endCallout(c)
	}
	stack[0] = uint64(st)
}

// proxy_grpc_close(id) -> status
//
// Call: cancels it. Stream: half-closes it; callbacks continue until the
// remote side closes.
//
// Returns: OK; NOT_FOUND for an unknown id; BAD_ARGUMENT for an id that is
// neither a call nor a stream.
func proxyGRPCClose(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	c, st := vm.grpcCallout(uint32(stack[0]))
	if st == StatusOK {
		if c.stream {
			c.grpc.CloseSend()
		} else {
			c.grpc.Cancel()
			vm.endCallout(c)
		}
	}
	stack[0] = uint64(st)
}

// envoy_resolve_dns(address_ptr, address_size, out_token) -> status
//
// Envoy extension: resolves a host name asynchronously. The result arrives
// as envoy_on_resolve_dns(root, token, size) with buffer type 8 holding
// u32 count, count × u32 TTL, then count NUL-terminated addresses (count 0
// on failure).
//
// Returns: OK (and writes the token); BAD_ARGUMENT outside a plugin;
// INVALID_MEMORY_ACCESS.
func envoyResolveDNS(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	addr, ok := read(m, uint32(stack[0]), uint32(stack[1]))
	if !ok || !writable(m, uint32(stack[2]), 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	root := vm.active().root
	if root == nil {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	c := vm.newCallout(kindHTTP, root) // tokens share the HTTP id space
	name := string(addr)
	go func() {
		ips, _ := net.DefaultResolver.LookupIPAddr(c.ctx, name)
		vm.post(func() { root.dnsDone(c, ips) })
	}()
	writeU32(m, uint32(stack[2]), c.id)
	stack[0] = uint64(StatusOK)
}

func (r *Root) dnsDone(c *callout, ips []net.IPAddr) {
	vm := r.vm
	if vm.begin(&r.hctx) != nil {
		return
	}
	defer vm.end()
	if _, live := vm.calls[c.id]; !live || r.state == rootDeleted {
		return
	}
	vm.endCallout(c)
	buf := binary.LittleEndian.AppendUint32(nil, uint32(len(ips)))
	for range ips {
		buf = binary.LittleEndian.AppendUint32(buf, 60)
	}
	for _, ip := range ips {
		buf = append(append(buf, ip.IP.String()...), 0)
	}
	vm.scope.foreignArgs = buf
	vm.stack[0], vm.stack[1], vm.stack[2] = uint64(r.id), uint64(c.id), uint64(len(buf))
	vm.call(callbackNames[cbResolveDNS], vm.fns[cbResolveDNS])
}
