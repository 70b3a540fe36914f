// Package build turns a filter project into a checked Proxy-Wasm module: it
// detects the project's language, compiles it with the native toolchain
// (Go, AssemblyScript, C, Rust; TinyGo and C++ when their toolchains are
// installed), runs the pre-flight check (the module compiled by the real
// wasmesh host), and describes modules for wasmesh inspect.
package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Language is a filter's source language.
type Language string

// Languages wasmesh init scaffolds and wasmesh build compiles.
const (
	Go             Language = "go"
	AssemblyScript Language = "assemblyscript"
	C              Language = "c"
	Rust           Language = "rust"
	Cpp            Language = "cpp"
	TinyGo         Language = "tinygo"
)

// Languages lists every language, in the order help texts show them.
var Languages = []Language{Go, AssemblyScript, C, Rust, Cpp, TinyGo}

// ParseLanguage accepts a language name (and the aliases "as", "c++",
// "golang").
func ParseLanguage(s string) (Language, error) {
	switch l := Language(strings.ToLower(strings.TrimSpace(s))); l {
	case Go, AssemblyScript, C, Rust, Cpp, TinyGo:
		return l, nil
	case "as":
		return AssemblyScript, nil
	case "c++":
		return Cpp, nil
	case "golang":
		return Go, nil
	}
	return "", fmt.Errorf("build: unknown language %q (want one of %s)", s, languageList())
}

func languageList() string {
	names := make([]string, len(Languages))
	for i, l := range Languages {
		names[i] = string(l)
	}
	return strings.Join(names, ", ")
}

// Detect tells a project's language from its files:
//
//	tinygo          go.mod plus a TinyGo marker: a .tinygo file, a Makefile
//	                running "tinygo build", or the TinyGo SDK
//	                (github.com/tetratelabs/proxy-wasm-go-sdk) in go.mod
//	go              go.mod and main.go, or a main.go importing the wasmesh SDK
//	assemblyscript  package.json naming assemblyscript
//	rust            Cargo.toml, or *.rs (top level or src/)
//	cpp             CMakeLists.txt, BUILD or BUILD.bazel naming proxy_wasm_intrinsics
//	c               *.c and a Makefile
func Detect(dir string) (Language, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("build: %s is not a directory", dir)
	}
	has := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	contains := func(name, s string) bool {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return err == nil && strings.Contains(string(b), s)
	}
	glob := func(pattern string) bool { m, _ := filepath.Glob(filepath.Join(dir, pattern)); return len(m) > 0 }
	switch {
	case has("go.mod") && (has(".tinygo") || contains("Makefile", "tinygo build") ||
		contains("go.mod", "github.com/tetratelabs/proxy-wasm-go-sdk")):
		return TinyGo, nil
	case has("go.mod") && has("main.go"), contains("main.go", "/sdk/proxywasm\""):
		// A package inside a module (a go.mod further up), such as the
		// examples of this repository, builds the same way.
		return Go, nil
	case contains("package.json", `"assemblyscript"`):
		return AssemblyScript, nil
	case has("Cargo.toml") || glob("*.rs") || glob("src/*.rs"):
		return Rust, nil
	case contains("CMakeLists.txt", "proxy_wasm_intrinsics") || contains("BUILD", "proxy_wasm_intrinsics") ||
		contains("BUILD.bazel", "proxy_wasm_intrinsics"):
		return Cpp, nil
	case glob("*.c") && (has("Makefile") || has("makefile")):
		return C, nil
	}
	return "", fmt.Errorf("build: cannot tell the language of %s: expected go.mod+main.go, package.json with assemblyscript, "+
		"Cargo.toml or *.rs, CMakeLists.txt/BUILD with proxy_wasm_intrinsics, *.c with a Makefile, or a TinyGo marker", dir)
}

// asRootIDs returns the string literal passed as the last argument of each
// registerRootContext(...) call in AssemblyScript source: the call's
// parentheses are matched, skipping string literals, so commas and strings
// inside the factory do not count.
func asRootIDs(src string) []string {
	const call = "registerRootContext"
	var ids []string
	for i := strings.Index(src, call); i >= 0; i = nextIndex(src, call, i) {
		j := i + len(call)
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n') {
			j++
		}
		if j >= len(src) || src[j] != '(' {
			continue
		}
		depth, lastComma, end := 0, -1, -1
	scan:
		for k := j; k < len(src); k++ {
			switch c := src[k]; c {
			case '"', '\'', '`':
				for k++; k < len(src) && src[k] != c; k++ {
					if src[k] == '\\' {
						k++
					}
				}
			case '(', '{', '[':
				depth++
			case ')', '}', ']':
				if depth--; depth == 0 {
					end = k
					break scan
				}
			case ',':
				if depth == 1 {
					lastComma = k
				}
			}
		}
		if end < 0 || lastComma < 0 {
			continue
		}
		arg := strings.TrimSpace(src[lastComma+1 : end])
		if len(arg) >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len(arg)-1] == arg[0] && !strings.ContainsAny(arg[1:len(arg)-1], "\"'\n") {
			ids = append(ids, arg[1:len(arg)-1])
		}
	}
	return ids
}

func nextIndex(s, sub string, after int) int {
	i := strings.Index(s[after+1:], sub)
	if i < 0 {
		return -1
	}
	return after + 1 + i
}

// RootIDs returns the root ids a project's sources register, for the
// image's runtime configuration. Only AssemblyScript projects name them in
// a form that can be read reliably (registerRootContext(..., "id") in
// assembly/); for other languages, and when none is found, it returns nil.
func RootIDs(dir string, lang Language) []string {
	if lang != AssemblyScript {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	_ = filepath.WalkDir(filepath.Join(dir, "assembly"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ts") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, id := range asRootIDs(string(b)) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return nil
	})
	return ids
}
