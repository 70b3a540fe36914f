package host

import (
	"context"
	"strings"
	"testing"
)

// Modules built by real toolchains other than Go: the AssemblyScript SDK
// (ABI 0.2.0 and 0.1.0), wasi-libc C (0.2.1) and hand-written WAT (0.1.0).
func TestToolchainModules(t *testing.T) {
	cases := []struct {
		name, file string
		abi        ABIVersion
		rootID     string
		config     string
		header     string // response header the filter adds
		value      string
		entry      []string
		allocator  string
	}{
		{"assemblyscript 0.1.8", "../examples/assemblyscript/addheader/filter.wasm", ABI020, "add_header", "wasmesh", "hello", "wasmesh", nil, "malloc"},
		{"assemblyscript 0.1.1 (ABI 0.1.0)", "testdata/as_v010/filter.wasm", ABI010, "add_header", "from-010", "hello", "from-010", nil, "malloc"},
		{"c wasi-libc reactor", "../examples/c/addheader/filter.wasm", ABI021, "", "c-value", "x-c-filter", "c-value", []string{"_initialize"}, "malloc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt, logs := newTestRuntime(t, Config{})
			m := compileFixture(t, rt, c.file)
			if m.ABI() != c.abi || m.Allocator() != c.allocator || strings.Join(m.EntryPoints(), ",") != strings.Join(c.entry, ",") {
				t.Errorf("abi %v allocator %s entry %v", m.ABI(), m.Allocator(), m.EntryPoints())
			}
			vm, err := rt.NewVM(context.Background(), m, VMConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close(context.Background())
			root, err := vm.StartPlugin(PluginConfig{Name: "p", RootID: c.rootID, Configuration: []byte(c.config)})
			if err != nil {
				t.Fatalf("start: %v\n%s", err, strings.Join(logs.lines, "\n"))
			}
			for i := 0; i < 3; i++ { // several streams on one VM
				s := root.NewHTTPStream(&testHandler{}, nil, nil)
				cont(t)(s.OnRequestHeaders(pairs(":method", "GET", ":path", "/"), true))
				resp := pairs(":status", "200")
				cont(t)(s.OnResponseHeaders(resp, true))
				if v, _ := resp.Get(c.header); v != c.value {
					t.Errorf("stream %d: response header %s=%q, want %q\n%s", i, c.header, v, c.value, strings.Join(logs.lines, "\n"))
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if vm.Failed() != nil {
				t.Fatal(vm.Failed())
			}
		})
	}
}

// The hand-written ABI 0.1.0 module checks 0.1.0 semantics from inside:
// a missing header is OK with an empty value, proxy_continue_request
// exists, proxy_get_configuration returns the plugin configuration.
func TestABI010Module(t *testing.T) {
	rt, logs := newTestRuntime(t, Config{})
	m := compileFixture(t, rt, "testdata/abi010/filter.wasm")
	vm, err := rt.NewVM(context.Background(), m, VMConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(context.Background())
	root, err := vm.StartPlugin(PluginConfig{Configuration: []byte("cfg-010")})
	if err != nil {
		t.Fatal(err)
	}
	s := root.NewHTTPStream(&testHandler{}, nil, nil)
	cont(t)(s.OnRequestHeaders(pairs(":path", "/"), true))
	s.Close()
	for _, want := range []string{"cfg-010", "missing status 0", "continue_request status 0"} {
		if len(logs.grep(want)) == 0 {
			t.Errorf("module did not log %q:\n%s", want, strings.Join(logs.lines, "\n"))
		}
	}
}

func TestCompileErrorsListEveryProblem(t *testing.T) {
	rt, _ := newTestRuntime(t, Config{})
	// A 0.2.0 module importing 0.1.0's proxy_get_configuration and 0.2.1's
	// proxy_get_log_level, an unknown function, a mistyped proxy_log, and a
	// callback export of the wrong type.
	wat := `(module
  (import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))
  (import "env" "proxy_get_log_level" (func (param i32) (result i32)))
  (import "env" "proxy_fancy" (func (param i32) (result i32)))
  (import "env" "proxy_log" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "malloc") (param i32) (result i32) i32.const 0)
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) i32.const 0))`
	_, err := rt.Compile(context.Background(), watToWasm(t, wat))
	le, ok := err.(*LoadError)
	if !ok {
		t.Fatalf("err %v (%T), want *LoadError", err, err)
	}
	want := []string{
		"missing import env.proxy_get_configuration: only provided to ABI 0.1.0 modules, this module is ABI 0.2.0",
		"missing import env.proxy_get_log_level: only provided to ABI 0.2.1 modules, this module is ABI 0.2.0",
		"missing import env.proxy_fancy(i32)->(i32): not provided by this host",
		"import type mismatch env.proxy_log: module wants (i32,i32)->(i32), host provides (i32,i32,i32)->(i32)",
		"bad function signature for export proxy_on_request_headers: module has (i32,i32)->(i32), ABI 0.2.0 wants (i32,i32,i32)->(i32)",
	}
	if got := strings.Join(le.Problems, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if _, err := rt.Compile(context.Background(), watToWasm(t, `(module (memory (export "memory") 1))`)); err == nil || !strings.Contains(err.Error(), "missing or unknown Proxy-Wasm ABI version") {
		t.Errorf("no marker: %v", err)
	}
	if _, err := rt.Compile(context.Background(), []byte("not wasm")); err == nil || !strings.Contains(err.Error(), "not a WebAssembly binary") {
		t.Errorf("garbage: %v", err)
	}
	if _, err := rt.Compile(context.Background(), watToWasm(t, `(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")))`)); err == nil || !strings.Contains(err.Error(), "no allocator") {
		t.Errorf("no allocator: %v", err)
	}
}
