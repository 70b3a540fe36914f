package host

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// recorder runs the recorder fixture: a C module exporting every callback,
// logging each call and doing what its configuration says.
type recorder struct {
	t    *testing.T
	rt   *Runtime
	logs *recordLogger
	mod  *Module
}

func newRecorder(t *testing.T, cfg Config) *recorder {
	t.Helper()
	rt, logs := newTestRuntime(t, cfg)
	return &recorder{t: t, rt: rt, logs: logs, mod: compileFixture(t, rt, "testdata/recorder/filter.wasm")}
}

func (r *recorder) start(pluginConfig string) (*VM, *Root) {
	r.t.Helper()
	vm, err := r.rt.NewVM(context.Background(), r.mod, VMConfig{ID: "vm"})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { vm.Close(context.Background()) })
	root, err := vm.StartPlugin(PluginConfig{Name: "p", RootID: "r", Configuration: []byte(pluginConfig)})
	if err != nil {
		r.t.Fatal(err)
	}
	return vm, root
}

// calls returns the callback lines logged since the last reset.
func (r *recorder) calls() []string {
	var out []string
	for _, l := range r.logs.grep("wasm log") {
		msg := l[strings.Index(l, ": ")+2:]
		if strings.HasPrefix(msg, "proxy_on_") || strings.HasPrefix(msg, "proxy_done") || strings.HasPrefix(msg, "proxy_send") || strings.HasPrefix(msg, "proxy_continue") {
			out = append(out, msg)
		}
	}
	return out
}

func checkCalls(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	if got := r.calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("callbacks:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	r.logs.reset()
}

func TestLifecycleHTTPStreamOrder(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("")
	checkCalls(t, r, "proxy_on_context_create 1 0", "proxy_on_vm_start 1 0", "proxy_on_configure 1 0")

	s := root.NewHTTPStream(&testHandler{}, nil, nil)
	req := pairs(":method", "POST", ":path", "/", "a", "1", "a", "2")
	cont(t)(s.OnRequestHeaders(req, false))
	cont(t)(s.OnRequestBody(&Buffer{Bytes: []byte("body")}, false))
	cont(t)(s.OnRequestTrailers(pairs("t", "1")))
	cont(t)(s.OnResponseHeaders(pairs(":status", "200"), false))
	cont(t)(s.OnResponseBody(&Buffer{Bytes: []byte("resp!")}, true))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r,
		"proxy_on_context_create 2 1",
		"proxy_on_request_headers 2 4 0", // entries, not distinct names
		"proxy_on_request_body 2 4 0",
		"proxy_on_request_trailers 2 1",
		"proxy_on_response_headers 2 1 0",
		"proxy_on_response_body 2 5 1",
		"proxy_on_log 2", "proxy_on_done 2", "proxy_on_delete 2", // Envoy's order
	)
	// A stream that never reached the filter still gets create before log.
	s2 := root.NewHTTPStream(&testHandler{}, nil, nil)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r, "proxy_on_context_create 3 1", "proxy_on_log 3", "proxy_on_done 3", "proxy_on_delete 3")
	// Close twice: on_delete exactly once, and the stream is not handed out
	// twice by the VM's free list.
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r)
	a, b := root.NewHTTPStream(&testHandler{}, nil, nil), root.NewHTTPStream(&testHandler{}, nil, nil)
	if a == b {
		t.Fatal("a stream closed twice was recycled twice")
	}
	a.Close()
	b.Close()
}

// cont returns a check that a callback continued without error.
func cont(t *testing.T) func(Action, error) {
	return func(a Action, err error) {
		t.Helper()
		if err != nil || a != ActionContinue {
			t.Fatalf("action %d err %v, want continue", a, err)
		}
	}
}

func TestLifecycleTCPOrder(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("")
	r.logs.reset()
	conn, a, err := root.NewTCPStream(nil, nil, nil)
	if err != nil || a != ActionContinue {
		t.Fatal(a, err)
	}
	cont(t)(conn.OnDownstreamData(&Buffer{Bytes: []byte("ping")}, false))
	cont(t)(conn.OnUpstreamData(&Buffer{Bytes: []byte("pong!")}, true))
	if err := conn.OnUpstreamClose(PeerUnknown); err != nil {
		t.Fatal(err)
	}
	if err := conn.OnDownstreamClose(PeerRemote); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r,
		"proxy_on_context_create 2 1", "proxy_on_new_connection 2",
		"proxy_on_downstream_data 2 4 0", "proxy_on_upstream_data 2 5 1",
		"proxy_on_upstream_connection_close 2 0", "proxy_on_downstream_connection_close 2 2",
		"proxy_on_done 2", "proxy_on_log 2", "proxy_on_delete 2", // TCP order differs from HTTP
	)
}

func TestPauseAndContinueAfterTheCall(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("proxy_on_request_headers=1 continue=proxy_on_response_headers:0")
	h := &testHandler{}
	s := root.NewHTTPStream(h, nil, nil)
	req := pairs(":path", "/")
	a, err := s.OnRequestHeaders(req, true)
	if err != nil || a != ActionPause {
		t.Fatalf("pause: %d %v", a, err)
	}
	if HeadersStatus(a, false) != HeadersStopAllIterationAndWatermark || HeadersStatus(a, true) != HeadersStopIteration {
		t.Error("Envoy converts a header Pause to StopAllIterationAndWatermark by default")
	}
	if s.maps[MapRequestHeaders] != req {
		t.Error("request headers stay reachable while the request is paused")
	}
	if _, err := s.OnResponseHeaders(pairs(":status", "200"), true); err != nil {
		t.Fatal(err)
	}
	if ev := h.Events(); !reflect.DeepEqual(ev, []string{"continue_request"}) {
		t.Errorf("embedder events %v", ev)
	}
	if s.maps[MapRequestHeaders] != nil {
		t.Error("after continue the request headers are released, as in Envoy")
	}
	s.Close()
}

func TestLocalReplyOverridesTheResult(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("local_reply=proxy_on_request_headers")
	h := &testHandler{}
	s := root.NewHTTPStream(h, nil, nil)
	a, err := s.OnRequestHeaders(pairs(":path", "/"), true)
	if err != nil || a != HeadersStopAllIterationAndWatermark {
		t.Fatalf("result %d %v, want stop (4) after a local reply", a, err)
	}
	if h.local == nil || h.local.StatusCode != 403 || string(h.local.Body) != "forbidden" || h.local.Details != "denied_by_recorder" {
		t.Fatalf("local reply %+v", h.local)
	}
	if v, _ := h.local.Headers.Get("x-recorder"); v != "yes" {
		t.Error("local reply headers")
	}
	s.Close()
}

func TestRootDoneLater(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("proxy_on_done=0 done=proxy_on_tick tick=10")
	r.logs.reset()
	if root.Shutdown() {
		t.Fatal("on_done returned false: the root must wait for proxy_done")
	}
	waitFor(t, "proxy_done from on_tick", root.Deleted)
	got := r.calls()
	want := []string{"proxy_on_done 1", "proxy_on_tick 1", "proxy_done 0", "proxy_on_delete 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q, want %q (root contexts never get on_log)", got, want)
	}
}

func TestTicksPerRoot(t *testing.T) {
	r := newRecorder(t, Config{})
	_, root := r.start("tick=5")
	waitFor(t, "three ticks", func() bool { return len(r.logs.grep("proxy_on_tick 1")) >= 3 })
	root.Shutdown()
}

func TestPluginRejected(t *testing.T) {
	r := newRecorder(t, Config{})
	vm, err := r.rt.NewVM(context.Background(), r.mod, VMConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(context.Background())
	_, err = vm.StartPlugin(PluginConfig{Name: "p", Configuration: []byte("proxy_on_configure=0")})
	if !errors.Is(err, ErrPluginRejected) {
		t.Fatalf("err %v, want ErrPluginRejected", err)
	}
	if vm.Failed() != nil {
		t.Error("a rejected configuration does not fail the VM")
	}
}

// Containment: a guest fault fails its VM only; the runtime serves a fresh
// VM and the next stream works.
func TestContainment(t *testing.T) {
	cases := []struct {
		name   string
		config string
		reason string
	}{
		{"trap", "trap=proxy_on_request_headers", "unreachable"},
		{"runaway loop", "loop=proxy_on_request_headers", "deadline exceeded"},
		{"memory blow-up", "grow=proxy_on_request_headers trap=proxy_on_request_headers", "unreachable"},
		{"proc_exit", "exit=proxy_on_request_headers:1", "proc_exit(1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRecorder(t, Config{CallTimeout: 100 * time.Millisecond, MemoryLimitPages: 64})
			vm, root := r.start(c.config)
			s := root.NewHTTPStream(&testHandler{}, nil, nil)
			start := time.Now()
			_, err := s.OnRequestHeaders(pairs(":path", "/"), true)
			if !errors.Is(err, ErrVMFailed) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("err %v, want a VM failure mentioning %q", err, c.reason)
			}
			if time.Since(start) > 5*time.Second {
				t.Error("containment took too long")
			}
			if _, err := s.OnResponseHeaders(pairs(":status", "200"), true); !errors.Is(err, ErrVMFailed) {
				t.Errorf("a failed VM gets no more callbacks: %v", err)
			}
			if len(r.logs.grep("Wasm VM failed")) == 0 {
				t.Error("the failure must be logged")
			}
			if vm.Failed() == nil {
				t.Error("the VM must report its failure")
			}
			r.logs.reset()
			if err := s.Close(); !errors.Is(err, ErrVMFailed) {
				t.Errorf("close on a failed VM: %v", err)
			}
			if calls := r.calls(); len(calls) != 0 {
				t.Errorf("no on_log/on_done/on_delete on a failed VM, got %q", calls)
			}
			// The next VM works.
			_, root2 := r.start("")
			s2 := root2.NewHTTPStream(&testHandler{}, nil, nil)
			cont(t)(s2.OnRequestHeaders(pairs(":path", "/"), true))
			if err := s2.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A trap inside the allocator, called from a host function, unwinds the
// whole guest call and fails the VM.
func TestAllocatorTrap(t *testing.T) {
	r := newRecorder(t, Config{})
	vm, err := r.rt.NewVM(context.Background(), r.mod, VMConfig{Configuration: []byte("alloc=trap")})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(context.Background())
	// on_configure reads the (non-empty) plugin configuration: an allocation.
	_, err = vm.StartPlugin(PluginConfig{Name: "p", Configuration: []byte("x=1")})
	if !errors.Is(err, ErrVMFailed) || !strings.Contains(err.Error(), "proxy_on_configure") {
		t.Fatalf("err %v, want a VM failure in proxy_on_configure", err)
	}
}
