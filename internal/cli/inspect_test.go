package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// devRun runs the command line in process and returns stdout, stderr (with
// the error Main would print) and the exit code.
func devRun(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(stdin)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		code = 1
		if e, ok := err.(*exitError); ok {
			code = e.code
		}
		errb.WriteString("wasmesh: " + err.Error() + "\n")
	}
	return out.String(), errb.String(), code
}

// devGolden compares got with testdata/<dir>/<name>.golden;
// WASMESH_UPDATE_GOLDEN=1 rewrites the file.
func devGolden(t *testing.T, dir, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", dir, name+".golden")
	if os.Getenv("WASMESH_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (WASMESH_UPDATE_GOLDEN=1 go test ./internal/cli writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Committed fixtures, each with its sources next to it.
const (
	fixRecorder   = "../../host/testdata/recorder/filter.wasm"            // C, ABI 0.2.1, every callback
	fixAS         = "../../examples/assemblyscript/addheader/filter.wasm" // AssemblyScript, ABI 0.2.0
	fixABI010     = "../../host/testdata/abi010/filter.wasm"              // hand-written WAT, ABI 0.1.0
	fixEnvoyLacks = "testdata/validate/envoy_lacks.wasm"                  // links on wasmesh only
	fixMismatch   = "testdata/validate/mismatch.wasm"                     // links nowhere
)

func TestInspectGolden(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"recorder", fixRecorder},
		{"assemblyscript", fixAS},
		{"abi010", fixABI010},
		{"envoy_lacks", fixEnvoyLacks},
		{"mismatch", fixMismatch},
	} {
		for _, format := range []string{"text", "json"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				out, stderr, code := devRun(t, nil, "inspect", tc.file, "-o", format)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				devGolden(t, "inspect", tc.name+"."+format, out)
			})
		}
	}
}

func TestInspectErrors(t *testing.T) {
	_, stderr, code := devRun(t, nil, "inspect", fixRecorder, "-o", "yaml")
	if code != 1 || !strings.Contains(stderr, `inspect: -o "yaml": must be text or json`) {
		t.Errorf("bad -o: exit %d, %s", code, stderr)
	}
	_, stderr, code = devRun(t, nil, "inspect", "no-such-image:v1", "--store", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "inspect: no-such-image:v1: no such file or image") {
		t.Errorf("missing ref: exit %d, %s", code, stderr)
	}
	_, stderr, code = devRun(t, nil, "inspect", "../../examples/assemblyscript/addheader/package.json")
	if code != 1 || !strings.Contains(stderr, "not a WebAssembly binary") {
		t.Errorf("not wasm: exit %d, %s", code, stderr)
	}
}

func TestHelpHasExamples(t *testing.T) {
	root := newRoot()
	for _, path := range [][]string{{"init"}, {"build"}, {"build", "precompiled"}, {"inspect"}, {"validate"}} {
		cmd, _, err := root.Find(path)
		if err != nil || cmd.Name() != path[len(path)-1] {
			t.Fatalf("%v: %v", path, err)
		}
		if strings.TrimSpace(cmd.Example) == "" {
			t.Errorf("wasmesh %s has no examples", strings.Join(path, " "))
		}
		out, _, code := devRun(t, nil, append(path, "--help")...)
		if code != 0 || !strings.Contains(out, "Examples:\n  wasmesh "+strings.Join(path, " ")) {
			t.Errorf("wasmesh %s --help shows no examples:\n%s", strings.Join(path, " "), out)
		}
	}
}
