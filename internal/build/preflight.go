package build

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmesh/wasmesh/host"
)

// Preflight compiles a module in the real wasmesh host, as the data plane
// will, and returns its ABI version and every problem the host reports
// (missing or mismatched imports, callback exports of the wrong type, no
// allocator, no exported memory, no ABI marker). No problems means the
// module loads. The error is for failures of the check itself.
func Preflight(ctx context.Context, wasm []byte) (abi string, problems []string, err error) {
	rt, err := host.NewRuntime(ctx, host.Config{})
	if err != nil {
		return "", nil, fmt.Errorf("build: pre-flight: %w", err)
	}
	defer rt.Close(ctx)
	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		var le *host.LoadError
		if errors.As(err, &le) {
			return le.ABI.String(), le.Problems, nil
		}
		return "", []string{err.Error()}, nil
	}
	defer m.Close(ctx)
	return m.ABI().String(), nil, nil
}
