package host

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
)

// Start-up entry points (doc §1.4), with modules that log what ran.
func TestEntryPoints(t *testing.T) {
	const prelude = `
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "initialize main-args main-void start start-section")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func $say (param i32 i32) (drop (call $log (i32.const 2) (local.get 0) (local.get 1))))`
	cases := []struct {
		name, body string
		want       []string
		fails      string
	}{
		{"reactor: _initialize then main(0,0)", `
  (func (export "_initialize") (call $say (i32.const 0) (i32.const 10)))
  (func (export "main") (param i32 i32) (result i32) (call $say (i32.const 11) (i32.const 9)) (i32.const 0))
  (func (export "_start") (call $say (i32.const 31) (i32.const 5)))`, []string{"initialize", "main-args"}, ""},
		{"reactor: _initialize then __main_void", `
  (func (export "_initialize") (call $say (i32.const 0) (i32.const 10)))
  (func (export "__main_void") (result i32) (call $say (i32.const 21) (i32.const 9)) (i32.const 0))`, []string{"initialize", "main-void"}, ""},
		{"command: _start ending with proc_exit(0), as TinyGo", `
  (func (export "_start") (call $say (i32.const 31) (i32.const 5)) (call $exit (i32.const 0)) unreachable)`, []string{"start"}, ""},
		{"start section, as AssemblyScript", `
  (func $init (call $say (i32.const 37) (i32.const 13)))
  (start $init)`, []string{"start-section"}, ""},
		{"command exiting with 2 fails", `
  (func (export "_start") (call $exit (i32.const 2)))`, nil, "proc_exit(2)"},
		{"trap in _initialize fails", `
  (func (export "_initialize") unreachable)`, nil, "unreachable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt, logs := newTestRuntime(t, Config{})
			m, err := rt.Compile(context.Background(), watToWasm(t, "(module"+prelude+c.body+")"))
			if err != nil {
				t.Fatal(err)
			}
			vm, err := rt.NewVM(context.Background(), m, VMConfig{})
			if c.fails != "" {
				if err == nil || !strings.Contains(err.Error(), c.fails) {
					t.Fatalf("err %v, want a start-up failure mentioning %q", err, c.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close(context.Background())
			var got []string
			for _, l := range logs.grep("wasm log: ") {
				got = append(got, strings.TrimPrefix(l, "info wasm log: "))
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("ran %v, want %v", got, c.want)
			}
		})
	}
}

func TestCompilationCache(t *testing.T) {
	dir := t.TempDir()
	rt, _ := newTestRuntime(t, Config{CacheDir: dir})
	compileFixture(t, rt, "testdata/recorder/filter.wasm")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("the compilation cache directory stays empty: %v", err)
	}
}

// Streams on one VM from many goroutines: calls are serialized, every
// stream completes, nothing races (run with -race).
func TestConcurrentStreamsOnOneVM(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				s := root.NewHTTPStream(&testHandler{}, nil, nil)
				if _, err := s.OnRequestHeaders(pairs(":path", "/"), true); err != nil {
					t.Error(err)
					return
				}
				if err := s.Close(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(r.logs.grep("proxy_on_delete")); n != 400 {
		t.Errorf("%d streams deleted, want 400", n)
	}
}
