package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// initAndBuild scaffolds lang in a temp dir, builds it into a store and
// returns the project dir, the module file and the store.
func initAndBuild(t *testing.T, lang, rootID string, prepare func(dir string)) (dir, wasm, store string) {
	t.Helper()
	tmp := t.TempDir()
	dir, wasm, store = filepath.Join(tmp, "f-"+lang), filepath.Join(tmp, "filter.wasm"), filepath.Join(tmp, "store")
	if _, stderr, code := devRun(t, nil, "init", dir, "-l", lang, "--root-id", rootID, "--wasmesh-src", repoRoot(t)); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	if prepare != nil {
		prepare(dir)
	}
	out, stderr, code := devRun(t, nil, "build", dir, "-t", "f-"+lang+":dev", "-o", wasm, "--store", store)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, stderr)
	}
	return dir, wasm, store
}

// runIn runs a command in dir and fails the test on error.
func runIn(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v in %s: %v\n%s", name, args, dir, err, b)
	}
}

func TestDevLoopC(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32): C template not built")
	}
	if !devFileExists("/usr/lib/wasm32-wasi/crt1-reactor.o") && !devFileExists("/usr/share/wasi-sysroot/lib/wasm32-wasi/crt1-reactor.o") {
		t.Skip("wasi-libc not installed (apt-get install wasi-libc libclang-rt-14-dev-wasm32): C template not built")
	}
	dir, wasm, _ := initAndBuild(t, "c", "c_root", nil)
	r := inspectJSON(t, wasm)
	if r.Language != "c" || r.ABI != "0.2.1" || r.EntryPoint != "_initialize" || r.Allocator != "malloc" ||
		r.RunsOn[0] != "wasmesh" || !slices.Contains(r.RunsOn, "envoy-1.20") {
		t.Errorf("inspect: %+v", r)
	}
	// The project's own test (test/, go test on the real host).
	if err := os.Rename(wasm, filepath.Join(dir, "filter.wasm")); err != nil {
		t.Fatal(err)
	}
	runIn(t, filepath.Join(dir, "test"), devGoTool(), "test", "-count=1", "./...")
}

func TestDevLoopRust(t *testing.T) {
	if !devFileExists("/usr/bin/rustc") {
		t.Skip("/usr/bin/rustc not installed (apt-get install rustc libstd-rust-dev-wasm32): Rust template not built")
	}
	dir, wasm, _ := initAndBuild(t, "rust", "rust_root", nil)
	r := inspectJSON(t, wasm)
	if r.Language != "rust" || r.ABI != "0.2.1" || r.Allocator != "proxy_on_memory_allocate" || !slices.Contains(r.RunsOn, "envoy-1.20") {
		t.Errorf("inspect: %+v", r)
	}
	if err := os.Rename(wasm, filepath.Join(dir, "filter.wasm")); err != nil {
		t.Fatal(err)
	}
	runIn(t, filepath.Join(dir, "test"), devGoTool(), "test", "-count=1", "./...")
}

func TestDevLoopAssemblyScript(t *testing.T) {
	for _, tool := range []string{"npx", "npm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install nodejs npm): AssemblyScript template not built", tool)
		}
	}
	// The example pins the same packages: reuse its node_modules when it has
	// them, else install from the lock file (npm registry).
	example := filepath.Join(repoRoot(t), "examples", "assemblyscript", "addheader", "node_modules")
	prepare := func(dir string) {
		if devFileExists(filepath.Join(example, "assemblyscript")) {
			if err := os.Symlink(example, filepath.Join(dir, "node_modules")); err != nil {
				t.Fatal(err)
			}
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("npm ci could not install assemblyscript 0.14.13 and @solo-io/proxy-runtime 0.1.8: %v\n%s", err, b)
		}
	}
	dir, wasm, store := initAndBuild(t, "assemblyscript", "as_root", prepare)
	r := inspectJSON(t, wasm)
	if r.Language != "assemblyscript" || r.ABI != "0.2.0" || r.EntryPoint != "start section" || r.Allocator != "malloc" {
		t.Errorf("inspect: %+v", r)
	}
	// The root id comes from registerRootContext(..., "as_root").
	if img := inspectJSON(t, "f-assemblyscript:dev", "--store", store); !slices.Equal(img.RootIDs, []string{"as_root"}) {
		t.Errorf("image root ids %v, want [as_root]", img.RootIDs)
	}
	runIn(t, dir, "npm", "test")
}

func TestInitCppAndTinyGo(t *testing.T) {
	for lang, want := range map[string][]string{
		"cpp":    {"plugin.cc", "BUILD", "README.md", ".gitignore"},
		"tinygo": {"main.go", "go.mod", "Makefile", "README.md", ".gitignore"},
	} {
		dir := filepath.Join(t.TempDir(), "p")
		out, stderr, code := devRun(t, nil, "init", dir, "--language", lang, "--root-id", "r1")
		if code != 0 {
			t.Fatalf("init %s: %s", lang, stderr)
		}
		for _, f := range want {
			if !strings.Contains(out, "  "+f+"\n") {
				t.Errorf("init %s did not write %s:\n%s", lang, f, out)
			}
		}
		readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
		if !strings.Contains(string(readme), "Not built by wasmesh's own tests") {
			t.Errorf("%s README does not say the toolchain is unavailable", lang)
		}
		// Without the toolchain, build names what is missing.
		tool := map[string]string{"cpp": "bazel", "tinygo": "tinygo"}[lang]
		if _, err := exec.LookPath(tool); err == nil {
			continue
		}
		_, stderr, code = devRun(t, nil, "build", dir, "-o", filepath.Join(dir, "f.wasm"))
		if code != 1 || !strings.Contains(stderr, "build: "+tool+" not found") || !strings.Contains(stderr, "("+lang+")") && !strings.Contains(stderr, tool) {
			t.Errorf("build %s without %s: exit %d %s", lang, tool, code, stderr)
		}
	}
}

func TestInitPromptsOnATerminal(t *testing.T) {
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)

	// Not a terminal: the missing flag is named.
	isTerminal = func(io.Reader) bool { return false }
	dir := filepath.Join(t.TempDir(), "p")
	if _, stderr, code := devRun(t, nil, "init", dir, "--root-id", "r"); code != 1 || !strings.Contains(stderr, "init: --language is required") {
		t.Errorf("no --language: exit %d %s", code, stderr)
	}
	if _, stderr, code := devRun(t, nil, "init", dir, "-l", "c"); code != 1 || !strings.Contains(stderr, "init: --root-id is required") {
		t.Errorf("no --root-id: exit %d %s", code, stderr)
	}
	if _, stderr, code := devRun(t, nil, "init", dir, "-l", "cobol", "--root-id", "r"); code != 1 || !strings.Contains(stderr, `init: --language: build: unknown language "cobol"`) {
		t.Errorf("bad --language: exit %d %s", code, stderr)
	}

	// A terminal: both are asked; an empty answer takes the default.
	isTerminal = func(io.Reader) bool { return true }
	out, stderr, code := devRun(t, strings.NewReader("rust\n\n"), "init", dir)
	if code != 0 || !strings.Contains(out, "(rust, root id add_header)") || !strings.Contains(stderr, "language (go, assemblyscript") {
		t.Fatalf("prompted init: exit %d\n%s%s", code, out, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "src", "lib.rs")); !strings.Contains(string(b), "proxy_abi_version_0_2_1") {
		t.Error("the rust template was not written")
	}
}
