package host

import (
	"context"
	"errors"
	"testing"
)

func TestPluginWorkersAndReplacement(t *testing.T) {
	rt, logs := newTestRuntime(t, Config{})
	m := compileFixture(t, rt, "testdata/recorder/filter.wasm")
	p, err := rt.NewPlugin(context.Background(), m, VMConfig{ID: "vm"}, PluginConfig{Name: "p", Configuration: []byte("trap=proxy_on_response_headers")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	r0, _ := p.Root(context.Background(), 0)
	r1, _ := p.Root(context.Background(), 1)
	if r0.VM() == r1.VM() {
		t.Fatal("each worker must have its own VM")
	}
	if r0.ID() != 1 || r1.ID() != 1 {
		t.Errorf("context ids are per VM: %d %d", r0.ID(), r1.ID())
	}
	s := r0.NewHTTPStream(&testHandler{}, nil, nil)
	cont(t)(s.OnRequestHeaders(pairs(":path", "/"), true))
	if _, err := s.OnResponseHeaders(pairs(":status", "200"), true); !errors.Is(err, ErrVMFailed) {
		t.Fatalf("trap: %v", err)
	}
	// Worker 1 is unaffected, worker 0 gets a fresh VM.
	s1 := r1.NewHTTPStream(&testHandler{}, nil, nil)
	cont(t)(s1.OnRequestHeaders(pairs(":path", "/"), true))
	s1.Close()
	fresh, err := p.Root(context.Background(), 0)
	if err != nil || fresh == r0 || fresh.VM().Failed() != nil {
		t.Fatalf("replacement: %v %v", fresh, err)
	}
	s2 := fresh.NewHTTPStream(&testHandler{}, nil, nil)
	cont(t)(s2.OnRequestHeaders(pairs(":path", "/"), true))
	s2.Close()
	if len(logs.grep("Wasm VM failed")) != 1 {
		t.Errorf("one failure logged, got %q", logs.grep("Wasm VM failed"))
	}
}

func TestNewPluginRejected(t *testing.T) {
	rt, _ := newTestRuntime(t, Config{})
	m := compileFixture(t, rt, "testdata/recorder/filter.wasm")
	_, err := rt.NewPlugin(context.Background(), m, VMConfig{}, PluginConfig{Name: "bad", Configuration: []byte("proxy_on_configure=0")}, 2)
	if !errors.Is(err, ErrPluginRejected) {
		t.Fatalf("err %v", err)
	}
}
