package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

// buildDir builds a filter project directory. Go projects only, until the
// build command's language detection lands.
func buildDir(ctx context.Context, dir string) ([]byte, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
			return nil, fmt.Errorf("run: %s: not a Go filter project (no go.mod or main.go)", dir)
		}
	}
	out, err := os.CreateTemp("", "wasmesh-run-*.wasm")
	if err != nil {
		return nil, err
	}
	out.Close()
	defer os.Remove(out.Name())
	if err := wasmbuild.Go(ctx, dir, out.Name()); err != nil {
		return nil, err
	}
	return os.ReadFile(out.Name())
}

// moduleFromStore reads an image from the local store.
func moduleFromStore(ref string) ([]byte, error) {
	return nil, fmt.Errorf("no image %q in the local store", ref)
}
