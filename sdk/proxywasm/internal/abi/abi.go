// Package abi declares the raw Proxy-Wasm ABI 0.2.1 host functions used by
// package proxywasm.
//
// In GOOS=wasip1 builds the functions are //go:wasmimport declarations of the
// "env" module. In every other build they forward to a Host set with SetHost,
// so that the SDK's logic can be unit-tested natively; without a Host they
// panic with a message saying the call needs a Proxy-Wasm host.
package abi

// Status is a Proxy-Wasm status code (proxy_status_t).
type Status uint32

// Status codes of the ABI.
const (
	StatusOK                   Status = 0
	StatusNotFound             Status = 1
	StatusBadArgument          Status = 2
	StatusSerializationFailure Status = 3
	StatusParseFailure         Status = 4
	StatusBadExpression        Status = 5
	StatusInvalidMemoryAccess  Status = 6
	StatusEmpty                Status = 7
	StatusCasMismatch          Status = 8
	StatusResultMismatch       Status = 9
	StatusInternalFailure      Status = 10
	StatusBrokenConnection     Status = 11
	StatusUnimplemented        Status = 12
)
