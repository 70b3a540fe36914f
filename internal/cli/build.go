package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/internal/build"
	"github.com/wasmesh/wasmesh/internal/profiles"
	"github.com/wasmesh/wasmesh/oci"
)

func init() { commands = append(commands, newBuildCmd) }

type buildFlags struct {
	tag, format, output, store string
	rootIDs                    []string
}

func newBuildCmd() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Compile a filter project, check it loads, and store it as an image",
		Long: `Detects the project's language in DIR (default "."), compiles it with the
native toolchain, runs the pre-flight check (the module compiled by the
real wasmesh host: every missing import, mismatched type, bad callback
export, missing allocator or memory is listed, and the build fails), then
stores the image in the local store under -t REF and prints its digest.

Languages: go.mod+main.go (go build, GOOS=wasip1); package.json with
assemblyscript (npm ci when node_modules is missing, then npx asc); Cargo.toml
or *.rs (Debian's rustc, wasm32-unknown-unknown); *.c with a Makefile (clang
--target=wasm32-wasi, reactor); CMakeLists.txt/BUILD naming
proxy_wasm_intrinsics (bazel); a TinyGo marker (tinygo).

Root ids recorded in the image: --root-id, else for AssemblyScript the id
given to registerRootContext in assembly/, else none.`,
		Example: `  wasmesh build -t myfilter:dev
  wasmesh build ./myfilter -t registry.example.com/me/myfilter:v1 --format compat
  wasmesh build -o filter.wasm                      # compile and check only
  wasmesh build -t myfilter:dev --root-id my_root -o filter.wasm
  wasmesh build precompiled filter.wasm -t myfilter:v1`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runBuild(cmd, dir, f)
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVarP(&f.tag, "tag", "t", "", "image reference to store the module under, e.g. myfilter:v1")
	pf.StringVar(&f.format, "format", "oci", "image format: oci (Solo/wasme artifact) or compat (OCI image, single layer)")
	pf.StringVarP(&f.output, "output", "o", "", "also write the module to this file")
	pf.StringVar(&f.store, "store", build.DefaultStoreDir(), "local image store directory")
	pf.StringArrayVar(&f.rootIDs, "root-id", nil, "root id to record in the image (repeatable)")
	cmd.AddCommand(&cobra.Command{
		Use:   "precompiled FILE.wasm",
		Short: "Check an existing module and store it as an image",
		Long: `Runs the pre-flight check on a module built elsewhere, then stores it
like build does. The language recorded is wasmesh inspect's guess.`,
		Example: `  wasmesh build precompiled filter.wasm -t myfilter:v1
  wasmesh build precompiled bazel-bin/filter.wasm -t myfilter:v1 --root-id my_root --format compat`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPrecompiled(cmd, args[0], f) },
	})
	return cmd
}

func checkBuildFlags(f buildFlags) error {
	if f.tag == "" && f.output == "" {
		return &exitError{1, fmt.Errorf("build: -t REF (store an image) or -o FILE (write the module) is required")}
	}
	if f.format != "oci" && f.format != "compat" {
		return &exitError{1, fmt.Errorf("build: --format %q: must be oci or compat", f.format)}
	}
	return nil
}

func runBuild(cmd *cobra.Command, dir string, f buildFlags) error {
	if err := checkBuildFlags(f); err != nil {
		return err
	}
	lang, err := build.Detect(dir)
	if err != nil {
		return &exitError{1, err}
	}
	errw := cmd.ErrOrStderr()
	fmt.Fprintf(errw, "building %s (%s)\n", dir, lang)
	ctx := context.Background()
	wasm, err := build.Compile(ctx, dir, lang, func(line string) { fmt.Fprintf(errw, "  $ %s\n", line) })
	if err != nil {
		return &exitError{1, err}
	}
	rootIDs := f.rootIDs
	if len(rootIDs) == 0 {
		rootIDs = build.RootIDs(dir, lang)
	}
	return finishBuild(cmd, wasm, f, build.ImageMeta{RootIDs: rootIDs, Language: string(lang), Revision: build.Revision(ctx, dir)})
}

func runPrecompiled(cmd *cobra.Command, file string, f buildFlags) error {
	if err := checkBuildFlags(f); err != nil {
		return err
	}
	wasm, err := os.ReadFile(file)
	if err != nil {
		return &exitError{1, fmt.Errorf("build: %w", err)}
	}
	meta := build.ImageMeta{RootIDs: f.rootIDs}
	if m, err := profiles.Parse(wasm); err == nil {
		meta.Language, _ = build.GuessLanguage(m)
	}
	return finishBuild(cmd, wasm, f, meta)
}

// finishBuild runs the pre-flight check, then writes and stores the module.
func finishBuild(cmd *cobra.Command, wasm []byte, f buildFlags, meta build.ImageMeta) error {
	out := cmd.OutOrStdout()
	abi, problems, err := build.Preflight(context.Background(), wasm)
	if err != nil {
		return &exitError{1, err}
	}
	if len(problems) > 0 {
		fmt.Fprintf(out, "pre-flight: the module does not load in the wasmesh host (%d problems):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(out, "  %s\n", p)
		}
		return &exitError{1, fmt.Errorf("build: pre-flight check failed")}
	}
	report, err := build.Inspect("", wasm)
	if err != nil {
		return &exitError{1, fmt.Errorf("build: %w", err)}
	}
	fmt.Fprintf(out, "pre-flight: ok (ABI %s, %d bytes, runs on %s)\n", abi, len(wasm), profiles.Summarize(report.RunsOn))
	if f.output != "" {
		if err := os.WriteFile(f.output, wasm, 0o644); err != nil {
			return &exitError{1, fmt.Errorf("build: %w", err)}
		}
		fmt.Fprintf(out, "wrote %s (%s)\n", f.output, report.Digest)
	}
	if f.tag == "" {
		return nil
	}
	meta.ABIVersions = []string{abi}
	store, err := build.OpenStore(f.store)
	if err != nil {
		return &exitError{1, err}
	}
	digest, err := store.Put(f.tag, wasm, meta, f.format)
	if err != nil {
		return &exitError{1, fmt.Errorf("build: store %s: %w", f.tag, err)}
	}
	fmt.Fprintf(out, "stored %s (%s)\ndigest: %s\n", f.tag, f.format, digest)
	return nil
}

// The image store is package oci's; internal/build reaches it through
// build.ImageStore so that it does not depend on the registry code.
func init() {
	build.OpenStoreFunc = func(dir string) (build.ImageStore, error) {
		s, err := oci.OpenStore(dir)
		if err != nil {
			return nil, err
		}
		return ociStore{s}, nil
	}
	build.DefaultStoreDirFunc = oci.DefaultStoreDir
}

// ociStore adapts *oci.Store to build.ImageStore.
type ociStore struct{ s *oci.Store }

func (o ociStore) Put(ref string, wasm []byte, m build.ImageMeta, format string) (string, error) {
	f, err := oci.ParseFormat(format)
	if err != nil {
		return "", err
	}
	img, err := oci.NewImage(wasm, oci.ImageMeta{ABIVersions: m.ABIVersions, RootIDs: m.RootIDs, Language: m.Language, Revision: m.Revision}, f)
	if err != nil {
		return "", err
	}
	h, err := o.s.Put(ref, img)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func (o ociStore) Get(ref string) ([]byte, *build.RuntimeConfig, error) {
	img, err := o.s.Get(ref)
	if err != nil {
		return nil, nil, err
	}
	wasm, rc, err := oci.ExtractWasm(img)
	if err != nil {
		return nil, nil, err
	}
	cfg := &build.RuntimeConfig{}
	if rc != nil {
		cfg.Type, cfg.ABIVersions, cfg.RootIDs = rc.Type, rc.ABIVersions, rc.RootIDs
	}
	return wasm, cfg, nil
}
