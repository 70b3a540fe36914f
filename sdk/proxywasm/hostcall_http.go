package proxywasm

import (
	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// HTTP stream host calls. Header keys are lower-cased by the host. In Envoy
// the request headers are only available in OnHttpRequestHeaders (and while
// the stream stays paused from it), the response headers in
// OnHttpResponseHeaders, bodies in the body callbacks, trailers in the
// trailer callbacks, and all of them read-only in OnHttpStreamDone.
// Mutating a map or buffer that is not available gives
// types.ErrorStatusBadArgument.

// GetHttpRequestHeaders returns all request headers, pseudo-headers first.
// It calls proxy_get_header_map_pairs; an empty or unavailable map gives
// types.ErrorStatusNotFound.
func GetHttpRequestHeaders() ([][2]string, error) {
	return getMap(types.MapTypeHttpRequestHeaders)
}

// ReplaceHttpRequestHeaders replaces all request headers with headers. It
// calls proxy_set_header_map_pairs.
func ReplaceHttpRequestHeaders(headers [][2]string) error {
	return setMap(types.MapTypeHttpRequestHeaders, headers)
}

// GetHttpRequestHeader returns the first value of the request header key. It
// calls proxy_get_header_map_value; a missing header gives
// types.ErrorStatusNotFound, an unavailable map types.ErrorStatusBadArgument.
func GetHttpRequestHeader(key string) (string, error) {
	return getMapValue(types.MapTypeHttpRequestHeaders, key)
}

// RemoveHttpRequestHeader removes every value of the request header key. It
// calls proxy_remove_header_map_value; a missing header is not an error.
func RemoveHttpRequestHeader(key string) error {
	return removeMapValue(types.MapTypeHttpRequestHeaders, key)
}

// ReplaceHttpRequestHeader sets the request header key to the single value,
// adding it if absent. It calls proxy_replace_header_map_value.
func ReplaceHttpRequestHeader(key, value string) error {
	return replaceMapValue(types.MapTypeHttpRequestHeaders, key, value)
}

// AddHttpRequestHeader adds a value for the request header key, keeping
// existing values. It calls proxy_add_header_map_value.
func AddHttpRequestHeader(key, value string) error {
	return addMapValue(types.MapTypeHttpRequestHeaders, key, value)
}

// GetHttpRequestBody returns up to maxSize bytes of the buffered request
// body from start. It calls proxy_get_buffer_bytes; an empty result gives
// types.ErrorStatusNotFound.
func GetHttpRequestBody(start, maxSize int) ([]byte, error) {
	return getBuffer(types.BufferTypeHttpRequestBody, start, maxSize)
}

// AppendHttpRequestBody appends data to the request body. Remove the
// content-length header in OnHttpRequestHeaders when the size changes. It
// calls proxy_set_buffer_bytes.
func AppendHttpRequestBody(data []byte) error {
	return appendToBuffer(types.BufferTypeHttpRequestBody, data)
}

// PrependHttpRequestBody prepends data to the request body. It calls
// proxy_set_buffer_bytes.
func PrependHttpRequestBody(data []byte) error {
	return prependToBuffer(types.BufferTypeHttpRequestBody, data)
}

// ReplaceHttpRequestBody replaces the whole buffered request body with data.
// It calls proxy_set_buffer_bytes.
func ReplaceHttpRequestBody(data []byte) error {
	return replaceBuffer(types.BufferTypeHttpRequestBody, data)
}

// GetHttpRequestTrailers returns all request trailers. It calls
// proxy_get_header_map_pairs; none gives types.ErrorStatusNotFound.
func GetHttpRequestTrailers() ([][2]string, error) {
	return getMap(types.MapTypeHttpRequestTrailers)
}

// ReplaceHttpRequestTrailers replaces all request trailers. It calls
// proxy_set_header_map_pairs.
func ReplaceHttpRequestTrailers(trailers [][2]string) error {
	return setMap(types.MapTypeHttpRequestTrailers, trailers)
}

// GetHttpRequestTrailer returns the first value of the request trailer key.
// It calls proxy_get_header_map_value; a missing trailer gives
// types.ErrorStatusNotFound.
func GetHttpRequestTrailer(key string) (string, error) {
	return getMapValue(types.MapTypeHttpRequestTrailers, key)
}

// RemoveHttpRequestTrailer removes every value of the request trailer key. It
// calls proxy_remove_header_map_value.
func RemoveHttpRequestTrailer(key string) error {
	return removeMapValue(types.MapTypeHttpRequestTrailers, key)
}

// ReplaceHttpRequestTrailer sets the request trailer key to value. It calls
// proxy_replace_header_map_value.
func ReplaceHttpRequestTrailer(key, value string) error {
	return replaceMapValue(types.MapTypeHttpRequestTrailers, key, value)
}

// AddHttpRequestTrailer adds a value for the request trailer key. It calls
// proxy_add_header_map_value.
func AddHttpRequestTrailer(key, value string) error {
	return addMapValue(types.MapTypeHttpRequestTrailers, key, value)
}

// ResumeHttpRequest resumes a request paused with types.ActionPause, for
// example from a DispatchHttpCall callback. It calls
// proxy_continue_stream(StreamTypeRequest); the host resumes after the
// current callback returns.
func ResumeHttpRequest() error {
	return ContinueStream(types.StreamTypeRequest)
}

// GetHttpResponseHeaders returns all response headers. It calls
// proxy_get_header_map_pairs; an empty or unavailable map gives
// types.ErrorStatusNotFound.
func GetHttpResponseHeaders() ([][2]string, error) {
	return getMap(types.MapTypeHttpResponseHeaders)
}

// ReplaceHttpResponseHeaders replaces all response headers. It calls
// proxy_set_header_map_pairs.
func ReplaceHttpResponseHeaders(headers [][2]string) error {
	return setMap(types.MapTypeHttpResponseHeaders, headers)
}

// GetHttpResponseHeader returns the first value of the response header key.
// It calls proxy_get_header_map_value; a missing header gives
// types.ErrorStatusNotFound.
func GetHttpResponseHeader(key string) (string, error) {
	return getMapValue(types.MapTypeHttpResponseHeaders, key)
}

// RemoveHttpResponseHeader removes every value of the response header key.
// It calls proxy_remove_header_map_value.
func RemoveHttpResponseHeader(key string) error {
	return removeMapValue(types.MapTypeHttpResponseHeaders, key)
}

// ReplaceHttpResponseHeader sets the response header key to value. It calls
// proxy_replace_header_map_value.
func ReplaceHttpResponseHeader(key, value string) error {
	return replaceMapValue(types.MapTypeHttpResponseHeaders, key, value)
}

// AddHttpResponseHeader adds a value for the response header key. It calls
// proxy_add_header_map_value.
func AddHttpResponseHeader(key, value string) error {
	return addMapValue(types.MapTypeHttpResponseHeaders, key, value)
}

// GetHttpResponseBody returns up to maxSize bytes of the buffered response
// body from start. It calls proxy_get_buffer_bytes; an empty result gives
// types.ErrorStatusNotFound.
func GetHttpResponseBody(start, maxSize int) ([]byte, error) {
	return getBuffer(types.BufferTypeHttpResponseBody, start, maxSize)
}

// AppendHttpResponseBody appends data to the response body. Remove the
// content-length header in OnHttpResponseHeaders when the size changes. It
// calls proxy_set_buffer_bytes.
func AppendHttpResponseBody(data []byte) error {
	return appendToBuffer(types.BufferTypeHttpResponseBody, data)
}

// PrependHttpResponseBody prepends data to the response body. It calls
// proxy_set_buffer_bytes.
func PrependHttpResponseBody(data []byte) error {
	return prependToBuffer(types.BufferTypeHttpResponseBody, data)
}

// ReplaceHttpResponseBody replaces the whole buffered response body with
// data. It calls proxy_set_buffer_bytes.
func ReplaceHttpResponseBody(data []byte) error {
	return replaceBuffer(types.BufferTypeHttpResponseBody, data)
}

// GetHttpResponseTrailers returns all response trailers. It calls
// proxy_get_header_map_pairs; none gives types.ErrorStatusNotFound.
func GetHttpResponseTrailers() ([][2]string, error) {
	return getMap(types.MapTypeHttpResponseTrailers)
}

// ReplaceHttpResponseTrailers replaces all response trailers. It calls
// proxy_set_header_map_pairs.
func ReplaceHttpResponseTrailers(trailers [][2]string) error {
	return setMap(types.MapTypeHttpResponseTrailers, trailers)
}

// GetHttpResponseTrailer returns the first value of the response trailer
// key. It calls proxy_get_header_map_value; a missing trailer gives
// types.ErrorStatusNotFound.
func GetHttpResponseTrailer(key string) (string, error) {
	return getMapValue(types.MapTypeHttpResponseTrailers, key)
}

// RemoveHttpResponseTrailer removes every value of the response trailer key.
// It calls proxy_remove_header_map_value.
func RemoveHttpResponseTrailer(key string) error {
	return removeMapValue(types.MapTypeHttpResponseTrailers, key)
}

// ReplaceHttpResponseTrailer sets the response trailer key to value. It
// calls proxy_replace_header_map_value.
func ReplaceHttpResponseTrailer(key, value string) error {
	return replaceMapValue(types.MapTypeHttpResponseTrailers, key, value)
}

// AddHttpResponseTrailer adds a value for the response trailer key. It calls
// proxy_add_header_map_value.
func AddHttpResponseTrailer(key, value string) error {
	return addMapValue(types.MapTypeHttpResponseTrailers, key, value)
}

// ResumeHttpResponse resumes a response paused with types.ActionPause. It
// calls proxy_continue_stream(StreamTypeResponse).
func ResumeHttpResponse() error {
	return ContinueStream(types.StreamTypeResponse)
}

// SendHttpResponse sends a local reply to the client instead of (or in place
// of) the upstream response. Use gRPCStatus -1 for a non-gRPC reply. The host
// sends it after the current callback returns, and treats that callback's
// result as Pause; return types.ActionPause anyway. It cannot be used once
// the response headers have gone downstream. It calls
// proxy_send_local_response.
func SendHttpResponse(statusCode uint32, headers [][2]string, body []byte, gRPCStatus int32) error {
	return SendHttpResponseWithDetails(statusCode, "", headers, body, gRPCStatus)
}

// SendHttpResponseWithDetails is SendHttpResponse with the response code
// details string that Envoy records for the reply (whitespace becomes "_").
// It calls proxy_send_local_response.
func SendHttpResponseWithDetails(statusCode uint32, details string, headers [][2]string, body []byte, gRPCStatus int32) error {
	h := serializeMap(headers)
	return statusToError(abi.ProxySendLocalResponse(statusCode,
		stringPtr(details), uint32(len(details)),
		bytesPtr(body), uint32(len(body)),
		&h[0], uint32(len(h)), gRPCStatus))
}

// ContinueStream resumes the given direction of the current stream after a
// callback returned types.ActionPause. It calls proxy_continue_stream; Envoy
// answers types.ErrorUnimplemented for StreamTypeUpstream.
func ContinueStream(streamType types.StreamType) error {
	return statusToError(abi.ProxyContinueStream(uint32(streamType)))
}

// CloseStream closes the given direction of the current stream: an HTTP
// stream is reset, a TCP side is closed after flushing. It calls
// proxy_close_stream.
func CloseStream(streamType types.StreamType) error {
	return statusToError(abi.ProxyCloseStream(uint32(streamType)))
}
