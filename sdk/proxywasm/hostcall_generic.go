package proxywasm

import (
	"errors"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// Generic access to every host buffer and header map by type, including the
// ones without a dedicated function (gRPC metadata, the foreign-function
// arguments). These are wasmesh additions; the upstream SDK only has the
// per-type functions.

// GetBufferBytes returns up to maxSize bytes of the buffer bt from start. It
// calls proxy_get_buffer_bytes; an empty result gives
// types.ErrorStatusNotFound.
func GetBufferBytes(bt types.BufferType, start, maxSize int) ([]byte, error) {
	return getBuffer(bt, start, maxSize)
}

// SetBufferBytes changes the buffer bt. Envoy supports start 0 (drop the
// first size bytes, or all of them if size is at least the length, then
// prepend data) and start at or past the end (append data); anything else
// gives types.ErrorStatusBadArgument. It calls proxy_set_buffer_bytes.
func SetBufferBytes(bt types.BufferType, start, size int, data []byte) error {
	if start < 0 || size < 0 || uint64(start) > maxUint32 || uint64(size) > maxUint32 {
		return errors.New("proxywasm: buffer start and size must be non-negative 32-bit values")
	}
	return setBuffer(bt, uint32(start), uint32(size), data)
}

// GetBufferStatus returns the current size of the buffer bt and its flags
// (no host sets any flag today). It calls proxy_get_buffer_status.
func GetBufferStatus(bt types.BufferType) (size int, flags uint32, err error) {
	var s uint32
	if err := statusToError(abi.ProxyGetBufferStatus(uint32(bt), &s, &flags)); err != nil {
		return 0, 0, err
	}
	return int(s), flags, nil
}

// GetHeaderMapPairs returns all entries of the map mt. It calls
// proxy_get_header_map_pairs; an empty or unavailable map gives
// types.ErrorStatusNotFound.
func GetHeaderMapPairs(mt types.MapType) ([][2]string, error) {
	return getMap(mt)
}

// SetHeaderMapPairs replaces all entries of the map mt. It calls
// proxy_set_header_map_pairs.
func SetHeaderMapPairs(mt types.MapType, pairs [][2]string) error {
	return setMap(mt, pairs)
}

// GetHeaderMapValue returns the first value of key in the map mt. It calls
// proxy_get_header_map_value; a missing key gives types.ErrorStatusNotFound.
func GetHeaderMapValue(mt types.MapType, key string) (string, error) {
	return getMapValue(mt, key)
}

// AddHeaderMapValue adds a value for key to the map mt. It calls
// proxy_add_header_map_value.
func AddHeaderMapValue(mt types.MapType, key, value string) error {
	return addMapValue(mt, key, value)
}

// ReplaceHeaderMapValue sets key to the single value in the map mt. It calls
// proxy_replace_header_map_value.
func ReplaceHeaderMapValue(mt types.MapType, key, value string) error {
	return replaceMapValue(mt, key, value)
}

// RemoveHeaderMapValue removes every value of key from the map mt. It calls
// proxy_remove_header_map_value.
func RemoveHeaderMapValue(mt types.MapType, key string) error {
	return removeMapValue(mt, key)
}

// GetHeaderMapSize returns the size the host reports for the map mt; Envoy
// reports the total bytes of keys and values, not the number of entries. It
// calls proxy_get_header_map_size; a read-only map gives
// types.ErrorStatusBadArgument in Envoy.
func GetHeaderMapSize(mt types.MapType) (int, error) {
	var size uint32
	if err := statusToError(abi.ProxyGetHeaderMapSize(uint32(mt), &size)); err != nil {
		return 0, err
	}
	return int(size), nil
}

const maxUint32 = 1<<32 - 1
