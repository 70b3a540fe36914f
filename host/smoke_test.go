package host

import (
	"context"
	"testing"
)

func TestSmokeRecorder(t *testing.T) {
	rt, logs := newTestRuntime(t, Config{})
	m := compileFixture(t, rt, "testdata/recorder/filter.wasm")
	vm, err := rt.NewVM(context.Background(), m, VMConfig{ID: "vm1", Configuration: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	root, err := vm.StartPlugin(PluginConfig{Name: "p", RootID: "r", Configuration: []byte("proxy_on_request_headers=0")})
	if err != nil {
		t.Fatal(err)
	}
	h := &Headers{}
	h.Add(":method", "GET")
	s := root.NewHTTPStream(&testHandler{}, nil, nil)
	a, err := s.OnRequestHeaders(h, true)
	if err != nil || a != 0 {
		t.Fatal(a, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range logs.lines {
		t.Log(l)
	}
}
