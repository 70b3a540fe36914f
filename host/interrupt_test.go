package host

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// A guest that never reaches a loop but calls itself exponentially is
// stopped too: every function entry is checked.
func TestDeadlineStopsRecursion(t *testing.T) {
	rt, _ := newTestRuntime(t, Config{CallTimeout: 50 * time.Millisecond})
	m, err := rt.Compile(context.Background(), watToWasm(t, `(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) i32.const 0)
  (func $fan (param i32)
    (if (local.get 0) (then
      (call $fan (i32.sub (local.get 0) (i32.const 1)))
      (call $fan (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "proxy_on_context_create") (param i32 i32) (call $fan (i32.const 60))))`))
	if err != nil {
		t.Fatal(err)
	}
	vm, err := rt.NewVM(context.Background(), m, VMConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(context.Background())
	start := time.Now()
	_, err = vm.StartPlugin(PluginConfig{})
	if !errors.Is(err, ErrVMFailed) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("err %v, want a deadline failure", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stopped after %v", d)
	}
}

// instrumentFixtures are real modules from every toolchain here.
func instrumentFixtures(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range []string{
		"testdata/recorder/filter.wasm", "testdata/abi010/filter.wasm", "testdata/as_v010/filter.wasm",
		"testdata/trampoline/abi021.wasm", "testdata/hostcall/hostcall.wasm",
		"../examples/assemblyscript/addheader/filter.wasm", "../examples/c/addheader/filter.wasm",
	} {
		out[filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p)] = readFixture(t, p)
	}
	return out
}

// Instrumented modules still validate and compile, for every toolchain,
// including a Go SDK module (TestToolchainModules and the example tests run
// them).
func TestInstrumentKeepsModulesValid(t *testing.T) {
	mods := instrumentFixtures(t)
	mods["go/goaddheader"] = goExample(t, "goaddheader")
	rt := wazero.NewRuntime(context.Background())
	defer rt.Close(context.Background())
	for name, wasm := range mods {
		out, err := instrument(wasm)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := rt.CompileModule(context.Background(), out); err != nil {
			t.Errorf("%s: instrumented module does not compile: %v", name, err)
			continue
		}
		if !bytes.Contains(out, []byte(yieldModule)) {
			t.Errorf("%s: no %s.%s import", name, yieldModule, yieldName)
		}
	}
}

// FuzzInstrument: instrumenting never panics, and a module wazero accepts
// stays acceptable once instrumented.
func FuzzInstrument(f *testing.F) {
	for _, b := range instrumentFixtures(f) {
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	rt := wazero.NewRuntime(context.Background())
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := instrument(b)
		if err != nil {
			return
		}
		if _, err := rt.CompileModule(context.Background(), b); err != nil {
			return
		}
		if _, err := rt.CompileModule(context.Background(), out); err != nil {
			os.WriteFile(filepath.Join(t.TempDir(), "in.wasm"), b, 0o644)
			t.Fatalf("valid module became invalid: %v", err)
		}
	})
}

// A guest spinning in a loop must not block the garbage collector's
// stop-the-world (compiled Wasm cannot be preempted): the instrumented code
// yields to Go regularly, so GC completes while the guest runs and the
// deadline still stops it.
func TestRunawayLoopDoesNotBlockGC(t *testing.T) {
	r := newRecorder(t, Config{CallTimeout: 300 * time.Millisecond})
	_, root := r.start("loop=proxy_on_request_headers")
	s := root.NewHTTPStream(&testHandler{}, nil, nil)
	gcDone := make(chan time.Duration, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // the guest is looping by now
		start := time.Now()
		runtime.GC()
		gcDone <- time.Since(start)
	}()
	_, err := s.OnRequestHeaders(pairs(":path", "/"), true)
	if !errors.Is(err, ErrVMFailed) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("err %v", err)
	}
	select {
	case d := <-gcDone:
		if d > 250*time.Millisecond {
			t.Errorf("GC waited %v for the looping guest: it must not wait for the deadline", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GC blocked")
	}
}
