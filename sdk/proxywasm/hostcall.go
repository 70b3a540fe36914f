package proxywasm

import (
	"errors"
	"math"
	"unsafe"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// This file has the host calls about configuration, time, contexts, status
// and foreign functions, and the helpers shared by every hostcall_*.go file.
//
// Errors: unless a doc comment says otherwise, a non-OK status from the host
// is returned as the matching types.Error* value (types.ErrorStatusNotFound
// for NOT_FOUND, types.ErrorStatusBadArgument for BAD_ARGUMENT, and so on),
// and an unknown status as an error naming its code.

// GetVMConfiguration returns the VM configuration (Envoy's
// vm_config.configuration). It calls proxy_get_buffer_bytes with
// BufferTypeVMConfiguration. An empty configuration gives
// types.ErrorStatusNotFound.
func GetVMConfiguration() ([]byte, error) {
	return getBuffer(types.BufferTypeVMConfiguration, 0, math.MaxInt32)
}

// GetPluginConfiguration returns the plugin configuration (Envoy's
// config.configuration). It calls proxy_get_buffer_bytes with
// BufferTypePluginConfiguration and is only available during
// PluginContext.OnPluginStart. An empty configuration, or a call from
// another callback, gives types.ErrorStatusNotFound.
func GetPluginConfiguration() ([]byte, error) {
	return getBuffer(types.BufferTypePluginConfiguration, 0, math.MaxInt32)
}

// GetForeignFunctionArguments returns the arguments of the running
// proxy_on_foreign_function callback (see types.ForeignFunctionContext). It
// calls proxy_get_buffer_bytes with BufferTypeCallData. No arguments give
// types.ErrorStatusNotFound.
func GetForeignFunctionArguments() ([]byte, error) {
	return getBuffer(types.BufferTypeCallData, 0, math.MaxInt32)
}

// SetTickPeriodMilliSeconds sets the period of PluginContext.OnTick for the
// plugin context of the caller (a stream sets its plugin's timer); 0 stops
// the timer. It calls proxy_set_tick_period_milliseconds.
func SetTickPeriodMilliSeconds(millSec uint32) error {
	return statusToError(abi.ProxySetTickPeriodMilliseconds(millSec))
}

// SetEffectiveContext makes the following host calls of the running callback
// act on contextID (any live context of this VM), for example on a stream
// from PluginContext.OnTick. HTTP and gRPC callouts dispatched afterwards
// report back to that context. It calls proxy_set_effective_context; an
// unknown id gives types.ErrorStatusBadArgument.
func SetEffectiveContext(contextID uint32) error {
	err := statusToError(abi.ProxySetEffectiveContext(contextID))
	if err == nil {
		vm.activeID = contextID
	}
	return err
}

// PluginDone tells the host that the plugin context, whose OnPluginDone
// returned false, has finished its pending work and can be deleted. It calls
// proxy_done; types.ErrorStatusNotFound means the context was not pending.
//
// Upstream's PluginDone returns nothing; the error result is a wasmesh
// addition that existing callers can ignore.
func PluginDone() error {
	return statusToError(abi.ProxyDone())
}

// GetLogLevel returns the host's current log level, so a plugin can skip
// building messages that would not be logged. It calls proxy_get_log_level
// (ABI 0.2.1). Values above LogLevelCritical ("off") are reported as
// LogLevelCritical.
func GetLogLevel() (types.LogLevel, error) {
	var level uint32
	if err := statusToError(abi.ProxyGetLogLevel(&level)); err != nil {
		return 0, err
	}
	return min(types.LogLevel(level), types.LogLevelCritical), nil
}

// GetCurrentTimeNanoseconds returns the host's wall-clock time in
// nanoseconds since the Unix epoch. It calls
// proxy_get_current_time_nanoseconds. (time.Now, which uses WASI, works too.)
func GetCurrentTimeNanoseconds() (uint64, error) {
	var ns uint64
	if err := statusToError(abi.ProxyGetCurrentTimeNanoseconds(&ns)); err != nil {
		return 0, err
	}
	return ns, nil
}

// GetStatus returns the status the host recorded for the last callout of the
// plugin context: during the callback of a failed DispatchHttpCall, Envoy
// reports code 11 with message "reset"; during
// types.GrpcCallHandler.OnGrpcClose, the gRPC status code and message. It
// calls proxy_get_status.
func GetStatus() (code uint32, message string, err error) {
	var raw *byte
	var size uint32
	if err := statusToError(abi.ProxyGetStatus(&code, unsafe.Pointer(&raw), &size)); err != nil {
		return 0, "", err
	}
	return code, unsafe.String(raw, size), nil
}

// CallForeignFunction calls the host extension function funcName with param
// and returns its result (nil if it returns nothing). Foreign functions are
// host specific; Envoy has for example "compress", "uncompress" and
// "clear_route_cache". It calls proxy_call_foreign_function; an unknown name
// gives types.ErrorStatusNotFound, other errors come from the function.
func CallForeignFunction(funcName string, param []byte) (ret []byte, err error) {
	var raw *byte
	var size uint32
	st := abi.ProxyCallForeignFunction(stringPtr(funcName), uint32(len(funcName)),
		bytesPtr(param), uint32(len(param)), unsafe.Pointer(&raw), &size)
	if err := statusToError(st); err != nil {
		return nil, err
	}
	return unsafe.Slice(raw, size), nil
}

// stringPtr returns a pointer to the bytes of s, or nil for "" (the ABI's
// (0, 0) for an empty value).
func stringPtr(s string) *byte {
	if s == "" {
		return nil
	}
	return unsafe.StringData(s)
}

// bytesPtr returns a pointer to the first byte of b, or nil if b is empty.
func bytesPtr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// getBuffer reads [start, start+maxSize) of a buffer through
// proxy_get_buffer_bytes. Hosts answer OK with (0, 0) for an empty or missing
// buffer; like upstream, that is reported as types.ErrorStatusNotFound.
func getBuffer(bt types.BufferType, start, maxSize int) ([]byte, error) {
	if start < 0 || maxSize < 0 || uint64(start) > math.MaxUint32 {
		return nil, errors.New("proxywasm: buffer start and size must be non-negative 32-bit values")
	}
	// The host rejects ranges whose end overflows 32 bits; clamp instead.
	maxSize = int(min(uint64(maxSize), math.MaxUint32-uint64(start)))
	var raw *byte
	var size uint32
	st := abi.ProxyGetBufferBytes(uint32(bt), uint32(start), uint32(maxSize), unsafe.Pointer(&raw), &size)
	if err := statusToError(st); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, types.ErrorStatusNotFound
	}
	return unsafe.Slice(raw, size), nil
}

// setBuffer calls proxy_set_buffer_bytes. Envoy supports (0, n) to replace
// the first n bytes (all of them if n is at least the length) and
// (length or more, 0) to append.
func setBuffer(bt types.BufferType, start, size uint32, data []byte) error {
	return statusToError(abi.ProxySetBufferBytes(uint32(bt), start, size, bytesPtr(data), uint32(len(data))))
}

func appendToBuffer(bt types.BufferType, data []byte) error {
	return setBuffer(bt, math.MaxInt32, 0, data)
}

func prependToBuffer(bt types.BufferType, data []byte) error {
	return setBuffer(bt, 0, 0, data)
}

func replaceBuffer(bt types.BufferType, data []byte) error {
	return setBuffer(bt, 0, math.MaxInt32, data)
}

// getMap reads a whole header map through proxy_get_header_map_pairs. Hosts
// answer OK with (0, 0) for an empty or unavailable map; like upstream, that
// is reported as types.ErrorStatusNotFound.
func getMap(mt types.MapType) ([][2]string, error) {
	var raw *byte
	var size uint32
	if err := statusToError(abi.ProxyGetHeaderMapPairs(uint32(mt), unsafe.Pointer(&raw), &size)); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, types.ErrorStatusNotFound
	}
	return deserializeMap(unsafe.Slice(raw, size))
}

// setMap replaces a whole header map through proxy_set_header_map_pairs.
func setMap(mt types.MapType, pairs [][2]string) error {
	b := serializeMap(pairs)
	return statusToError(abi.ProxySetHeaderMapPairs(uint32(mt), &b[0], uint32(len(b))))
}

// getMapValue reads the first value of key through proxy_get_header_map_value.
func getMapValue(mt types.MapType, key string) (string, error) {
	var raw *byte
	var size uint32
	st := abi.ProxyGetHeaderMapValue(uint32(mt), stringPtr(key), uint32(len(key)), unsafe.Pointer(&raw), &size)
	if err := statusToError(st); err != nil {
		return "", err
	}
	return unsafe.String(raw, size), nil
}

func addMapValue(mt types.MapType, key, value string) error {
	return statusToError(abi.ProxyAddHeaderMapValue(uint32(mt),
		stringPtr(key), uint32(len(key)), stringPtr(value), uint32(len(value))))
}

func replaceMapValue(mt types.MapType, key, value string) error {
	return statusToError(abi.ProxyReplaceHeaderMapValue(uint32(mt),
		stringPtr(key), uint32(len(key)), stringPtr(value), uint32(len(value))))
}

func removeMapValue(mt types.MapType, key string) error {
	return statusToError(abi.ProxyRemoveHeaderMapValue(uint32(mt), stringPtr(key), uint32(len(key))))
}
