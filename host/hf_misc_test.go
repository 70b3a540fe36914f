package host

import (
	"bytes"
	"compress/zlib"
	"io"
	"strings"
	"testing"
	"time"
)

func TestProxyLog(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	msg, n := tr.str("hello")
	s := tr.stream(nil)
	cases := []struct {
		name  string
		ctx   *hctx
		level uint64
		ptr   uint64
		want  Status
		line  string
	}{
		{"vm context has no prefix", nil, 2, msg, StatusOK, "info wasm log: hello"},
		{"root context: root_id vm_id", &tr.root.hctx, 3, msg, StatusOK, "warning wasm log root1 vm1: hello"},
		{"stream context: name root_id vm_id", &s.hctx, 4, msg, StatusOK, "error wasm log plug root1 vm1: hello"},
		{"critical is the highest level", &s.hctx, 5, msg, StatusOK, "critical wasm log plug root1 vm1: hello"},
		{"level above critical", &s.hctx, 6, msg, StatusBadArgument, ""},
		{"message out of bounds", &s.hctx, 2, 16 << 16, StatusInvalidMemoryAccess, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr.logs.reset()
			tr.in(c.ctx, func() { expect(t, "proxy_log", tr.st("proxy_log", c.level, c.ptr, n), c.want) })
			got := tr.logs.grep("wasm log")
			if c.line == "" && len(got) != 0 || c.line != "" && (len(got) != 1 || got[0] != c.line) {
				t.Errorf("logged %q, want %q", got, c.line)
			}
		})
	}
}

func TestProxyGetLogLevel(t *testing.T) {
	logger := NewWriterLogger(io.Discard, LogWarn)
	tr := newTramp(t, ABI021, Config{Logger: logger})
	out := tr.slot()
	for _, c := range []struct {
		level LogLevel
		want  uint32
	}{{LogWarn, 3}, {LogTrace, 0}, {LogOff, 5}} {
		logger.SetLevel(c.level)
		tr.in(nil, func() { expect(t, "get_log_level", tr.st("proxy_get_log_level", out), StatusOK) })
		if got := tr.u32(out); got != c.want {
			t.Errorf("level %v: wrote %d, want %d", c.level, got, c.want)
		}
	}
	tr.in(nil, func() { expect(t, "bad pointer", tr.st("proxy_get_log_level", 16<<16), StatusInvalidMemoryAccess) })
}

func TestProxyGetCurrentTime(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	out := tr.slot()
	tr.in(nil, func() { expect(t, "time", tr.st("proxy_get_current_time_nanoseconds", out), StatusOK) })
	if d := time.Since(time.Unix(0, int64(tr.u64(out)))); d < 0 || d > time.Minute {
		t.Errorf("guest time is %v away from now", d)
	}
	tr.in(nil, func() {
		expect(t, "bad pointer", tr.st("proxy_get_current_time_nanoseconds", 16<<16-4), StatusInvalidMemoryAccess)
	})
}

func TestProxySetTickPeriod(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	s := tr.stream(nil)
	tr.in(&s.hctx, func() { expect(t, "from stream", tr.st("proxy_set_tick_period_milliseconds", 250), StatusOK) })
	if got := tr.root.TickPeriod(); got != 250*time.Millisecond {
		t.Errorf("a stream's tick period must set its root's: root has %v", got)
	}
	tr.in(&tr.root.hctx, func() { expect(t, "disable", tr.st("proxy_set_tick_period_milliseconds", 0), StatusOK) })
	if got := tr.root.TickPeriod(); got != 0 {
		t.Errorf("period 0 must stop the timer, have %v", got)
	}
}

func TestProxySetEffectiveContext(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	s := tr.stream(nil)
	msg, n := tr.str("m")
	tr.in(&tr.root.hctx, func() {
		expect(t, "unknown id", tr.st("proxy_set_effective_context", 999), StatusBadArgument)
		expect(t, "stream id", tr.st("proxy_set_effective_context", uint64(s.id)), StatusOK)
		tr.st("proxy_log", 2, msg, n)
	})
	if got := tr.logs.grep("wasm log plug root1 vm1: m"); len(got) != 1 {
		t.Errorf("a log after set_effective_context(stream) must carry the stream prefix: %q", tr.logs.grep(": m"))
	}
	tr.logs.reset()
	tr.in(&tr.root.hctx, func() { tr.st("proxy_log", 2, msg, n) })
	if got := tr.logs.grep("wasm log root1 vm1: m"); len(got) != 1 {
		t.Errorf("the effective context must not outlive its callback: %q", tr.logs.grep(": m"))
	}
}

func TestProxyDone(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	tr.in(&tr.root.hctx, func() { expect(t, "not pending", tr.st("proxy_done"), StatusNotFound) })
	tr.root.state = rootPendingDone
	tr.in(&tr.root.hctx, func() {
		expect(t, "pending", tr.st("proxy_done"), StatusOK)
		if tr.root.state != rootPendingDone {
			t.Error("the root must be deleted only after the guest call returns")
		}
	})
	if tr.root.state != rootDeleted {
		t.Errorf("after proxy_done the root must be deleted, state %v", tr.root.state)
	}
}

func TestProxyCallForeignFunction(t *testing.T) {
	tr := newTramp(t, ABI021, Config{ForeignFunctions: map[string]ForeignFunction{
		"echo": func(_ *ForeignCall, args []byte) ([]byte, Status) { return append([]byte(nil), args...), StatusOK },
		"fail": func(*ForeignCall, []byte) ([]byte, Status) { return nil, StatusSerializationFailure },
	}})
	s := tr.stream(nil)
	call := func(name string, args []byte, wantResult bool) (Status, []byte) {
		np, nn := tr.str(name)
		ap, an := tr.put(args)
		pp, sp := tr.slot(), tr.slot()
		if !wantResult {
			pp = 0
		}
		var st Status
		tr.in(&s.hctx, func() { st = tr.st("proxy_call_foreign_function", np, nn, ap, an, pp, sp) })
		if pp == 0 {
			return st, nil
		}
		return st, tr.out(pp, sp)
	}
	st, got := call("compress", []byte(strings.Repeat("wasm", 100)), true)
	expect(t, "compress", st, StatusOK)
	r, err := zlib.NewReader(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("compress must return zlib data: %v", err)
	}
	if plain, _ := io.ReadAll(r); string(plain) != strings.Repeat("wasm", 100) {
		t.Errorf("compress round trip: %q", plain)
	}
	st, plain := call("uncompress", got, true)
	if st != StatusOK || string(plain) != strings.Repeat("wasm", 100) {
		t.Errorf("uncompress: %v %q", st, plain)
	}
	st, _ = call("uncompress", []byte("not zlib"), true)
	expect(t, "uncompress corrupt", st, StatusSerializationFailure)
	st, _ = call("nope", nil, true)
	expect(t, "unknown function", st, StatusNotFound)
	st, _ = call("fail", nil, true)
	expect(t, "function's own status", st, StatusSerializationFailure)
	heap := tr.heap()
	st, _ = call("echo", []byte("x"), false)
	expect(t, "no results pointer", st, StatusOK)
	if tr.heap() != heap {
		t.Error("results must not be allocated when out_results_ptr is 0")
	}
	st, echoed := call("echo", nil, true)
	if st != StatusOK || echoed != nil {
		t.Errorf("empty result must be (0, 0): %v %q", st, echoed)
	}
	h := &testHandler{}
	s2 := tr.stream(h)
	np, nn := tr.str("clear_route_cache")
	tr.in(&s2.hctx, func() {
		expect(t, "clear_route_cache", tr.st("proxy_call_foreign_function", np, nn, 0, 0, 0, 0), StatusOK)
	})
	if ev := h.Events(); len(ev) != 1 || ev[0] != "clear_route_cache" {
		t.Errorf("clear_route_cache must reach the embedder after the call: %v", ev)
	}
}

func TestEmscriptenExtras(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	tr.in(nil, func() {
		tr.call("emscripten_notify_memory_growth", 0)
		if tr.call("pthread_equal", 3, 3) != 1 || tr.call("pthread_equal", 3, 4) != 0 {
			t.Error("pthread_equal must compare its arguments")
		}
	})
}
