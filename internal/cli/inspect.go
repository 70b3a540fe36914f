package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/internal/build"
)

func init() { commands = append(commands, newInspectCmd) }

func newInspectCmd() *cobra.Command {
	var format, store string
	cmd := &cobra.Command{
		Use:   "inspect FILE|REF",
		Short: "Describe a Proxy-Wasm module: ABI, imports, callbacks, language, where it runs",
		Long: `Shows a module's ABI version (its marker export), imports grouped by
module, callback exports, root ids (from the image's runtime config; unknown
for a raw .wasm), size, sha256 digest, start-up entry point, allocator, a
guess of its source language, and the targets it links on (see wasmesh
validate). FILE is a .wasm file; anything else is looked up as an image
reference in the local store.`,
		Example: `  wasmesh inspect filter.wasm
  wasmesh inspect filter.wasm -o json
  wasmesh inspect myfilter:dev`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat("inspect", format); err != nil {
				return err
			}
			wasm, rc, err := loadModule(args[0], store)
			if err != nil {
				return &exitError{1, fmt.Errorf("inspect: %w", err)}
			}
			r, err := build.Inspect(args[0], wasm)
			if err != nil {
				return &exitError{1, fmt.Errorf("inspect: %w", err)}
			}
			if rc != nil {
				r.RootIDs = append([]string{}, rc.RootIDs...)
			}
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			return r.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&store, "store", build.DefaultStoreDir(), "local image store directory (for REF)")
	return cmd
}

func checkFormat(command, format string) error {
	if format != "text" && format != "json" {
		return &exitError{1, fmt.Errorf("%s: -o %q: must be text or json", command, format)}
	}
	return nil
}

// loadModule reads FILE, or, when no such file exists, the image REF from
// the store in storeDir (with its runtime configuration).
func loadModule(arg, storeDir string) ([]byte, *build.RuntimeConfig, error) {
	wasm, err := os.ReadFile(arg)
	if err == nil {
		return wasm, nil, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	store, serr := build.OpenStore(storeDir)
	if serr != nil {
		return nil, nil, fmt.Errorf("%s: no such file, and images cannot be read: %w", arg, serr)
	}
	wasm, rc, err := store.Get(arg)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: no such file or image: %w", arg, err)
	}
	return wasm, rc, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
