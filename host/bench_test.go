package host

import (
	"context"
	"io"
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

// BenchmarkHTTPStreamLifecycle runs a full stream through a Go SDK
// add-header filter (testdata/goaddheader, built with the stock Go
// toolchain): create, request headers with one header added, response
// headers with one added, log/done/delete. The Headers maps are reused
// across iterations, as a proxy reuses its buffers, so allocations counted
// are the host's. Sub-benchmarks: with the per-call deadline (the default)
// and without it (Config.CallTimeout = NoCallTimeout).
func BenchmarkHTTPStreamLifecycle(b *testing.B) {
	b.Run("deadline", func(b *testing.B) { benchLifecycle(b, Config{}) })
	b.Run("no-deadline", func(b *testing.B) { benchLifecycle(b, Config{CallTimeout: NoCallTimeout}) })
	b.Run("peer-raw-exports", benchRawExports)
}

// benchRawExports is the peer: the same six guest exports called back to
// back on one context with wazero's CallWithStack, without the host's
// stream bookkeeping (locking, context table, pooling, deferred actions).
// The difference to no-deadline is what HTTPStream costs.
func benchRawExports(b *testing.B) {
	rt, _ := newTestRuntime(b, Config{CallTimeout: NoCallTimeout, Logger: NewWriterLogger(io.Discard, LogWarn)})
	m := compileGoExample(b, rt, "goaddheader")
	vm, err := rt.NewVM(context.Background(), m, VMConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer vm.Close(context.Background())
	root, err := vm.StartPlugin(PluginConfig{Configuration: []byte("bench")})
	if err != nil {
		b.Fatal(err)
	}
	var req, resp Headers
	s := root.NewHTTPStream(&testHandler{}, nil, nil)
	if err := vm.begin(&s.hctx); err != nil {
		b.Fatal(err)
	}
	defer vm.end()
	var stack [8]uint64
	call := func(cb callback, a ...uint64) {
		copy(stack[:], a)
		if err := vm.fns[cb].CallWithStack(vm.ctx, stack[:]); err != nil {
			b.Fatal(err)
		}
	}
	id, rid := uint64(s.id), uint64(root.id)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Reset()
		req.Add(":method", "GET")
		req.Add(":path", "/")
		req.Add(":authority", "example.com")
		resp.Reset()
		resp.Add(":status", "200")
		s.maps[MapRequestHeaders], s.maps[MapResponseHeaders] = &req, &resp
		call(cbContextCreate, id, rid)
		call(cbRequestHeaders, id, 3, 1)
		call(cbResponseHeaders, id, 1, 1)
		call(cbLog, id)
		call(cbDone, id)
		call(cbDelete, id)
	}
}

func benchLifecycle(b *testing.B, cfg Config) {
	cfg.Logger = NewWriterLogger(io.Discard, LogWarn)
	rt, _ := newTestRuntime(b, cfg)
	m := compileGoExample(b, rt, "goaddheader")
	vm, err := rt.NewVM(context.Background(), m, VMConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer vm.Close(context.Background())
	root, err := vm.StartPlugin(PluginConfig{Configuration: []byte("bench")})
	if err != nil {
		b.Fatal(err)
	}
	var req, resp Headers
	h := &testHandler{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Reset()
		req.Add(":method", "GET")
		req.Add(":path", "/")
		req.Add(":authority", "example.com")
		resp.Reset()
		resp.Add(":status", "200")
		s := root.NewHTTPStream(h, nil, nil)
		if _, err := s.OnRequestHeaders(&req, true); err != nil {
			b.Fatal(err)
		}
		if _, err := s.OnResponseHeaders(&resp, true); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if v, _ := req.Get("x-wasm"); v != "bench" {
		b.Fatalf("the filter did not add its header: %q", req.String())
	}
}
