//go:build !wasip1

package proxywasm

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// recorder collects the callbacks the user contexts receive, in order.
type recorder struct{ events []string }

func (r *recorder) add(format string, args ...any) {
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

type testVM struct {
	rec    *recorder
	noHTTP bool // plugin contexts return nil from NewHttpContext
	noTCP  bool
}

func (v *testVM) OnVMStart(size int) types.OnVMStartStatus {
	v.rec.add("vm start %d", size)
	return types.OnVMStartStatusOK
}

func (v *testVM) NewPluginContext(id uint32) types.PluginContext {
	v.rec.add("new plugin %d", id)
	return &testPlugin{vm: v, id: id}
}

type testPlugin struct {
	types.DefaultPluginContext
	vm *testVM
	id uint32
}

func (p *testPlugin) OnPluginStart(size int) types.OnPluginStartStatus {
	p.vm.rec.add("plugin start %d %d", p.id, size)
	return size != 99
}

func (p *testPlugin) OnPluginDone() bool {
	p.vm.rec.add("plugin done %d", p.id)
	return false
}

func (p *testPlugin) OnTick()               { p.vm.rec.add("tick %d", p.id) }
func (p *testPlugin) OnQueueReady(q uint32) { p.vm.rec.add("queue ready %d %d", p.id, q) }
func (p *testPlugin) OnForeignFunction(f uint32, n int) {
	p.vm.rec.add("foreign %d %d", f, n)
}

func (p *testPlugin) OnGrpcReceive(id uint32, n int) {
	p.vm.rec.add("plugin grpc receive %d %d", id, n)
}
func (p *testPlugin) OnGrpcClose(id, code uint32) { p.vm.rec.add("plugin grpc close %d %d", id, code) }

func (p *testPlugin) NewHttpContext(id uint32) types.HttpContext {
	if p.vm.noHTTP {
		return nil
	}
	return &testHTTP{rec: p.vm.rec, id: id}
}

func (p *testPlugin) NewTcpContext(id uint32) types.TcpContext {
	if p.vm.noTCP {
		return nil
	}
	return &testTCP{rec: p.vm.rec, id: id}
}

type testHTTP struct {
	types.DefaultHttpContext
	rec *recorder
	id  uint32
	// onHeaders runs in OnHttpRequestHeaders, when set.
	onHeaders func() types.Action
}

func (c *testHTTP) OnHttpRequestHeaders(n int, eos bool) types.Action {
	c.rec.add("request headers %d %d %v", c.id, n, eos)
	return types.ActionPause
}

func (c *testHTTP) OnHttpRequestBody(n int, eos bool) types.Action {
	c.rec.add("request body %d %d %v", c.id, n, eos)
	return types.ActionContinue
}

func (c *testHTTP) OnHttpRequestTrailers(n int) types.Action {
	c.rec.add("request trailers %d %d", c.id, n)
	return types.ActionContinue
}

func (c *testHTTP) OnHttpResponseHeaders(n int, eos bool) types.Action {
	c.rec.add("response headers %d %d %v", c.id, n, eos)
	return types.ActionContinue
}

func (c *testHTTP) OnHttpResponseBody(n int, eos bool) types.Action {
	c.rec.add("response body %d %d %v", c.id, n, eos)
	return types.ActionPause
}

func (c *testHTTP) OnHttpResponseTrailers(n int) types.Action {
	c.rec.add("response trailers %d %d", c.id, n)
	return types.ActionContinue
}

func (c *testHTTP) OnHttpStreamDone() { c.rec.add("http done %d", c.id) }

type testTCP struct {
	types.DefaultTcpContext
	rec *recorder
	id  uint32
}

func (c *testTCP) OnNewConnection() types.Action {
	c.rec.add("new connection %d", c.id)
	return types.ActionContinue
}

func (c *testTCP) OnDownstreamData(n int, eos bool) types.Action {
	c.rec.add("downstream data %d %d %v", c.id, n, eos)
	return types.ActionPause
}

func (c *testTCP) OnUpstreamData(n int, eos bool) types.Action {
	c.rec.add("upstream data %d %d %v", c.id, n, eos)
	return types.ActionContinue
}

func (c *testTCP) OnDownstreamClose(p types.PeerType) { c.rec.add("downstream close %d %d", c.id, p) }
func (c *testTCP) OnUpstreamClose(p types.PeerType)   { c.rec.add("upstream close %d %d", c.id, p) }
func (c *testTCP) OnStreamDone()                      { c.rec.add("tcp done %d", c.id) }

// startPlugin registers a testVM and runs the root lifecycle for id 1.
func startPlugin(t *testing.T, v *testVM) {
	t.Helper()
	SetVMContext(v)
	vm.onContextCreate(1, 0)
	if !vm.onVMStart(1, 3) {
		t.Fatal("onVMStart = false")
	}
	if !vm.onConfigure(1, 7) {
		t.Fatal("onConfigure = false")
	}
}

func checkEvents(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(rec.events, want) {
		t.Errorf("events:\n got %q\nwant %q", rec.events, want)
	}
	rec.events = nil
}

func TestHTTPLifecycle(t *testing.T) {
	h := newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec})
	checkEvents(t, rec, "new plugin 1", "vm start 3", "plugin start 1 7")

	vm.onContextCreate(2, 1)
	steps := []struct {
		call func() types.Action
		want types.Action
	}{
		{func() types.Action { return vm.onRequestHeaders(2, 5, false) }, types.ActionPause},
		{func() types.Action { return vm.onRequestBody(2, 10, true) }, types.ActionContinue},
		{func() types.Action { return vm.onRequestTrailers(2, 1) }, types.ActionContinue},
		{func() types.Action { return vm.onResponseHeaders(2, 3, false) }, types.ActionContinue},
		{func() types.Action { return vm.onResponseBody(2, 20, true) }, types.ActionPause},
		{func() types.Action { return vm.onResponseTrailers(2, 2) }, types.ActionContinue},
	}
	for i, s := range steps {
		if got := s.call(); got != s.want {
			t.Errorf("step %d: action %d, want %d", i, got, s.want)
		}
	}
	// Envoy's order: log, done, delete. OnHttpStreamDone runs from on_log.
	vm.onLog(2)
	if !vm.onDone(2) {
		t.Error("onDone(stream) = false, want true")
	}
	vm.onDelete(2)
	checkEvents(t, rec,
		"request headers 2 5 false", "request body 2 10 true", "request trailers 2 1",
		"response headers 2 3 false", "response body 2 20 true", "response trailers 2 2",
		"http done 2")

	// Root shutdown: on_done returning false is passed through.
	if vm.onDone(1) {
		t.Error("onDone(root) = true, want the plugin's false")
	}
	vm.onDelete(1)
	checkEvents(t, rec, "plugin done 1")
	if len(vm.roots)+vm.streams.len() != 0 {
		t.Errorf("contexts left after delete: %d roots, %d streams", len(vm.roots), vm.streams.len())
	}
	if len(h.logs) != 0 {
		t.Errorf("unexpected logs: %q", h.logs)
	}
}

func TestStreamDoneRunsOnce(t *testing.T) {
	tests := []struct {
		name  string
		calls func()
	}{
		{"log then delete", func() { vm.onLog(2); vm.onDone(2); vm.onDelete(2) }},
		{"done then log then delete", func() { vm.onDone(2); vm.onLog(2); vm.onDelete(2) }},
		{"log twice", func() { vm.onLog(2); vm.onLog(2); vm.onDelete(2) }},
		{"no log", func() { vm.onDone(2); vm.onDelete(2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newFakeHost(t)
			rec := &recorder{}
			startPlugin(t, &testVM{rec: rec})
			vm.onContextCreate(2, 1)
			rec.events = nil
			tt.calls()
			checkEvents(t, rec, "http done 2")
		})
	}
}

func TestTCPLifecycle(t *testing.T) {
	newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec, noHTTP: true})
	rec.events = nil

	vm.onContextCreate(2, 1)
	if got := vm.onNewConnection(2); got != types.ActionContinue {
		t.Errorf("onNewConnection = %d", got)
	}
	if got := vm.onDownstreamData(2, 4, false); got != types.ActionPause {
		t.Errorf("onDownstreamData = %d", got)
	}
	vm.onUpstreamData(2, 6, true)
	vm.onUpstreamConnectionClose(2, types.PeerTypeUnknown)
	vm.onDownstreamConnectionClose(2, types.PeerTypeRemote)
	// Envoy's TCP order: done, log, delete.
	vm.onDone(2)
	vm.onLog(2)
	vm.onDelete(2)
	checkEvents(t, rec, "new connection 2", "downstream data 2 4 false", "upstream data 2 6 true",
		"upstream close 2 0", "downstream close 2 2", "tcp done 2")
}

func TestRootCallbacks(t *testing.T) {
	newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec})
	rec.events = nil

	vm.onTick(1)
	vm.onQueueReady(1, 9)
	vm.onForeignFunction(1, 3, 12)
	vm.onLog(1) // Envoy never sends it to a root; ignored
	checkEvents(t, rec, "tick 1", "queue ready 1 9", "foreign 3 12")

	if vm.onConfigure(1, 99) {
		t.Error("onConfigure returned true when OnPluginStart failed")
	}
}

// TestUnknownContexts checks that bad ids from the host are logged, not
// turned into panics (which would trap the VM).
func TestUnknownContexts(t *testing.T) {
	h := newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec})
	rec.events = nil

	if got := vm.onRequestHeaders(42, 1, true); got != types.ActionContinue {
		t.Errorf("onRequestHeaders(unknown) = %d, want Continue", got)
	}
	vm.onContextCreate(3, 77) // unknown parent
	vm.onTick(5)
	vm.onHttpCallResponse(1, 123, 0, 0, 0)
	vm.onDelete(42)
	vm.onContextCreate(1, 0) // duplicate
	if vm.onConfigure(6, 0) {
		t.Error("onConfigure(unknown root) = true")
	}
	for _, want := range []string{
		"proxy_on_request_headers: unknown context 42",
		"unknown plugin context 77",
		"proxy_on_tick: unknown plugin context 5",
		"unknown callout 123",
		"proxy_on_delete: unknown context 42",
		"context 1 already exists",
		"proxy_on_configure: unknown plugin context 6",
	} {
		if !h.hasLog(want) {
			t.Errorf("no log containing %q in %q", want, h.logs)
		}
	}
	checkEvents(t, rec)
}

func TestStreamWithoutContext(t *testing.T) {
	h := newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec, noHTTP: true, noTCP: true})
	vm.onContextCreate(2, 1)
	if !h.hasLog("created neither an HTTP nor a TCP context for context 2") {
		t.Errorf("logs = %q", h.logs)
	}
	h.logs = nil
	if got := vm.onRequestHeaders(2, 1, true); got != types.ActionContinue {
		t.Errorf("onRequestHeaders = %d", got)
	}
	vm.onLog(2)
	vm.onDelete(2)
	if len(h.logs) != 0 {
		t.Errorf("callbacks of an ignored context logged %q", h.logs)
	}
}

func TestNoVMContext(t *testing.T) {
	h := newFakeHost(t)
	vm.onContextCreate(1, 0)
	if vm.onVMStart(1, 0) {
		t.Error("onVMStart = true without a VM context")
	}
	if !h.hasLog("no VM context registered") {
		t.Errorf("logs = %q", h.logs)
	}
}

func TestEntryPoints(t *testing.T) {
	newFakeHost(t)
	rec := &recorder{}
	SetHttpContext(func(id uint32) types.HttpContext { return &testHTTP{rec: rec, id: id} })
	vm.onContextCreate(1, 0)
	vm.onVMStart(1, 0)
	vm.onConfigure(1, 0)
	vm.onContextCreate(2, 1)
	vm.onRequestHeaders(2, 1, true)
	checkEvents(t, rec, "request headers 2 1 true")

	SetTcpContext(func(id uint32) types.TcpContext { return &testTCP{rec: rec, id: id} })
	vm.onContextCreate(3, 0)
	vm.onContextCreate(4, 3)
	vm.onNewConnection(4)
	checkEvents(t, rec, "new connection 4")

	SetPluginContext(func(id uint32) types.PluginContext {
		return &testPlugin{vm: &testVM{rec: rec}, id: id}
	})
	vm.onContextCreate(5, 0)
	vm.onVMStart(5, 0)
	vm.onConfigure(5, 2)
	checkEvents(t, rec, "plugin start 5 2")
}

func TestHttpCallResponseRouting(t *testing.T) {
	h := newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec})
	vm.onContextCreate(2, 1)
	vm.onContextCreate(3, 1)

	dispatch := func(stream uint32) uint32 {
		t.Helper()
		vm.onRequestHeaders(stream, 1, true) // makes stream active, like a real callback
		id, err := DispatchHttpCall("auth", [][2]string{{":method", "GET"}, {":path", "/"}, {":authority", "auth"}},
			nil, nil, 500, func(nh, bs, nt int) {
				rec.add("callback for %d: %d %d %d, active %d", stream, nh, bs, nt, vm.activeID)
				if err := ResumeHttpRequest(); err != nil {
					t.Errorf("ResumeHttpRequest: %v", err)
				}
			})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id2 := dispatch(2)
	id3 := dispatch(3)
	rec.events = nil

	// Responses come to the root id, in any order.
	vm.onHttpCallResponse(1, id3, 4, 10, 0)
	vm.onHttpCallResponse(1, id2, 0, 0, 0)
	checkEvents(t, rec, "callback for 3: 4 10 0, active 3", "callback for 2: 0 0 0, active 2")
	if want := []uint32{3, 2}; !reflect.DeepEqual(h.effective, want) {
		t.Errorf("proxy_set_effective_context calls = %v, want %v", h.effective, want)
	}
	if len(h.continued) != 2 {
		t.Errorf("continue_stream calls = %v", h.continued)
	}

	// A stream deleted before its response: the callback must not run.
	id := dispatch(2)
	vm.onLog(2)
	vm.onDelete(2)
	rec.events = nil
	vm.onHttpCallResponse(1, id, 1, 0, 0)
	checkEvents(t, rec)
	if _, ok := vm.roots[1].httpCallouts[id]; ok {
		t.Error("callout of a deleted stream was kept")
	}

	// A second response for the same id is unknown.
	vm.onHttpCallResponse(1, id3, 1, 0, 0)
	if !h.hasLog("unknown callout") {
		t.Errorf("logs = %q", h.logs)
	}
}

func TestHttpCallFromRoot(t *testing.T) {
	h := newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec})
	vm.onTick(1)
	id, err := DispatchHttpCall("c", [][2]string{{":path", "/"}}, []byte("x"), nil, 0, func(int, int, int) {
		rec.add("root callback, active %d", vm.activeID)
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.events = nil
	vm.onHttpCallResponse(1, id, 1, 1, 0)
	checkEvents(t, rec, "root callback, active 1")
	if !reflect.DeepEqual(h.effective, []uint32{1}) {
		t.Errorf("effective = %v", h.effective)
	}
}

type testGrpcHandler struct {
	types.DefaultGrpcCallHandler
	rec *recorder
}

func (g *testGrpcHandler) OnGrpcReceiveInitialMetadata(id uint32, n int) {
	g.rec.add("initial metadata %d %d, active %d", id, n, vm.activeID)
}

func (g *testGrpcHandler) OnGrpcReceive(id uint32, n int) {
	g.rec.add("receive %d %d, active %d", id, n, vm.activeID)
}

func (g *testGrpcHandler) OnGrpcReceiveTrailingMetadata(id uint32, n int) {
	g.rec.add("trailing metadata %d %d", id, n)
}

func (g *testGrpcHandler) OnGrpcClose(id, code uint32) { g.rec.add("close %d %d", id, code) }

func TestGrpcRouting(t *testing.T) {
	h := newFakeHost(t)
	rec := &recorder{}
	startPlugin(t, &testVM{rec: rec})
	vm.onContextCreate(2, 1)
	vm.onRequestHeaders(2, 1, true)
	handler := &testGrpcHandler{rec: rec}
	id, err := GrpcCall("cluster", "pkg.Svc", "Get", [][2]string{{"k", "v"}}, []byte("msg"), 100, handler)
	if err != nil {
		t.Fatal(err)
	}
	if c := h.grpcCalls[0]; c.service != "cluster" || c.serviceName != "pkg.Svc" || c.method != "Get" ||
		c.message != "msg" || !reflect.DeepEqual(c.metadata, [][2]string{{"k", "v"}}) {
		t.Errorf("grpc call = %+v", c)
	}
	rec.events = nil
	vm.onGrpcReceiveInitialMetadata(1, id, 2)
	vm.onGrpcReceive(1, id, 5)
	vm.onGrpcReceiveTrailingMetadata(1, id, 1)
	vm.onGrpcClose(1, id, 0)
	checkEvents(t, rec,
		fmt.Sprintf("initial metadata %d 2, active 2", id), fmt.Sprintf("receive %d 5, active 2", id),
		fmt.Sprintf("trailing metadata %d 1", id), fmt.Sprintf("close %d 0", id))
	if _, ok := vm.roots[1].grpcCallouts[id]; ok {
		t.Error("callout kept after close")
	}

	// After close, or with a nil handler, events go to the plugin context.
	vm.onGrpcReceive(1, id, 1)
	sid, err := GrpcStream("cluster", "pkg.Svc", "Watch", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vm.onGrpcClose(1, sid, 14)
	checkEvents(t, rec, fmt.Sprintf("plugin grpc receive %d 1", id), fmt.Sprintf("plugin grpc close %d 14", sid))

	// Cancel forgets the callout; close forgets unary calls but not streams.
	vm.onRequestHeaders(2, 1, true)
	cid, _ := GrpcCall("c", "s", "m", nil, nil, 0, handler)
	sid, _ = GrpcStream("c", "s", "m", nil, handler)
	uid, _ := GrpcCall("c", "s", "m", nil, nil, 0, handler)
	if err := GrpcCancel(cid); err != nil {
		t.Fatal(err)
	}
	if err := GrpcClose(sid); err != nil {
		t.Fatal(err)
	}
	if err := GrpcClose(uid); err != nil {
		t.Fatal(err)
	}
	calls := vm.roots[1].grpcCallouts
	if _, ok := calls[cid]; ok {
		t.Error("cancelled call kept")
	}
	if _, ok := calls[uid]; ok {
		t.Error("closed unary call kept")
	}
	if _, ok := calls[sid]; !ok {
		t.Error("half-closed stream forgotten")
	}
}

func TestCalloutOutsideContext(t *testing.T) {
	h := newFakeHost(t)
	if _, err := DispatchHttpCall("c", nil, nil, nil, 0, nil); err == nil {
		t.Error("DispatchHttpCall outside a context succeeded")
	}
	if _, err := GrpcCall("c", "s", "m", nil, nil, 0, nil); err == nil {
		t.Error("GrpcCall outside a context succeeded")
	}
	if len(h.httpCalls)+len(h.grpcCalls) != 0 {
		t.Error("the host was called")
	}
}
