package host

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestCapabilityRestrictionStubs: with an allow-list, the proxy_* and WASI
// functions not on it are stubs (INTERNAL_FAILURE and a log line; WASI
// ENOTCAPABLE; proc_exit returns), those on it work, and the emscripten
// and Envoy extras stay linked. VMs without a list in the same runtime are
// not affected, and VMs with the same list share one set of host modules.
func TestCapabilityRestrictionStubs(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	vm, err := tr.rt.NewVM(context.Background(), tr.vm.mod, VMConfig{ID: "restricted",
		AllowedCapabilities: []string{"proxy_get_current_time_nanoseconds", "random_get"}})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(context.Background())
	r := &tramp{t: t, rt: tr.rt, logs: tr.logs, vm: vm, inst: vm.inst, data: 1024}
	w := func(name string) string { return "wasi_snapshot_preview1." + name }
	out := r.slot()
	msg, n := r.str("hello")
	tr.logs.reset()
	r.in(nil, func() {
		if st := r.call("proxy_log", uint64(LogWarn), msg, n); st != uint32(StatusInternalFailure) {
			t.Errorf("restricted proxy_log: status %d, want INTERNAL_FAILURE", st)
		}
		if st := r.call("proxy_get_current_time_nanoseconds", out); st != uint32(StatusOK) || r.u64(out) == 0 {
			t.Errorf("allowed proxy_get_current_time_nanoseconds: status %d, time %d", st, r.u64(out))
		}
		if e := r.call(w("random_get"), out, 8); e != errnoSuccess {
			t.Errorf("allowed random_get: errno %d", e)
		}
		if e := r.call(w("clock_time_get"), 0, 0, out); e != errnoNotcapable {
			t.Errorf("restricted clock_time_get: errno %d, want NOTCAPABLE (76)", e)
		}
		r.call(w("proc_exit"), 3) // restricted: returns, the VM lives on
		r.call("emscripten_notify_memory_growth", 0)
	})
	if err := vm.Failed(); err != nil {
		t.Errorf("restricted proc_exit failed the VM: %v", err)
	}
	want := []string{"error Attempted call to restricted proxy-wasm capability: proxy_log"}
	if got := tr.logs.grep("restricted"); !slices.Equal(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
	if got := tr.logs.grep("hello"); len(got) != 0 {
		t.Errorf("the restricted proxy_log logged the guest's message: %q", got)
	}

	// The unrestricted VM of the same runtime keeps every function.
	tr.in(nil, func() {
		if st := tr.call("proxy_log", uint64(LogWarn), msg, n); st != uint32(StatusOK) {
			t.Errorf("unrestricted proxy_log: status %d", st)
		}
	})
	// The same list, in another order, reuses the host modules.
	vm2, err := tr.rt.NewVM(context.Background(), tr.vm.mod, VMConfig{ID: "restricted2",
		AllowedCapabilities: []string{"random_get", "proxy_get_current_time_nanoseconds"}})
	if err != nil {
		t.Fatal(err)
	}
	vm2.Close(context.Background())
	if len(tr.rt.restricted) != 1 {
		t.Errorf("%d sets of restricted host modules, want 1", len(tr.rt.restricted))
	}
	// An empty list allows everything, as in Envoy.
	vm3, err := tr.rt.NewVM(context.Background(), tr.vm.mod, VMConfig{ID: "empty", AllowedCapabilities: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	r3 := &tramp{t: t, rt: tr.rt, logs: tr.logs, vm: vm3, inst: vm3.inst, data: 1024}
	r3.in(nil, func() {
		if st := r3.call("proxy_log", uint64(LogWarn), msg, n); st != uint32(StatusOK) {
			t.Errorf("empty allow-list: proxy_log status %d", st)
		}
	})
	vm3.Close(context.Background())
}

// TestCapabilityRestrictionGoFilter: the Go SDK add-header filter under an
// allow-list: without proxy_on_request_headers its request callback never
// runs; without proxy_add_header_map_value both header additions fail (and
// log); with everything listed it works.
func TestCapabilityRestrictionGoFilter(t *testing.T) {
	var all []string
	for _, f := range envFuncs {
		all = append(all, f.name)
	}
	for _, f := range wasiFuncs {
		all = append(all, f.name)
	}
	all = append(all, callbackNames[:]...)
	without := func(name string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == name })
	}
	cases := []struct {
		name            string
		allowed         []string
		wantReq, wantRe bool
		wantLog         string
	}{
		{name: "everything listed", allowed: all, wantReq: true, wantRe: true},
		{name: "no request headers callback", allowed: without("proxy_on_request_headers"), wantReq: false, wantRe: true},
		{name: "no header additions", allowed: without("proxy_add_header_map_value"), wantLog: "restricted proxy-wasm capability: proxy_add_header_map_value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt, logs := newTestRuntime(t, Config{})
			m := compileGoExample(t, rt, "goaddheader")
			vm, err := rt.NewVM(context.Background(), m, VMConfig{AllowedCapabilities: c.allowed})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close(context.Background())
			root, err := vm.StartPlugin(PluginConfig{Configuration: []byte("v")})
			if err != nil {
				t.Fatal(err)
			}
			var req, resp Headers
			resetHeaders(&req, &resp)
			s := root.NewHTTPStream(&testHandler{}, nil, nil)
			if _, err := s.OnRequestHeaders(&req, true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OnResponseHeaders(&resp, true); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, ok := req.Get("x-wasm"); ok != c.wantReq {
				t.Errorf("request header added: %v, want %v", ok, c.wantReq)
			}
			if _, ok := resp.Get("x-wasm"); ok != c.wantRe {
				t.Errorf("response header added: %v, want %v", ok, c.wantRe)
			}
			if c.wantLog != "" && len(logs.grep(c.wantLog)) != 2 {
				t.Errorf("want two %q log lines, got %q", c.wantLog, strings.Join(logs.grep("restricted"), "|"))
			}
		})
	}
}
