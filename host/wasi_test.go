package host

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestWASI(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	w := func(name string) string { return "wasi_snapshot_preview1." + name }
	// iovs writes the strings, then their iovec array, and returns its address.
	iovs := func(parts ...string) uint64 {
		var arr []byte
		for _, s := range parts {
			p, n := tr.str(s)
			arr = append(append(arr, le32(uint32(p))...), le32(uint32(n))...)
		}
		p, _ := tr.put(arr)
		return p
	}
	s := tr.stream(nil)
	out := tr.slot()
	t.Run("fd_write stdout and stderr log one line each", func(t *testing.T) {
		tr.logs.reset()
		a := iovs("hello ", "world\n")
		tr.in(&s.hctx, func() {
			if e := tr.call(w("fd_write"), 1, a, 2, out); e != 0 {
				t.Errorf("errno %d", e)
			}
			if e := tr.call(w("fd_write"), 2, a, 1, out); e != 0 {
				t.Errorf("errno %d", e)
			}
			if e := tr.call(w("fd_write"), 3, a, 1, out); e != errnoBadf {
				t.Errorf("fd 3: errno %d, want BADF", e)
			}
			if e := tr.call(w("fd_write"), 1, 16<<16, 1, out); e != errnoFault {
				t.Errorf("bad iovec: errno %d, want FAULT", e)
			}
		})
		want := []string{"info wasm log plug root1 vm1: hello world", "error wasm log plug root1 vm1: hello "}
		if got := tr.logs.grep("wasm log"); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("logged %q, want %q", got, want)
		}
	})
	t.Run("clocks", func(t *testing.T) {
		tr.in(nil, func() {
			if tr.call(w("clock_time_get"), 0, 0, out) != 0 || time.Since(time.Unix(0, int64(tr.u64(out)))) > time.Minute {
				t.Error("realtime clock must be the real time (not wazero's fake 2022 clock)")
			}
			if tr.call(w("clock_time_get"), 1, 0, out) != 0 || tr.u64(out) == 0 {
				t.Error("monotonic clock")
			}
			if tr.call(w("clock_time_get"), 2, 0, out) != errnoNotsup {
				t.Error("cpu clocks are NOTSUP")
			}
			if tr.call(w("clock_res_get"), 0, out) != 0 || tr.u64(out) != 1 {
				t.Error("resolution 1 ns")
			}
		})
	})
	t.Run("random", func(t *testing.T) {
		p, _ := tr.put(make([]byte, 32))
		tr.in(nil, func() {
			if tr.call(w("random_get"), p, 32) != 0 {
				t.Error("random_get failed")
			}
			if tr.call(w("random_get"), p, 65537) != errnoInval {
				t.Error("more than 64 KiB is INVAL")
			}
		})
		b, _ := tr.inst.Memory().Read(uint32(p), 32)
		if strings.Count(string(b), "\x00") > 8 {
			t.Errorf("random bytes look unset: % x", b)
		}
	})
	t.Run("environment from the VM config", func(t *testing.T) {
		cnt, size := tr.slot(), tr.slot()
		tr.in(nil, func() { tr.call(w("environ_sizes_get"), cnt, size) })
		if tr.u32(cnt) != 2 || tr.u32(size) != uint32(len("A=1\x00GREETING=hi\x00")) {
			t.Fatalf("environ sizes %d %d", tr.u32(cnt), tr.u32(size))
		}
		ptrs, _ := tr.put(make([]byte, 8))
		buf, _ := tr.put(make([]byte, 32))
		tr.in(nil, func() { tr.call(w("environ_get"), ptrs, buf) })
		b, _ := tr.inst.Memory().Read(uint32(buf), tr.u32(size))
		if string(b) != "A=1\x00GREETING=hi\x00" || uint64(tr.u32(ptrs+4)) != buf+4 {
			t.Errorf("environ %q", b)
		}
	})
	t.Run("no files, no args, no sleeping", func(t *testing.T) {
		tr.in(nil, func() {
			checks := []struct {
				name string
				args []uint64
				want uint32
			}{
				{"fd_prestat_get", []uint64{3, out}, errnoBadf},
				{"path_open", []uint64{3, 0, 0, 0, 0, 0, 0, 0, out}, errnoNoent},
				{"fd_read", []uint64{0, 0, 0, out}, errnoNosys},
				{"args_sizes_get", []uint64{out, out + 4}, 0},
				{"poll_oneoff", []uint64{0, 0, 1, out}, 0},
				{"sched_yield", nil, 0},
				{"fd_fdstat_get", []uint64{1, out}, 0},
				{"fd_fdstat_get", []uint64{5, out}, errnoBadf},
				{"fd_seek", []uint64{1, 0, 0, out}, 0},
				{"fd_close", []uint64{1}, 0},
				{"sock_accept", []uint64{3, 0, out}, errnoNotsup},
				{"fd_renumber", []uint64{1, 2}, errnoNotsup},
			}
			for _, c := range checks {
				if got := tr.call(w(c.name), c.args...); got != c.want {
					t.Errorf("%s: errno %d, want %d", c.name, got, c.want)
				}
			}
		})
	})
}

func TestWASIProcExitFailsOnlyTheVM(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	tr.in(&tr.root.hctx, func() {
		fn := tr.inst.ExportedFunction("call_wasi_snapshot_preview1_proc_exit")
		if _, err := fn.Call(tr.vm.ctx, 3); err == nil {
			t.Error("proc_exit must unwind the guest call")
		}
	})
	// A fresh VM of the same module still works.
	vm, err := tr.rt.NewVM(context.Background(), tr.vm.mod, VMConfig{ID: "vm1"})
	if err != nil {
		t.Fatal(err)
	}
	vm.Close(context.Background())
}
