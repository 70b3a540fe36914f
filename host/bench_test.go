package host

import (
	"context"
	"io"
	"testing"
	"time"
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
// and without it (Config.CallTimeout = NoCallTimeout); the six exports
// called raw (the peer: what the guest itself costs); and the stream with
// cold caches (what it costs under load).
func BenchmarkHTTPStreamLifecycle(b *testing.B) {
	b.Run("deadline", func(b *testing.B) { benchLifecycle(b, Config{}) })
	b.Run("no-deadline", func(b *testing.B) { benchLifecycle(b, Config{CallTimeout: NoCallTimeout}) })
	b.Run("peer-raw-exports", benchRawExports)
	b.Run("cold-cache", benchLifecycleCold)
}

// benchRawExports is the peer: the same six guest exports called back to
// back on one context with wazero's CallWithStack, without the host's
// stream bookkeeping (locking, context table, pooling, deferred actions).
// The difference to no-deadline is what HTTPStream costs.
func benchRawExports(b *testing.B) {
	root := benchPlugin(b, Config{CallTimeout: NoCallTimeout})
	vm := root.vm
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
		resetHeaders(&req, &resp)
		s.maps[MapRequestHeaders], s.maps[MapResponseHeaders] = &req, &resp
		call(cbContextCreate, id, rid)
		call(cbRequestHeaders, id, 3, 1)
		call(cbResponseHeaders, id, 1, 1)
		call(cbLog, id)
		call(cbDone, id)
		call(cbDelete, id)
	}
	b.StopTimer()
	checkAdded(b, &resp)
}

func benchLifecycle(b *testing.B, cfg Config) {
	root := benchPlugin(b, cfg)
	var req, resp Headers
	h := &testHandler{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resetHeaders(&req, &resp)
		stream(b, root, h, &req, &resp)
	}
	b.StopTimer()
	checkAdded(b, &resp)
}

// benchLifecycleCold is benchLifecycle after the caches were flushed by
// walking 8 MiB, as a proxy's request path between two streams of one
// filter does under load (the kernel's TCP path, other connections'
// buffers). ns/op includes the walk; ns/stream is the stream alone, the
// number to hold against the hot one.
func benchLifecycleCold(b *testing.B) {
	root := benchPlugin(b, Config{})
	var req, resp Headers
	h := &testHandler{}
	junk := make([]byte, 8<<20)
	var inStream time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < len(junk); j += 64 {
			junk[j]++
		}
		resetHeaders(&req, &resp)
		t0 := time.Now()
		stream(b, root, h, &req, &resp)
		inStream += time.Since(t0)
	}
	b.ReportMetric(float64(inStream.Nanoseconds())/float64(b.N), "ns/stream")
	checkAdded(b, &resp)
}

// benchPlugin starts the goaddheader filter (plugin configuration "bench")
// in a VM of a runtime with cfg.
func benchPlugin(b *testing.B, cfg Config) *Root {
	cfg.Logger = NewWriterLogger(io.Discard, LogWarn)
	rt, _ := newTestRuntime(b, cfg)
	m := compileGoExample(b, rt, "goaddheader")
	vm, err := rt.NewVM(context.Background(), m, VMConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { vm.Close(context.Background()) })
	root, err := vm.StartPlugin(PluginConfig{Configuration: []byte("bench")})
	if err != nil {
		b.Fatal(err)
	}
	return root
}

// resetHeaders refills the reused header maps with a small request and
// response head, as the proxy's codec would.
func resetHeaders(req, resp *Headers) {
	req.Reset()
	req.Add(":method", "GET")
	req.Add(":path", "/")
	req.Add(":authority", "example.com")
	resp.Reset()
	resp.Add(":status", "200")
}

// stream runs one stream through the filter: create, request headers,
// response headers, close (log, done, delete).
func stream(b *testing.B, root *Root, h HTTPHandler, req, resp *Headers) {
	s := root.NewHTTPStream(h, nil, nil)
	if _, err := s.OnRequestHeaders(req, true); err != nil {
		b.Fatal(err)
	}
	if _, err := s.OnResponseHeaders(resp, true); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

func checkAdded(b *testing.B, resp *Headers) {
	if v, _ := resp.Get("x-wasm"); v != "bench" {
		b.Fatalf("the filter did not add its header: %q", resp.String())
	}
}
