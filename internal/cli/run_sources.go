package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/wasmesh/wasmesh/internal/build"
	"github.com/wasmesh/wasmesh/oci"
)

// buildDir builds a filter project directory with its native toolchain
// (the language is detected as `wasmesh build` does).
func buildDir(ctx context.Context, dir string) ([]byte, error) {
	lang, err := build.Detect(dir)
	if err != nil {
		return nil, err
	}
	return build.Compile(ctx, dir, lang, func(line string) { fmt.Fprintln(os.Stderr, line) })
}

// moduleFromStore reads an image from the local store, with the root IDs
// its runtime config declares.
func moduleFromStore(ref string) ([]byte, []string, error) {
	store, err := oci.OpenStore(oci.DefaultStoreDir())
	if err != nil {
		return nil, nil, err
	}
	img, err := store.Get(ref)
	if err != nil {
		return nil, nil, err
	}
	wasm, rc, err := oci.ExtractWasm(img)
	if err != nil {
		return nil, nil, err
	}
	var roots []string
	if rc != nil {
		roots = rc.RootIDs
	}
	return wasm, roots, nil
}
