package build

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

// Compile builds the project in dir, written in lang, with its native
// toolchain and returns the module. Progress lines (the commands run) go to
// log when it is not nil.
//
//	go              GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (internal/wasmbuild)
//	assemblyscript  npm ci (npm install without a lock file) when node_modules is missing,
//	                then npx asc assembly/index.ts --use abort=abort_proc_exit --optimize
//	c               clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--export=malloc *.c ($CC overrides clang)
//	rust            rustc --target wasm32-unknown-unknown --crate-type cdylib -C panic=abort
//	                ($RUSTC, else /usr/bin/rustc, else rustc on PATH)
//	tinygo          tinygo build -target=wasi -scheduler=none
//	cpp             bazel build //:filter.wasm (needs the Proxy-Wasm C++ SDK workspace)
func Compile(ctx context.Context, dir string, lang Language, log func(string)) ([]byte, error) {
	if log == nil {
		log = func(string) {}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	tmp, err := os.MkdirTemp("", "wasmesh-build")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "filter.wasm")
	switch lang {
	case Go:
		log("go build (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)")
		if err := wasmbuild.Go(ctx, abs, out); err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
	case AssemblyScript:
		err = compileAS(ctx, abs, out, log)
	case C:
		err = compileC(ctx, abs, out, log)
	case Rust:
		err = compileRust(ctx, abs, out, log)
	case TinyGo:
		if err = need("tinygo", "TinyGo is not installed (see https://tinygo.org); or build the module yourself and run wasmesh build precompiled"); err == nil {
			err = run(ctx, abs, log, nil, "tinygo", "build", "-o", out, "-target=wasi", "-scheduler=none", ".")
		}
	case Cpp:
		err = compileCpp(ctx, abs, out, log)
	default:
		return nil, fmt.Errorf("build: unknown language %q", lang)
	}
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("build: the %s toolchain wrote no module: %w", lang, err)
	}
	return wasm, nil
}

func compileAS(ctx context.Context, dir, out string, log func(string)) error {
	if err := need("npx", "install node and npm (Debian: apt-get install nodejs npm)"); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		args := []string{"install", "--no-audit", "--no-fund"}
		if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
			args[0] = "ci"
		}
		if err := run(ctx, dir, log, nil, "npm", args...); err != nil {
			return err
		}
	}
	entry := filepath.Join("assembly", "index.ts")
	if _, err := os.Stat(filepath.Join(dir, entry)); err != nil {
		return fmt.Errorf("build: assemblyscript: no %s in %s", entry, dir)
	}
	return run(ctx, dir, log, nil, "npx", "--no-install", "asc", entry, "-b", out, "--use", "abort=abort_proc_exit", "--optimize")
}

func compileC(ctx context.Context, dir, out string, log func(string)) error {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "clang"
	}
	if err := need(cc, "install clang with the wasm32 WASI sysroot (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"); err != nil {
		return err
	}
	srcs, _ := filepath.Glob(filepath.Join(dir, "*.c"))
	sort.Strings(srcs)
	args := []string{"--target=wasm32-wasi", "-O2", "-mexec-model=reactor", "-Wl,--export=malloc", "-Wl,--strip-all", "-o", out}
	for _, s := range srcs {
		args = append(args, filepath.Base(s))
	}
	return run(ctx, dir, log, nil, cc, args...)
}

// rustc is the compiler for crate-free filters: Debian's rustc has the
// wasm32-unknown-unknown standard library (libstd-rust-dev-wasm32), which
// rustup toolchains here do not.
func rustc() string {
	if p := os.Getenv("RUSTC"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/rustc"); err == nil {
		return "/usr/bin/rustc"
	}
	return "rustc"
}

func compileRust(ctx context.Context, dir, out string, log func(string)) error {
	rc := rustc()
	if err := need(rc, "install Debian's rustc with the wasm32 standard library (apt-get install rustc libstd-rust-dev-wasm32)"); err != nil {
		return err
	}
	var src string
	for _, c := range []string{"src/lib.rs", "lib.rs"} {
		if _, err := os.Stat(filepath.Join(dir, c)); err == nil {
			src = c
			break
		}
	}
	if src == "" {
		rs, _ := filepath.Glob(filepath.Join(dir, "*.rs"))
		if len(rs) != 1 {
			return fmt.Errorf("build: rust: want src/lib.rs, lib.rs or a single *.rs file in %s", dir)
		}
		src = filepath.Base(rs[0])
	}
	return run(ctx, dir, log, nil, rc, "--target", "wasm32-unknown-unknown", "--crate-type", "cdylib",
		"-C", "panic=abort", "-C", "opt-level=2", "-C", "strip=debuginfo", "-o", out, src)
}

func compileCpp(ctx context.Context, dir, out string, log func(string)) error {
	if err := need("bazel", "C++ filters build with bazel and the Proxy-Wasm C++ SDK (see the project's README); "+
		"or build the module yourself and run wasmesh build precompiled"); err != nil {
		return err
	}
	if err := run(ctx, dir, log, nil, "bazel", "build", "//:filter.wasm"); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "bazel-bin", "filter.wasm"))
	if err != nil {
		return fmt.Errorf("build: cpp: %w", err)
	}
	return os.WriteFile(out, b, 0o644)
}

// need fails with a message naming the missing tool and how to get it.
func need(tool, hint string) error {
	if _, err := exec.LookPath(tool); err != nil {
		return fmt.Errorf("build: %s not found: %s", tool, hint)
	}
	return nil
}

// run runs a toolchain command in dir; its output is part of the error when
// it fails.
func run(ctx context.Context, dir string, log func(string), env []string, name string, args ...string) error {
	log(name + " " + strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build: %s failed: %w\n%s", filepath.Base(name), err, strings.TrimSpace(output.String()))
	}
	return nil
}

// Revision returns the git commit of the repository dir is in ("" when it
// is not in one, or git is not installed). Only a directory inside a
// working tree (a .git above it) runs git.
func Revision(ctx context.Context, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			break
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
	out, err := exec.CommandContext(ctx, "git", "-C", abs, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
