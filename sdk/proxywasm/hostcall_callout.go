package proxywasm

import (
	"errors"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// HTTP and gRPC callouts. The host reports their results to the plugin
// (root) context; the SDK remembers which context dispatched each call and
// runs the callback or handler with that context made effective
// (proxy_set_effective_context), so that ResumeHttpRequest, SendHttpResponse
// and the header calls act on the dispatching stream. If that stream was
// deleted before the result arrived, the callback is not run.

var errNoContext = errors.New("proxywasm: callouts can only be dispatched from a plugin, HTTP or TCP context callback")

// DispatchHttpCall sends an HTTP request to the upstream cluster and calls
// callBack with the response's header count, body size and trailer count.
// headers must contain ":method", ":path" and ":authority"; Envoy answers
// types.ErrorStatusBadArgument otherwise, and for an unknown cluster. A zero
// timeout means no timeout. The response is readable with
// GetHttpCallResponseHeaders, GetHttpCallResponseBody and
// GetHttpCallResponseTrailers during callBack. When the call fails (for
// example the connection is reset), callBack gets (0, 0, 0) and GetStatus
// reports the reason. It calls proxy_http_call. Outside a context callback
// (for example from init) it returns an error without calling the host.
func DispatchHttpCall(
	cluster string,
	headers [][2]string,
	body []byte,
	trailers [][2]string,
	timeoutMillisecond uint32,
	callBack func(numHeaders, bodySize, numTrailers int),
) (calloutID uint32, err error) {
	root := vm.rootOf(vm.activeID)
	if root == nil {
		return 0, errNoContext
	}
	h := serializeMap(headers)
	t := serializeMap(trailers)
	st := abi.ProxyHttpCall(stringPtr(cluster), uint32(len(cluster)),
		&h[0], uint32(len(h)), bytesPtr(body), uint32(len(body)),
		&t[0], uint32(len(t)), timeoutMillisecond, &calloutID)
	if err := statusToError(st); err != nil {
		return 0, err
	}
	if callBack == nil {
		callBack = func(int, int, int) {}
	}
	root.httpCallouts[calloutID] = httpCallout{callerID: vm.activeID, callback: callBack}
	return calloutID, nil
}

// GetHttpCallResponseHeaders returns the headers of the DispatchHttpCall
// response, ":status" first. It is only available in the callback. It calls
// proxy_get_header_map_pairs; none gives types.ErrorStatusNotFound.
func GetHttpCallResponseHeaders() ([][2]string, error) {
	return getMap(types.MapTypeHttpCallResponseHeaders)
}

// GetHttpCallResponseBody returns up to maxSize bytes of the DispatchHttpCall
// response body from start. It is only available in the callback. It calls
// proxy_get_buffer_bytes; an empty body gives types.ErrorStatusNotFound.
func GetHttpCallResponseBody(start, maxSize int) ([]byte, error) {
	return getBuffer(types.BufferTypeHttpCallResponseBody, start, maxSize)
}

// GetHttpCallResponseTrailers returns the trailers of the DispatchHttpCall
// response. It is only available in the callback. It calls
// proxy_get_header_map_pairs; none gives types.ErrorStatusNotFound.
func GetHttpCallResponseTrailers() ([][2]string, error) {
	return getMap(types.MapTypeHttpCallResponseTrailers)
}

// GrpcCall starts a unary gRPC call of method on serviceName. service is a
// cluster name or a serialized envoy.config.core.v3.GrpcService. The
// response's events go to handler, or to the plugin context when handler is
// nil (see types.GrpcCallHandler). A zero timeout means no timeout. It calls
// proxy_grpc_call; Envoy answers types.ErrorStatusParseFailure for an
// unknown cluster, types.ErrorStatusBadArgument if the client cannot be
// created and types.ErrorInternalFailure if the request cannot be sent.
func GrpcCall(service, serviceName, method string, initialMetadata [][2]string, message []byte,
	timeoutMillisecond uint32, handler types.GrpcCallHandler,
) (calloutID uint32, err error) {
	root := vm.rootOf(vm.activeID)
	if root == nil {
		return 0, errNoContext
	}
	md := serializeMetadata(initialMetadata)
	st := abi.ProxyGrpcCall(stringPtr(service), uint32(len(service)),
		stringPtr(serviceName), uint32(len(serviceName)), stringPtr(method), uint32(len(method)),
		bytesPtr(md), uint32(len(md)), bytesPtr(message), uint32(len(message)),
		timeoutMillisecond, &calloutID)
	if err := statusToError(st); err != nil {
		return 0, err
	}
	root.grpcCallouts[calloutID] = grpcCallout{callerID: vm.activeID, handler: handler}
	return calloutID, nil
}

// GrpcStream opens a bidirectional gRPC stream to method on serviceName;
// send messages with GrpcSend. Events go to handler as for GrpcCall. It
// calls proxy_grpc_stream, with the errors of GrpcCall.
func GrpcStream(service, serviceName, method string, initialMetadata [][2]string,
	handler types.GrpcCallHandler,
) (streamID uint32, err error) {
	root := vm.rootOf(vm.activeID)
	if root == nil {
		return 0, errNoContext
	}
	md := serializeMetadata(initialMetadata)
	st := abi.ProxyGrpcStream(stringPtr(service), uint32(len(service)),
		stringPtr(serviceName), uint32(len(serviceName)), stringPtr(method), uint32(len(method)),
		bytesPtr(md), uint32(len(md)), &streamID)
	if err := statusToError(st); err != nil {
		return 0, err
	}
	root.grpcCallouts[streamID] = grpcCallout{callerID: vm.activeID, handler: handler, stream: true}
	return streamID, nil
}

// GrpcSend sends a message on a stream opened with GrpcStream, and
// half-closes it if endOfStream is set. It calls proxy_grpc_send; an unknown
// stream gives types.ErrorStatusNotFound, a unary call id
// types.ErrorStatusBadArgument.
func GrpcSend(streamID uint32, message []byte, endOfStream bool) error {
	var eos uint32
	if endOfStream {
		eos = 1
	}
	return statusToError(abi.ProxyGrpcSend(streamID, bytesPtr(message), uint32(len(message)), eos))
}

// GrpcCancel cancels a call or resets a stream; no further events are
// delivered for it. It calls proxy_grpc_cancel; an unknown id gives
// types.ErrorStatusNotFound.
func GrpcCancel(calloutID uint32) error {
	err := statusToError(abi.ProxyGrpcCancel(calloutID))
	if err == nil {
		vm.forgetGrpcCallout(calloutID, true)
	}
	return err
}

// GrpcClose cancels a unary call, or half-closes a stream (its events keep
// coming until OnGrpcClose). It calls proxy_grpc_close; an unknown id gives
// types.ErrorStatusNotFound.
func GrpcClose(calloutID uint32) error {
	err := statusToError(abi.ProxyGrpcClose(calloutID))
	if err == nil {
		vm.forgetGrpcCallout(calloutID, false)
	}
	return err
}

// GetGrpcReceiveInitialMetadata returns the initial metadata of a gRPC
// response; it is only available in OnGrpcReceiveInitialMetadata. It calls
// proxy_get_header_map_pairs; none gives types.ErrorStatusNotFound.
func GetGrpcReceiveInitialMetadata() ([][2]string, error) {
	return getMap(types.MapTypeGrpcReceiveInitialMetadata)
}

// GetGrpcReceiveMessage returns up to maxSize bytes of the received gRPC
// message from start; it is only available in OnGrpcReceive. It calls
// proxy_get_buffer_bytes; an empty message gives types.ErrorStatusNotFound.
func GetGrpcReceiveMessage(start, maxSize int) ([]byte, error) {
	return getBuffer(types.BufferTypeGrpcReceiveBuffer, start, maxSize)
}

// GetGrpcReceiveTrailingMetadata returns the trailing metadata of a gRPC
// response; it is only available in OnGrpcReceiveTrailingMetadata. It calls
// proxy_get_header_map_pairs; none gives types.ErrorStatusNotFound.
func GetGrpcReceiveTrailingMetadata() ([][2]string, error) {
	return getMap(types.MapTypeGrpcReceiveTrailingMetadata)
}

// serializeMetadata encodes gRPC metadata, or returns nil for none (sent as
// (0, 0), which every host reads as empty).
func serializeMetadata(md [][2]string) []byte {
	if len(md) == 0 {
		return nil
	}
	return serializeMap(md)
}

// forgetGrpcCallout drops a callout after GrpcCancel (always) or GrpcClose
// (unary calls only; a half-closed stream still gets events).
func (s *vmState) forgetGrpcCallout(calloutID uint32, cancel bool) {
	root := s.rootOf(s.activeID)
	if root == nil {
		return
	}
	if co, ok := root.grpcCallouts[calloutID]; ok && (cancel || !co.stream) {
		delete(root.grpcCallouts, calloutID)
	}
}
