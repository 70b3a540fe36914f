package host

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// tramp drives host functions through the trampoline module: a real module
// calling the real imports, with the host in the state of a callback for a
// chosen context.
type tramp struct {
	t    testing.TB
	rt   *Runtime
	logs *recordLogger
	vm   *VM
	root *Root
	inst api.Module
	data uint32 // next free test-data address (below 64 KiB)
}

func newTramp(t testing.TB, abi ABIVersion, cfg Config) *tramp {
	t.Helper()
	rt, logs := newTestRuntime(t, cfg)
	file := map[ABIVersion]string{ABI021: "testdata/trampoline/abi021.wasm", ABI010: "testdata/trampoline/abi010.wasm"}[abi]
	m := compileFixture(t, rt, file)
	vm, err := rt.NewVM(context.Background(), m, VMConfig{ID: "vm1", Configuration: []byte("vm-config"), Env: map[string]string{"A": "1", "GREETING": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	root, err := vm.StartPlugin(PluginConfig{Name: "plug", RootID: "root1", Configuration: []byte("plugin-config")})
	if err != nil {
		t.Fatal(err)
	}
	return &tramp{t: t, rt: rt, logs: logs, vm: vm, root: root, inst: vm.inst, data: 1024}
}

// in runs fn as if the host were inside a callback of context c (nil: the
// VM context), then releases the VM, running deferred actions.
func (tr *tramp) in(c *hctx, fn func()) {
	tr.t.Helper()
	if err := tr.vm.begin(c); err != nil {
		tr.t.Fatal(err)
	}
	defer tr.vm.end()
	fn()
}

// call calls host function name (module env unless it has a module prefix
// "wasi_snapshot_preview1.") with raw arguments and returns its i32 result.
func (tr *tramp) call(name string, args ...uint64) uint32 {
	tr.t.Helper()
	export := "call_env_" + name
	if len(name) > 23 && name[:23] == "wasi_snapshot_preview1." {
		export = "call_wasi_snapshot_preview1_" + name[23:]
	}
	fn := tr.inst.ExportedFunction(export)
	if fn == nil {
		tr.t.Fatalf("trampoline has no %s", export)
	}
	res, err := fn.Call(tr.vm.ctx, args...)
	if err != nil {
		tr.t.Fatalf("%s: %v", name, err)
	}
	if len(res) == 0 {
		return 0
	}
	return uint32(res[0])
}

// st calls a host function and returns its result as a Status.
func (tr *tramp) st(name string, args ...uint64) Status { return Status(tr.call(name, args...)) }

// put writes b into the test-data area and returns (ptr, size).
func (tr *tramp) put(b []byte) (uint64, uint64) {
	p := tr.data
	if !tr.inst.Memory().Write(p, b) {
		tr.t.Fatal("test data area full")
	}
	tr.data += (uint32(len(b)) + 7) &^ 7
	return uint64(p), uint64(len(b))
}

func (tr *tramp) str(s string) (uint64, uint64) { return tr.put([]byte(s)) }

// slot returns the address of a zeroed 8-byte out parameter.
func (tr *tramp) slot() uint64 {
	p, _ := tr.put(make([]byte, 8))
	return p
}

func (tr *tramp) u32(p uint64) uint32 {
	v, ok := tr.inst.Memory().ReadUint32Le(uint32(p))
	if !ok {
		tr.t.Fatalf("read u32 at %d", p)
	}
	return v
}

func (tr *tramp) u64(p uint64) uint64 {
	v, ok := tr.inst.Memory().ReadUint64Le(uint32(p))
	if !ok {
		tr.t.Fatalf("read u64 at %d", p)
	}
	return v
}

// out reads what a host function returned through (ptr_ptr, size_ptr).
func (tr *tramp) out(ptrPtr, sizePtr uint64) []byte {
	p, n := tr.u32(ptrPtr), tr.u32(sizePtr)
	if n == 0 {
		if p != 0 {
			tr.t.Fatalf("empty result with pointer %d, want (0, 0)", p)
		}
		return nil
	}
	b, ok := tr.inst.Memory().Read(p, n)
	if !ok {
		tr.t.Fatalf("result (%d, %d) out of bounds", p, n)
	}
	return append([]byte(nil), b...)
}

func (tr *tramp) heap() uint32 {
	return uint32(tr.inst.ExportedGlobal("heap").Get())
}

func (tr *tramp) failAlloc(on bool) {
	v := uint64(0)
	if on {
		v = 1
	}
	tr.inst.ExportedGlobal("fail_alloc").(api.MutableGlobal).Set(v)
}

// stream creates an HTTP stream context (created, as if headers arrived).
func (tr *tramp) stream(h HTTPHandler) *HTTPStream {
	if h == nil {
		h = &testHandler{}
	}
	s := tr.root.NewHTTPStream(h, nil, nil)
	s.created = true
	return s
}

func pairs(kv ...string) *Headers {
	h := &Headers{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func expect(t *testing.T, what string, got, want Status) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %v, want %v", what, got, want)
	}
}
