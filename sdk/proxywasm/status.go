package proxywasm

import (
	"strconv"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// statusErrors maps every Proxy-Wasm status code except OK to its error.
var statusErrors = [...]error{
	abi.StatusNotFound:             types.ErrorStatusNotFound,
	abi.StatusBadArgument:          types.ErrorStatusBadArgument,
	abi.StatusSerializationFailure: types.ErrorStatusSerializationFailure,
	abi.StatusParseFailure:         types.ErrorStatusParseFailure,
	abi.StatusBadExpression:        types.ErrorStatusBadExpression,
	abi.StatusInvalidMemoryAccess:  types.ErrorStatusInvalidMemoryAccess,
	abi.StatusEmpty:                types.ErrorStatusEmpty,
	abi.StatusCasMismatch:          types.ErrorStatusCasMismatch,
	abi.StatusResultMismatch:       types.ErrorStatusResultMismatch,
	abi.StatusInternalFailure:      types.ErrorInternalFailure,
	abi.StatusBrokenConnection:     types.ErrorStatusBrokenConnection,
	abi.StatusUnimplemented:        types.ErrorUnimplemented,
}

// statusError is the error for an unknown status code.
type statusError uint32

// Error implements error.
func (s statusError) Error() string {
	return "error status returned by host: unknown status code " + strconv.FormatUint(uint64(s), 10)
}

// statusToError converts a host status to nil (OK), one of the types.Error*
// values, or an error naming an unknown code.
func statusToError(st abi.Status) error {
	if st == abi.StatusOK {
		return nil
	}
	if int(st) < len(statusErrors) {
		return statusErrors[st]
	}
	return statusError(st)
}
