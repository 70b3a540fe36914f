package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/internal/profiles"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  Language
	}{
		{"go", map[string]string{"go.mod": "module x", "main.go": "package main"}, Go},
		{"go.mod without main.go", map[string]string{"go.mod": "module x", "lib.go": "package x"}, ""},
		{"tinygo SDK", map[string]string{"go.mod": "module x\nrequire github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0", "main.go": ""}, TinyGo},
		{"tinygo Makefile", map[string]string{"go.mod": "module x", "main.go": "", "Makefile": "all:\n\ttinygo build -o f.wasm ."}, TinyGo},
		{"tinygo marker file", map[string]string{"go.mod": "module x", "main.go": "", ".tinygo": ""}, TinyGo},
		{"assemblyscript", map[string]string{"package.json": `{"devDependencies":{"assemblyscript":"0.14.13"}}`}, AssemblyScript},
		{"package.json without AS", map[string]string{"package.json": `{"dependencies":{"left-pad":"1"}}`}, ""},
		{"cargo", map[string]string{"Cargo.toml": "[package]"}, Rust},
		{"lone rs", map[string]string{"filter.rs": ""}, Rust},
		{"src rs", map[string]string{"src/lib.rs": ""}, Rust},
		{"cmake", map[string]string{"CMakeLists.txt": "target_link_libraries(f proxy_wasm_intrinsics)", "f.cc": ""}, Cpp},
		{"bazel", map[string]string{"BUILD": `deps = ["@proxy_wasm_cpp_sdk//:proxy_wasm_intrinsics"]`}, Cpp},
		{"c", map[string]string{"filter.c": "", "Makefile": "all:"}, C},
		{"c without Makefile", map[string]string{"filter.c": ""}, ""},
		{"empty", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Detect(dir)
			if tt.want == "" {
				if err == nil || !strings.HasPrefix(err.Error(), "build: cannot tell the language of") {
					t.Errorf("Detect = %q, %v; want an error", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Detect(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.HasPrefix(err.Error(), "build: ") {
		t.Errorf("missing dir: %v", err)
	}
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]Language{"go": Go, "AS": AssemblyScript, "c++": Cpp, " rust ": Rust, "golang": Go, "tinygo": TinyGo} {
		if got, err := ParseLanguage(in); err != nil || got != want {
			t.Errorf("ParseLanguage(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLanguage("zig"); err == nil || !strings.Contains(err.Error(), "go, assemblyscript, c, rust, cpp, tinygo") {
		t.Errorf("zig: %v", err)
	}
}

func TestRootIDs(t *testing.T) {
	dir := t.TempDir()
	src := `registerRootContext((context_id: u32): RootContext => {
  return new AddHeaderRoot(context_id, "not_this");
}, "add_header");
registerRootContext((id: u32): RootContext => new Other(id), 'second');
registerRootContext((id: u32): RootContext => new Again(id), "add_header");`
	if err := os.MkdirAll(filepath.Join(dir, "assembly"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assembly", "index.ts"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := RootIDs(dir, AssemblyScript); !slices.Equal(got, []string{"add_header", "second"}) {
		t.Errorf("RootIDs = %q", got)
	}
	if got := RootIDs(dir, Go); got != nil {
		t.Errorf("RootIDs(go) = %q, want nil", got)
	}
	if got := RootIDs("../../examples/assemblyscript/addheader", AssemblyScript); !slices.Equal(got, []string{"add_header"}) {
		t.Errorf("example RootIDs = %q", got)
	}
}

func TestGuessLanguageAndPreflight(t *testing.T) {
	for file, want := range map[string]string{
		"../../host/testdata/recorder/filter.wasm":            "c",
		"../../examples/assemblyscript/addheader/filter.wasm": "assemblyscript",
		"../../host/testdata/as_v010/filter.wasm":             "assemblyscript",
		"../../examples/c/addheader/filter.wasm":              "c",
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := profiles.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := GuessLanguage(m); got != want {
			t.Errorf("%s: language %s, want %s", file, got, want)
		}
		abi, problems, err := Preflight(context.Background(), b)
		if err != nil || len(problems) != 0 || abi == "" {
			t.Errorf("%s: pre-flight %s %v %v", file, abi, problems, err)
		}
	}
	for name, m := range map[string]*profiles.Module{
		"go":     {CustomSections: []string{"go:buildid", "name"}},
		"tinygo": {FunctionNames: []string{"runtime.alloc"}},
		"cpp":    {Imports: []profiles.Import{{Module: "env", Name: "emscripten_notify_memory_growth"}}},
		"rust":   {FunctionNames: []string{"__rust_alloc"}},
	} {
		if got, evidence := GuessLanguage(m); got != name || evidence == "" {
			t.Errorf("GuessLanguage = %s (%s), want %s", got, evidence, name)
		}
	}
	_, problems, err := Preflight(context.Background(), []byte("\x00asm\x01\x00\x00\x00"))
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], "ABI version") {
		t.Errorf("no marker: %v %v", problems, err)
	}
}

func TestStoreHooks(t *testing.T) {
	defer func(o func(string) (ImageStore, error), d func() string) { OpenStoreFunc, DefaultStoreDirFunc = o, d }(OpenStoreFunc, DefaultStoreDirFunc)
	OpenStoreFunc, DefaultStoreDirFunc = nil, nil
	if _, err := OpenStore(t.TempDir()); err != ErrNoStore {
		t.Errorf("OpenStore without a store: %v", err)
	}
	t.Setenv("WASMESH_HOME", "/x")
	if got := DefaultStoreDir(); got != "/x/store" {
		t.Errorf("DefaultStoreDir = %s", got)
	}
	DefaultStoreDirFunc = func() string { return "/y" }
	if got := DefaultStoreDir(); got != "/y" {
		t.Errorf("DefaultStoreDir = %s", got)
	}
}
