package host

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestProxyContinueAndCloseStream(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	cases := []struct {
		fn     string
		st     uint64
		want   Status
		events []string
	}{
		{"proxy_continue_stream", 0, StatusOK, []string{"continue_request"}},
		{"proxy_continue_stream", 1, StatusOK, []string{"continue_response"}},
		{"proxy_continue_stream", 2, StatusOK, nil}, // not a TCP context: ignored
		{"proxy_continue_stream", 3, StatusUnimplemented, nil},
		{"proxy_continue_stream", 4, StatusBadArgument, nil},
		{"proxy_close_stream", 0, StatusOK, []string{"close_stream"}},
		{"proxy_close_stream", 4, StatusBadArgument, nil},
	}
	for _, c := range cases {
		h := &testHandler{}
		s := tr.stream(h)
		tr.in(&s.hctx, func() {
			expect(t, c.fn, tr.st(c.fn, c.st), c.want)
			if len(h.Events()) != 0 {
				t.Errorf("%s(%d) must act only after the guest call returns", c.fn, c.st)
			}
		})
		if got := h.Events(); !reflect.DeepEqual(got, c.events) {
			t.Errorf("%s(%d): embedder saw %v, want %v", c.fn, c.st, got, c.events)
		}
	}
}

func TestABI010StreamFunctions(t *testing.T) {
	tr := newTramp(t, ABI010, Config{})
	h := &testHandler{}
	s := tr.stream(h)
	tr.in(&s.hctx, func() {
		expect(t, "continue_request", tr.st("proxy_continue_request"), StatusOK)
		expect(t, "continue_response", tr.st("proxy_continue_response"), StatusOK)
		expect(t, "clear_route_cache", tr.st("proxy_clear_route_cache"), StatusOK)
	})
	want := []string{"continue_request", "continue_response", "clear_route_cache"}
	if got := h.Events(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestProxySendLocalResponse(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	h := &testHandler{}
	s := tr.stream(h)
	dp, dn := tr.str("denied by\tpolicy")
	bp, bn := tr.str("forbidden")
	hp, hn := tr.put(EncodePairs(pairs("X-Reason", "policy")))
	tr.in(&s.hctx, func() {
		expect(t, "local response", tr.st("proxy_send_local_response", 403, dp, dn, bp, bn, hp, hn, 0xFFFFFFFF), StatusOK)
		if !s.repliedInCall {
			t.Error("the callback result must be overridden to stop")
		}
	})
	lr := h.local
	if lr == nil {
		t.Fatal("the reply must reach the embedder after the call")
	}
	if lr.StatusCode != 403 || lr.Details != "denied_by_policy" || string(lr.Body) != "forbidden" || lr.GRPCStatus != GRPCStatusNone || lr.Headers.String() != "x-reason: policy\n" {
		t.Errorf("reply %+v headers %q", lr, lr.Headers.String())
	}
	tr.in(&tr.root.hctx, func() {
		expect(t, "from a root context", tr.st("proxy_send_local_response", 200, 0, 0, 0, 0, 0, 0, 0), StatusBadArgument)
		expect(t, "body out of bounds", tr.st("proxy_send_local_response", 200, 0, 0, 16<<16, 5, 0, 0, 0), StatusInvalidMemoryAccess)
	})
}

func TestProxyGetStatus(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	code, pp, sp := tr.slot(), tr.slot(), tr.slot()
	tr.in(&tr.root.hctx, func() {
		tr.vm.scope.status, tr.vm.scope.statusMessage = StatusBrokenConnection, "reset"
		expect(t, "get_status", tr.st("proxy_get_status", code, pp, sp), StatusOK)
	})
	if tr.u32(code) != 11 || string(tr.out(pp, sp)) != "reset" {
		t.Errorf("status %d %q, want 11 reset", tr.u32(code), tr.out(pp, sp))
	}
	tr.in(&tr.root.hctx, func() { expect(t, "no callout", tr.st("proxy_get_status", code, pp, sp), StatusOK) })
	if tr.u32(code) != 0 || tr.out(pp, sp) != nil {
		t.Error("outside callouts the status is 0 and empty")
	}
}

// funcCaller is an HTTPCaller made of a function: the embedder side of the
// callout interface, kept in-process so status mapping is tested alone (the
// end-to-end callout runs over loopback HTTP in sdk_test.go).
type funcCaller func(req *HTTPCallRequest, done func(*HTTPCallResponse, error)) error

func (f funcCaller) HTTPCall(_ context.Context, req *HTTPCallRequest, done func(*HTTPCallResponse, error)) error {
	return f(req, done)
}

func TestProxyHTTPCall(t *testing.T) {
	var got *HTTPCallRequest
	caller := funcCaller(func(req *HTTPCallRequest, done func(*HTTPCallResponse, error)) error {
		switch req.Cluster {
		case "down":
			return errors.New("no healthy upstream")
		case "auth":
			got = req
			go done(&HTTPCallResponse{Headers: pairs(":status", "200")}, nil)
			return nil
		}
		return ErrUnknownCluster
	})
	tr := newTramp(t, ABI021, Config{HTTPCaller: caller})
	good := EncodePairs(pairs(":method", "POST", ":path", "/check", ":authority", "auth"))
	noPath := EncodePairs(pairs(":method", "GET", ":authority", "auth"))
	body := "payload"
	cases := []struct {
		name    string
		cluster string
		hdrs    []byte
		timeout uint64
		want    Status
	}{
		{"started", "auth", good, 500, StatusOK},
		{"unknown cluster", "nope", good, 0, StatusBadArgument},
		{"missing :path", "auth", noPath, 0, StatusBadArgument},
		{"malformed headers", "auth", []byte{1, 2, 3, 4, 5}, 0, StatusBadArgument},
		{"negative timeout", "auth", good, 0xFFFFFFFF, StatusBadArgument},
		{"cannot start", "down", good, 0, StatusInternalFailure},
	}
	s := tr.stream(nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, un := tr.str(c.cluster)
			hp, hn := tr.put(c.hdrs)
			bp, bn := tr.str(body)
			id := tr.slot()
			tr.in(&s.hctx, func() {
				expect(t, "http_call", tr.st("proxy_http_call", up, un, hp, hn, bp, bn, 0, 0, c.timeout, id), c.want)
			})
			if c.want == StatusOK {
				if tr.u32(id) == 0 || tr.u32(id)%4 != 0 {
					t.Errorf("http call ids are multiples of 4, got %d", tr.u32(id))
				}
				if cl, _ := got.Headers.Get("content-length"); cl != "7" || got.Timeout != 500*time.Millisecond || string(got.Body) != body {
					t.Errorf("request %+v content-length %q", got, cl)
				}
			}
		})
	}
	tr.in(&s.hctx, func() {
		expect(t, "bad out id", tr.st("proxy_http_call", 0, 0, 0, 0, 0, 0, 0, 0, 0, 16<<16), StatusInvalidMemoryAccess)
	})
}

type testGRPC struct {
	sent [][]byte
}

func (g *testGRPC) GRPCCall(_ context.Context, req *GRPCCallRequest, ev GRPCEvents) (GRPCStream, error) {
	if string(req.Service) != "grpc" {
		return nil, ErrUnknownCluster
	}
	return g, nil
}
func (g *testGRPC) Send(msg []byte, end bool) error { g.sent = append(g.sent, msg); return nil }
func (g *testGRPC) Cancel()                         {}
func (g *testGRPC) CloseSend()                      {}

func TestProxyGRPC(t *testing.T) {
	g := &testGRPC{}
	tr := newTramp(t, ABI021, Config{GRPCCaller: g})
	sp, sn := tr.str("grpc")
	bad, badn := tr.str("nope")
	svc, svcn := tr.str("pkg.Service")
	meth, methn := tr.str("Method")
	msg, msgn := tr.str("hello")
	callID, streamID := tr.slot(), tr.slot()
	tr.in(&tr.root.hctx, func() {
		expect(t, "unknown cluster", tr.st("proxy_grpc_call", bad, badn, svc, svcn, meth, methn, 0, 0, msg, msgn, 1000, callID), StatusParseFailure)
		expect(t, "call", tr.st("proxy_grpc_call", sp, sn, svc, svcn, meth, methn, 0, 0, msg, msgn, 1000, callID), StatusOK)
		expect(t, "stream", tr.st("proxy_grpc_stream", sp, sn, svc, svcn, meth, methn, 0, 0, streamID), StatusOK)
	})
	call, stream := tr.u32(callID), tr.u32(streamID)
	if call%4 != 1 || stream%4 != 2 {
		t.Errorf("grpc call id %d (want 1 mod 4), stream id %d (want 2 mod 4)", call, stream)
	}
	tr.in(&tr.root.hctx, func() {
		expect(t, "send on stream", tr.st("proxy_grpc_send", uint64(stream), msg, msgn, 0), StatusOK)
		expect(t, "send on a call", tr.st("proxy_grpc_send", uint64(call), msg, msgn, 0), StatusBadArgument)
		expect(t, "send unknown", tr.st("proxy_grpc_send", 10002, msg, msgn, 0), StatusNotFound)
		expect(t, "cancel http id", tr.st("proxy_grpc_cancel", 4), StatusBadArgument)
		expect(t, "close stream", tr.st("proxy_grpc_close", uint64(stream)), StatusOK)
		expect(t, "cancel call", tr.st("proxy_grpc_cancel", uint64(call)), StatusOK)
		expect(t, "cancel again", tr.st("proxy_grpc_cancel", uint64(call)), StatusNotFound)
	})
	if len(g.sent) != 1 || string(g.sent[0]) != "hello" {
		t.Errorf("sent %q", g.sent)
	}
}
