package host

import (
	"context"
	"testing"
)

// BenchmarkHostCall measures one guest-to-host round trip: the guest calls
// proxy_get_buffer_status in a loop (bounds checks, a context lookup and two
// guest-memory writes per call).
func BenchmarkHostCall(b *testing.B) {
	rt, _ := newTestRuntime(b, Config{})
	m := compileFixture(b, rt, "testdata/hostcall/hostcall.wasm")
	vm, err := rt.NewVM(context.Background(), m, VMConfig{Configuration: []byte("cfg")})
	if err != nil {
		b.Fatal(err)
	}
	defer vm.Close(context.Background())
	loop := vm.inst.ExportedFunction("loop")
	if err := vm.begin(nil); err != nil {
		b.Fatal(err)
	}
	defer vm.end()
	stack := []uint64{uint64(b.N)}
	b.ReportAllocs()
	b.ResetTimer()
	if err := loop.CallWithStack(vm.ctx, stack); err != nil {
		b.Fatal(err)
	}
	if stack[0] != 0 {
		b.Fatalf("host calls returned non-OK statuses (sum %d)", stack[0])
	}
}
