package host

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// Callout results are delivered to the root context of the caller, after
// any running call, with the data readable only during the callback.
func TestCalloutCallbacksReachTheRoot(t *testing.T) {
	r := newRecorder(t, Config{})
	vm, root := r.start("")
	r.logs.reset()

	vm.mu.Lock()
	httpCall := vm.newCallout(kindHTTP, root)
	grpcCall := vm.newCallout(kindGRPCCall, root)
	vm.mu.Unlock()

	root.httpCallDone(httpCall, &HTTPCallResponse{Headers: pairs(":status", "200", "a", "b"), Body: []byte("hello")}, nil)
	failed := func() *callout { vm.mu.Lock(); defer vm.mu.Unlock(); return vm.newCallout(kindHTTP, root) }()
	root.httpCallDone(failed, nil, errors.New("reset"))
	root.httpCallDone(httpCall, nil, nil) // already delivered: dropped

	ev := &grpcEvents{root: root, c: grpcCall}
	ev.OnInitialMetadata(pairs("k", "v"))
	ev.OnMessage([]byte("msg"))
	ev.OnTrailingMetadata(pairs("t", "1", "u", "2"))
	ev.OnClose(5, "not found")
	ev.OnMessage([]byte("late")) // after close: dropped
	waitFor(t, "grpc close", func() bool { return len(r.logs.grep("proxy_on_grpc_close")) == 1 })
	vm.post(func() {}) // drain marker
	if err := root.CallForeignFunction(7, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	s := root.NewHTTPStream(&testHandler{}, nil, nil)
	cont(t)(s.OnRequestHeaders(pairs(":path", "/"), false))
	if err := s.OnRequestMetadata(2); err != nil {
		t.Fatal(err)
	}
	if err := s.OnResponseMetadata(1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	checkCalls(t, r,
		"proxy_on_http_call_response 1 4 2 5 0",
		"proxy_on_http_call_response 1 8 0 0 0",
		"proxy_on_grpc_receive_initial_metadata 1 5 1",
		"proxy_on_grpc_receive 1 5 3",
		"proxy_on_grpc_receive_trailing_metadata 1 5 2",
		"proxy_on_grpc_close 1 5 5",
		"proxy_on_foreign_function 1 7 3",
		"proxy_on_context_create 2 1",
		"proxy_on_request_headers 2 1 0",
		"proxy_on_request_metadata 2 2",
		"proxy_on_response_metadata 2 1",
		"proxy_on_log 2", "proxy_on_done 2", "proxy_on_delete 2",
	)
	if len(vm.calls) != 0 {
		t.Errorf("finished callouts must be forgotten: %d left", len(vm.calls))
	}
}

// Shared queues notify only the last registrant, once per item, on its own VM.
func TestQueueReadyGoesToTheLastRegistrant(t *testing.T) {
	r := newRecorder(t, Config{})
	_, rootA := r.start("")
	vmB, err := r.rt.NewVM(context.Background(), r.mod, VMConfig{ID: "vm"})
	if err != nil {
		t.Fatal(err)
	}
	rootB, err := vmB.StartPlugin(PluginConfig{Name: "p", RootID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	idA := r.rt.queues.register("vm", []byte("q"), rootA)
	idB := r.rt.queues.register("vm", []byte("q"), rootB)
	if idA != idB {
		t.Fatalf("same (vm_id, name) must be the same queue: %d %d", idA, idB)
	}
	r.logs.reset()
	r.rt.queues.enqueue(idA, []byte("1"))
	r.rt.queues.enqueue(idA, []byte("2"))
	waitFor(t, "two notifications", func() bool { return len(r.logs.grep("proxy_on_queue_ready")) == 2 })
	for _, l := range r.logs.grep("proxy_on_queue_ready") {
		if l != "info wasm log b vm: proxy_on_queue_ready 1 1" {
			t.Errorf("notification %q", l)
		}
	}
	vmB.Close(context.Background())
	if st := r.rt.queues.enqueue(idA, []byte("3")); st != StatusOK {
		t.Errorf("enqueue after the registrant's VM closed: %v", st)
	}
	var got []string
	for st := StatusOK; st == StatusOK; {
		st = r.rt.queues.dequeue(idA, func(b []byte) { got = append(got, string(b)) })
	}
	if !reflect.DeepEqual(got, []string{"1", "2", "3"}) {
		t.Errorf("items %v: a notification that finds no registrant keeps the item", got)
	}
}
