package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/internal/build"
)

// repoRoot is this checkout, which generated Go projects build against.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// inspectJSON runs wasmesh inspect -o json.
func inspectJSON(t *testing.T, args ...string) build.Report {
	t.Helper()
	out, stderr, code := devRun(t, nil, append([]string{"inspect", "-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("inspect %v: exit %d: %s", args, code, stderr)
	}
	var r build.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("inspect -o json: %v\n%s", err, out)
	}
	return r
}

// The whole loop for Go, which is always available: init, the generated
// test, build into a store, inspect the file and the image, validate.
func TestDevLoopGo(t *testing.T) {
	tmp := t.TempDir()
	dir, store := filepath.Join(tmp, "myfilter"), filepath.Join(tmp, "store")
	out, stderr, code := devRun(t, nil, "init", dir, "--language", "go", "--root-id", "my_root", "--wasmesh-src", repoRoot(t))
	if code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	for _, f := range []string{"main.go", "main_test.go", "go.mod", "go.sum", "README.md", ".gitignore"} {
		if !strings.Contains(out, "  "+f+"\n") {
			t.Errorf("init did not report %s:\n%s", f, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !strings.Contains(string(b), "replace github.com/wasmesh/wasmesh => "+repoRoot(t)) {
		t.Errorf("go.mod has no replace of the checkout:\n%s", b)
	}

	// The generated test passes: the filter runs in the real host.
	gotest := exec.Command(devGoTool(), "test", "-count=1", "./...")
	gotest.Dir = dir
	if b, err := gotest.CombinedOutput(); err != nil {
		t.Fatalf("go test in the generated project: %v\n%s", err, b)
	}

	wasmFile := filepath.Join(tmp, "out.wasm")
	out, stderr, code = devRun(t, nil, "build", dir, "-t", "myfilter:dev", "--root-id", "my_root", "-o", wasmFile, "--store", store)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"pre-flight: ok (ABI 0.2.1", "runs on wasmesh, envoy-1.33..envoy-1.40, istio-1.25..istio-1.31", "wrote " + wasmFile, "stored myfilter:dev (oci)\ndigest: sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "building "+dir+" (go)") {
		t.Errorf("build stderr: %s", stderr)
	}

	r := inspectJSON(t, wasmFile)
	if r.Language != "go" || r.ABI != "0.2.1" || r.EntryPoint != "_initialize" || r.Allocator != "proxy_on_memory_allocate" || r.RootIDs != nil {
		t.Errorf("inspect file: %+v", r)
	}
	img := inspectJSON(t, "myfilter:dev", "--store", store)
	if !slices.Equal(img.RootIDs, []string{"my_root"}) || img.Digest != r.Digest {
		t.Errorf("inspect image: root ids %v digest %s, want [my_root] %s", img.RootIDs, img.Digest, r.Digest)
	}
	out, _, code = devRun(t, nil, "inspect", "myfilter:dev", "--store", store)
	if code != 0 || !strings.Contains(out, "root ids:    my_root\n") {
		t.Errorf("inspect image text:\n%s", out)
	}

	out, _, code = devRun(t, nil, "validate", "myfilter:dev", "--store", store, "--target", "istio-1.24")
	if code != 1 || !strings.Contains(out, "missing import wasi_snapshot_preview1.sched_yield ()->(i32): not provided by istio-1.24\n") {
		t.Errorf("validate on Istio 1.24 (Envoy 1.32): exit %d\n%s", code, out)
	}
	if out, stderr, code = devRun(t, nil, "validate", wasmFile, "--target", "envoy-1.33"); code != 0 {
		t.Errorf("validate on Envoy 1.33: exit %d\n%s%s", code, out, stderr)
	}

	// Compat format, and no overwrite on a second init.
	if out, stderr, code = devRun(t, nil, "build", dir, "-t", "myfilter:compat", "--format", "compat", "--store", store); code != 0 || !strings.Contains(out, "(compat)") {
		t.Errorf("build --format compat: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code = devRun(t, nil, "init", dir, "--language", "go", "--root-id", "x"); code != 1 || !strings.Contains(stderr, "file exists") {
		t.Errorf("init over an existing project: exit %d %s", code, stderr)
	}
}

func devGoTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); devFileExists(p) {
			return p
		}
	}
	return "go"
}

func devFileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestBuildPrecompiled(t *testing.T) {
	tmp := t.TempDir()
	store := filepath.Join(tmp, "store")
	out, stderr, code := devRun(t, nil, "build", "precompiled", fixAS, "-t", "as:v1", "--root-id", "add_header", "--store", store)
	if code != 0 || !strings.Contains(out, "pre-flight: ok (ABI 0.2.0, 17109 bytes") {
		t.Fatalf("precompiled: exit %d\n%s%s", code, out, stderr)
	}
	r := inspectJSON(t, "as:v1", "--store", store)
	if r.Language != "assemblyscript" || !slices.Equal(r.RootIDs, []string{"add_header"}) {
		t.Errorf("inspect: %+v", r)
	}

	// The pre-flight check lists every problem and fails the build.
	out, stderr, code = devRun(t, nil, "build", "precompiled", fixMismatch, "-o", filepath.Join(tmp, "x.wasm"))
	if code != 1 || !strings.Contains(stderr, "build: pre-flight check failed") {
		t.Fatalf("mismatch: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"(4 problems)", "import type mismatch env.proxy_log", "env.proxy_get_log_level", "env.proxy_get_configuration", "env.proxy_no_such_function"} {
		if !strings.Contains(out, want) {
			t.Errorf("pre-flight output lacks %q:\n%s", want, out)
		}
	}
	if devFileExists(filepath.Join(tmp, "x.wasm")) {
		t.Error("a module failing the pre-flight check was written")
	}
}

func TestBuildFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", t.TempDir()}, "build: -t REF (store an image) or -o FILE (write the module) is required"},
		{[]string{"build", "-t", "x:y", "--format", "docker"}, `build: --format "docker": must be oci or compat`},
		{[]string{"build", t.TempDir(), "-o", "x.wasm"}, "build: cannot tell the language of"},
		{[]string{"build", "precompiled", "nope.wasm", "-o", "x.wasm"}, "build: open nope.wasm"},
	} {
		_, stderr, code := devRun(t, nil, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}
