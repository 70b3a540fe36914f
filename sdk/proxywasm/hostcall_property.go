package proxywasm

import (
	"errors"
	"time"
	"unsafe"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
)

// Properties (Envoy "attributes"): request.path, response.code,
// source.address, xds.cluster_name, plugin_name, ... A path is a list of
// segments, for example []string{"request", "headers", "user-agent"}; the
// SDK joins them with NUL bytes. See
// https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes
// for Envoy's list. Values are raw bytes; the GetProperty<Type> helpers
// decode Envoy's encodings.

var errEmptyPath = errors.New("proxywasm: property path must not be empty")

// GetProperty returns the raw value of the property at path. An empty value
// is returned as nil with no error. It calls proxy_get_property; an unknown
// or unavailable property gives types.ErrorStatusNotFound, a value the host
// cannot serialize types.ErrorStatusSerializationFailure.
func GetProperty(path []string) ([]byte, error) {
	if len(path) == 0 {
		return nil, errEmptyPath
	}
	p := serializePropertyPath(path)
	var raw *byte
	var size uint32
	if err := statusToError(abi.ProxyGetProperty(bytesPtr(p), uint32(len(p)), unsafe.Pointer(&raw), &size)); err != nil {
		return nil, err
	}
	return unsafe.Slice(raw, size), nil
}

// GetPropertyMap returns a map-valued property (for example
// request.headers or metadata) as its entries. It calls proxy_get_property,
// and returns an error if the value is not in the pairs format.
func GetPropertyMap(path []string) ([][2]string, error) {
	b, err := GetProperty(path)
	if err != nil {
		return nil, err
	}
	return deserializeMap(b)
}

// GetPropertyStringMap returns a map-valued property as a Go map; for a
// repeated key the last value wins. It calls proxy_get_property.
func GetPropertyStringMap(path []string) (map[string]string, error) {
	b, err := GetProperty(path)
	if err != nil {
		return nil, err
	}
	return decodeStringMap(b)
}

// GetPropertyStringSlice returns a list-valued property (encoded as pairs
// with empty values). It calls proxy_get_property.
func GetPropertyStringSlice(path []string) ([]string, error) {
	b, err := GetProperty(path)
	if err != nil {
		return nil, err
	}
	return decodeStringSlice(b)
}

// GetPropertyString returns a string-valued property. It calls
// proxy_get_property.
func GetPropertyString(path []string) (string, error) {
	b, err := GetProperty(path)
	return string(b), err
}

// GetPropertyUint64 returns an unsigned integer property (8 bytes
// little-endian, for example connection.id). It calls proxy_get_property
// and returns an error if the value is not 8 bytes.
func GetPropertyUint64(path []string) (uint64, error) {
	b, err := GetProperty(path)
	if err != nil {
		return 0, err
	}
	return decodeUint64(b)
}

// GetPropertyInt64 returns an integer property (8 bytes little-endian, for
// example response.code or source.port). It calls proxy_get_property and
// returns an error if the value is not 8 bytes.
func GetPropertyInt64(path []string) (int64, error) {
	b, err := GetProperty(path)
	if err != nil {
		return 0, err
	}
	return decodeInt64(b)
}

// GetPropertyFloat64 returns a double property (8 bytes IEEE-754
// little-endian). It calls proxy_get_property and returns an error if the
// value is not 8 bytes.
func GetPropertyFloat64(path []string) (float64, error) {
	b, err := GetProperty(path)
	if err != nil {
		return 0, err
	}
	return decodeFloat64(b)
}

// GetPropertyBool returns a boolean property (one byte, for example
// connection.mtls). It calls proxy_get_property and returns an error if the
// value is not 1 byte.
func GetPropertyBool(path []string) (bool, error) {
	b, err := GetProperty(path)
	if err != nil {
		return false, err
	}
	return decodeBool(b)
}

// GetPropertyTimestamp returns a timestamp property (int64 nanoseconds since
// the Unix epoch, for example request.time) in UTC. It calls
// proxy_get_property.
func GetPropertyTimestamp(path []string) (time.Time, error) {
	b, err := GetProperty(path)
	if err != nil {
		return time.Time{}, err
	}
	return decodeTimestamp(b)
}

// GetPropertyDuration returns a duration property (int64 nanoseconds, for
// example request.duration). It calls proxy_get_property.
func GetPropertyDuration(path []string) (time.Duration, error) {
	b, err := GetProperty(path)
	if err != nil {
		return 0, err
	}
	return decodeDuration(b)
}

// SetProperty stores data under path. Envoy keeps it in the stream's filter
// state, readable with GetProperty by this and other plugins; it needs a
// stream context. It calls proxy_set_property; from a root context Envoy
// answers types.ErrorStatusNotFound.
func SetProperty(path []string, data []byte) error {
	if len(path) == 0 {
		return errEmptyPath
	}
	p := serializePropertyPath(path)
	return statusToError(abi.ProxySetProperty(bytesPtr(p), uint32(len(p)), bytesPtr(data), uint32(len(data))))
}
