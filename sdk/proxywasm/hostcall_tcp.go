package proxywasm

import "github.com/wasmesh/wasmesh/sdk/proxywasm/types"

// TCP host calls, available in the callbacks of a types.TcpContext.

// GetDownstreamData returns up to maxSize bytes of the buffered client data
// from start. It calls proxy_get_buffer_bytes; an empty result gives
// types.ErrorStatusNotFound.
func GetDownstreamData(start, maxSize int) ([]byte, error) {
	return getBuffer(types.BufferTypeDownstreamData, start, maxSize)
}

// AppendDownstreamData appends data to the buffered client data. It calls
// proxy_set_buffer_bytes.
func AppendDownstreamData(data []byte) error {
	return appendToBuffer(types.BufferTypeDownstreamData, data)
}

// PrependDownstreamData prepends data to the buffered client data. It calls
// proxy_set_buffer_bytes.
func PrependDownstreamData(data []byte) error {
	return prependToBuffer(types.BufferTypeDownstreamData, data)
}

// ReplaceDownstreamData replaces the buffered client data with data. It
// calls proxy_set_buffer_bytes.
func ReplaceDownstreamData(data []byte) error {
	return replaceBuffer(types.BufferTypeDownstreamData, data)
}

// GetUpstreamData returns up to maxSize bytes of the buffered backend data
// from start. It calls proxy_get_buffer_bytes; an empty result gives
// types.ErrorStatusNotFound.
func GetUpstreamData(start, maxSize int) ([]byte, error) {
	return getBuffer(types.BufferTypeUpstreamData, start, maxSize)
}

// AppendUpstreamData appends data to the buffered backend data. It calls
// proxy_set_buffer_bytes.
func AppendUpstreamData(data []byte) error {
	return appendToBuffer(types.BufferTypeUpstreamData, data)
}

// PrependUpstreamData prepends data to the buffered backend data. It calls
// proxy_set_buffer_bytes.
func PrependUpstreamData(data []byte) error {
	return prependToBuffer(types.BufferTypeUpstreamData, data)
}

// ReplaceUpstreamData replaces the buffered backend data with data. It calls
// proxy_set_buffer_bytes.
func ReplaceUpstreamData(data []byte) error {
	return replaceBuffer(types.BufferTypeUpstreamData, data)
}

// ContinueTcpStream resumes the connection after a callback returned
// types.ActionPause. It calls proxy_continue_stream(StreamTypeDownstream),
// the direction Envoy implements for TCP.
func ContinueTcpStream() error {
	return ContinueStream(types.StreamTypeDownstream)
}

// CloseDownstream closes the client connection. It calls
// proxy_close_stream(StreamTypeDownstream).
func CloseDownstream() error {
	return CloseStream(types.StreamTypeDownstream)
}

// CloseUpstream closes the backend connection. It calls
// proxy_close_stream(StreamTypeUpstream).
func CloseUpstream() error {
	return CloseStream(types.StreamTypeUpstream)
}
