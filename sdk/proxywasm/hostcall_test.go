//go:build !wasip1

package proxywasm

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

func TestStatusToError(t *testing.T) {
	tests := []struct {
		status abi.Status
		want   error
	}{
		{abi.StatusOK, nil},
		{abi.StatusNotFound, types.ErrorStatusNotFound},
		{abi.StatusBadArgument, types.ErrorStatusBadArgument},
		{abi.StatusSerializationFailure, types.ErrorStatusSerializationFailure},
		{abi.StatusParseFailure, types.ErrorStatusParseFailure},
		{abi.StatusBadExpression, types.ErrorStatusBadExpression},
		{abi.StatusInvalidMemoryAccess, types.ErrorStatusInvalidMemoryAccess},
		{abi.StatusEmpty, types.ErrorStatusEmpty},
		{abi.StatusCasMismatch, types.ErrorStatusCasMismatch},
		{abi.StatusResultMismatch, types.ErrorStatusResultMismatch},
		{abi.StatusInternalFailure, types.ErrorInternalFailure},
		{abi.StatusBrokenConnection, types.ErrorStatusBrokenConnection},
		{abi.StatusUnimplemented, types.ErrorUnimplemented},
	}
	for _, tt := range tests {
		if got := statusToError(tt.status); got != tt.want {
			t.Errorf("statusToError(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
	if err := statusToError(13); err == nil || !strings.Contains(err.Error(), "unknown status code 13") {
		t.Errorf("statusToError(13) = %v", err)
	}
}

func TestNativeBuildWithoutHostPanics(t *testing.T) {
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, "proxy_log") || !strings.Contains(msg, "GOOS=wasip1") {
			t.Errorf("panic = %v, want a message naming proxy_log and GOOS=wasip1", r)
		}
	}()
	restore := abi.SetHost(nil)
	defer restore()
	LogInfo("hello")
}

func TestHeaders(t *testing.T) {
	h := newFakeHost(t)

	// OK with (0, 0) from proxy_get_header_map_pairs means "nothing".
	if _, err := GetHttpRequestHeaders(); err != types.ErrorStatusNotFound {
		t.Errorf("GetHttpRequestHeaders on an empty map: %v, want ErrorStatusNotFound", err)
	}
	if _, err := GetHttpRequestHeader("x"); err != types.ErrorStatusNotFound {
		t.Errorf("GetHttpRequestHeader(missing): %v", err)
	}

	must(t, ReplaceHttpRequestHeaders([][2]string{{":method", "GET"}, {":path", "/a"}}))
	must(t, AddHttpRequestHeader("X-Hello", "world"))
	must(t, AddHttpRequestHeader("x-hello", "again"))
	must(t, ReplaceHttpRequestHeader(":path", "/b"))
	got, err := GetHttpRequestHeaders()
	must(t, err)
	want := [][2]string{{":method", "GET"}, {"x-hello", "world"}, {"x-hello", "again"}, {":path", "/b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headers = %q, want %q", got, want)
	}
	if v, err := GetHttpRequestHeader("X-HELLO"); err != nil || v != "world" {
		t.Errorf("GetHttpRequestHeader = %q, %v", v, err)
	}
	must(t, RemoveHttpRequestHeader("x-hello"))
	if _, err := GetHttpRequestHeader("x-hello"); err != types.ErrorStatusNotFound {
		t.Errorf("after remove: %v", err)
	}
	if n, err := GetHeaderMapSize(types.MapTypeHttpRequestHeaders); err != nil || n != len(":methodGET:path/b") {
		t.Errorf("GetHeaderMapSize = %d, %v", n, err)
	}

	// Each accessor uses its own map type.
	type access struct {
		add  func(k, v string) error
		get  func(k string) (string, error)
		list func() ([][2]string, error)
		mt   types.MapType
	}
	for _, a := range []access{
		{AddHttpRequestTrailer, GetHttpRequestTrailer, GetHttpRequestTrailers, types.MapTypeHttpRequestTrailers},
		{AddHttpResponseHeader, GetHttpResponseHeader, GetHttpResponseHeaders, types.MapTypeHttpResponseHeaders},
		{AddHttpResponseTrailer, GetHttpResponseTrailer, GetHttpResponseTrailers, types.MapTypeHttpResponseTrailers},
	} {
		must(t, a.add("k", "v"))
		if !reflect.DeepEqual(h.maps[a.mt], [][2]string{{"k", "v"}}) {
			t.Errorf("map %d = %q", a.mt, h.maps[a.mt])
		}
		if v, err := a.get("k"); v != "v" || err != nil {
			t.Errorf("map %d get = %q, %v", a.mt, v, err)
		}
		if l, err := a.list(); len(l) != 1 || err != nil {
			t.Errorf("map %d list = %q, %v", a.mt, l, err)
		}
	}
	h.maps[types.MapTypeHttpCallResponseHeaders] = [][2]string{{":status", "200"}}
	if l, err := GetHttpCallResponseHeaders(); err != nil || l[0][1] != "200" {
		t.Errorf("GetHttpCallResponseHeaders = %q, %v", l, err)
	}
	h.maps[types.MapTypeGrpcReceiveInitialMetadata] = [][2]string{{"a", "b"}}
	if l, err := GetGrpcReceiveInitialMetadata(); err != nil || len(l) != 1 {
		t.Errorf("GetGrpcReceiveInitialMetadata = %q, %v", l, err)
	}
}

func TestBodies(t *testing.T) {
	h := newFakeHost(t)
	if _, err := GetHttpResponseBody(0, 10); err != types.ErrorStatusNotFound {
		t.Errorf("empty body: %v, want ErrorStatusNotFound", err)
	}
	h.buffers[types.BufferTypeHttpResponseBody] = []byte("hello world")
	tests := []struct {
		start, max int
		want       string
		err        error
	}{
		{0, 11, "hello world", nil},
		{0, math.MaxInt32, "hello world", nil},
		{6, 100, "world", nil},
		{20, 5, "", types.ErrorStatusNotFound}, // clamped to nothing
		{5, math.MaxInt, " world", nil},        // max size clamped below 2^32
	}
	for _, tt := range tests {
		got, err := GetHttpResponseBody(tt.start, tt.max)
		if string(got) != tt.want || err != tt.err {
			t.Errorf("GetHttpResponseBody(%d, %d) = %q, %v; want %q, %v", tt.start, tt.max, got, err, tt.want, tt.err)
		}
	}
	if _, err := GetHttpResponseBody(-1, 1); err == nil {
		t.Error("negative start accepted")
	}

	must(t, ReplaceHttpResponseBody([]byte("bye")))
	must(t, AppendHttpResponseBody([]byte("!")))
	must(t, PrependHttpResponseBody([]byte("<")))
	if got := string(h.buffers[types.BufferTypeHttpResponseBody]); got != "<bye!" {
		t.Errorf("body = %q", got)
	}
	must(t, ReplaceHttpResponseBody(nil))
	if got := h.buffers[types.BufferTypeHttpResponseBody]; len(got) != 0 {
		t.Errorf("body after empty replace = %q", got)
	}
	if err := SetBufferBytes(types.BufferTypeHttpResponseBody, -1, 0, nil); err == nil {
		t.Error("SetBufferBytes accepted a negative start")
	}

	for _, f := range []struct {
		bt  types.BufferType
		set func([]byte) error
		get func(int, int) ([]byte, error)
	}{
		{types.BufferTypeHttpRequestBody, AppendHttpRequestBody, GetHttpRequestBody},
		{types.BufferTypeDownstreamData, AppendDownstreamData, GetDownstreamData},
		{types.BufferTypeUpstreamData, AppendUpstreamData, GetUpstreamData},
	} {
		must(t, f.set([]byte("abc")))
		if got, err := f.get(1, 1); string(got) != "b" || err != nil {
			t.Errorf("buffer %d = %q, %v", f.bt, got, err)
		}
		if n, _, err := GetBufferStatus(f.bt); n != 3 || err != nil {
			t.Errorf("GetBufferStatus(%d) = %d, %v", f.bt, n, err)
		}
	}

	if _, err := GetPluginConfiguration(); err != types.ErrorStatusNotFound {
		t.Errorf("empty plugin configuration: %v", err)
	}
	h.buffers[types.BufferTypePluginConfiguration] = []byte(`{"a":1}`)
	h.buffers[types.BufferTypeVMConfiguration] = []byte("vm")
	h.buffers[types.BufferTypeCallData] = []byte("args")
	if b, err := GetPluginConfiguration(); string(b) != `{"a":1}` || err != nil {
		t.Errorf("GetPluginConfiguration = %q, %v", b, err)
	}
	if b, err := GetVMConfiguration(); string(b) != "vm" || err != nil {
		t.Errorf("GetVMConfiguration = %q, %v", b, err)
	}
	if b, err := GetForeignFunctionArguments(); string(b) != "args" || err != nil {
		t.Errorf("GetForeignFunctionArguments = %q, %v", b, err)
	}
}

func TestStreamControl(t *testing.T) {
	h := newFakeHost(t)
	must(t, ResumeHttpRequest())
	must(t, ResumeHttpResponse())
	must(t, ContinueTcpStream())
	if err := ContinueStream(types.StreamTypeUpstream); err != types.ErrorUnimplemented {
		t.Errorf("ContinueStream(upstream) = %v", err)
	}
	must(t, CloseDownstream())
	must(t, CloseUpstream())
	must(t, CloseStream(types.StreamTypeRequest))
	wantCont := []types.StreamType{types.StreamTypeRequest, types.StreamTypeResponse, types.StreamTypeDownstream}
	wantClose := []types.StreamType{types.StreamTypeDownstream, types.StreamTypeUpstream, types.StreamTypeRequest}
	if !reflect.DeepEqual(h.continued, wantCont) || !reflect.DeepEqual(h.closed, wantClose) {
		t.Errorf("continued %v closed %v", h.continued, h.closed)
	}
}

func TestSendHttpResponse(t *testing.T) {
	h := newFakeHost(t)
	must(t, SendHttpResponse(403, [][2]string{{"content-type", "text/plain"}}, []byte("access forbidden"), -1))
	must(t, SendHttpResponseWithDetails(200, "ok details", nil, nil, 0))
	want := []fakeReply{
		{403, "", [][2]string{{"content-type", "text/plain"}}, "access forbidden", -1},
		{200, "ok details", nil, "", 0},
	}
	if !reflect.DeepEqual(h.localReplies, want) {
		t.Errorf("replies = %+v", h.localReplies)
	}
}

func TestDispatchHttpCallArguments(t *testing.T) {
	h := newFakeHost(t)
	startPlugin(t, &testVM{rec: &recorder{}})
	headers := [][2]string{{":method", "POST"}, {":path", "/auth"}, {":authority", "auth"}}
	id, err := DispatchHttpCall("auth", headers, []byte("body"), nil, 1500, nil)
	must(t, err)
	if id != 4 {
		t.Errorf("callout id = %d", id)
	}
	c := h.httpCalls[0]
	if c.cluster != "auth" || !reflect.DeepEqual(c.headers, headers) || c.body != "body" || c.timeout != 1500 {
		t.Errorf("call = %+v", c)
	}
	if string(c.trailers) != "\x00\x00\x00\x00" {
		t.Errorf("empty trailers sent as % x, want 00 00 00 00", c.trailers)
	}
	if _, err := DispatchHttpCall("unknown", headers, nil, nil, 0, nil); err != types.ErrorStatusBadArgument {
		t.Errorf("unknown cluster: %v", err)
	}
	if len(vm.roots[1].httpCallouts) != 1 {
		t.Errorf("callouts = %v", vm.roots[1].httpCallouts)
	}
	// A nil callback is allowed.
	vm.onHttpCallResponse(1, id, 0, 0, 0)

	h.maps[types.MapTypeHttpCallResponseHeaders] = [][2]string{{":status", "200"}}
	h.buffers[types.BufferTypeHttpCallResponseBody] = []byte("ok")
	if b, err := GetHttpCallResponseBody(0, 10); string(b) != "ok" || err != nil {
		t.Errorf("GetHttpCallResponseBody = %q, %v", b, err)
	}
	if _, err := GetHttpCallResponseTrailers(); err != types.ErrorStatusNotFound {
		t.Errorf("GetHttpCallResponseTrailers = %v", err)
	}
}

func TestSharedData(t *testing.T) {
	newFakeHost(t)
	if _, _, err := GetSharedData("k"); err != types.ErrorStatusNotFound {
		t.Errorf("missing key: %v", err)
	}
	must(t, SetSharedData("k", []byte("1"), 0))
	v, cas, err := GetSharedData("k")
	must(t, err)
	if string(v) != "1" || cas == 0 {
		t.Errorf("GetSharedData = %q, %d", v, cas)
	}
	must(t, SetSharedData("k", []byte("2"), cas))
	if err := SetSharedData("k", []byte("3"), cas); err != types.ErrorStatusCasMismatch {
		t.Errorf("stale cas: %v, want ErrorStatusCasMismatch", err)
	}
	must(t, SetSharedData("empty", nil, 0))
	if v, _, err := GetSharedData("empty"); len(v) != 0 || err != nil {
		t.Errorf("empty value = %q, %v", v, err)
	}
}

func TestSharedQueue(t *testing.T) {
	newFakeHost(t)
	id, err := RegisterSharedQueue("events")
	must(t, err)
	if rid, err := ResolveSharedQueue("", "events"); rid != id || err != nil {
		t.Errorf("ResolveSharedQueue = %d, %v", rid, err)
	}
	if _, err := ResolveSharedQueue("", "nope"); err != types.ErrorStatusNotFound {
		t.Errorf("unknown queue: %v", err)
	}
	must(t, EnqueueSharedQueue(id, []byte("/a")))
	must(t, EnqueueSharedQueue(id, nil))
	if b, err := DequeueSharedQueue(id); string(b) != "/a" || err != nil {
		t.Errorf("dequeue = %q, %v", b, err)
	}
	if b, err := DequeueSharedQueue(id); len(b) != 0 || err != nil {
		t.Errorf("dequeue empty item = %q, %v", b, err)
	}
	if _, err := DequeueSharedQueue(id); err != types.ErrorStatusEmpty {
		t.Errorf("dequeue on empty queue: %v, want ErrorStatusEmpty", err)
	}
	if err := EnqueueSharedQueue(99, []byte("x")); err != types.ErrorStatusNotFound {
		t.Errorf("enqueue unknown: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	h := newFakeHost(t)
	c := DefineCounterMetric("requests_total")
	c.Increment(2)
	c.Increment(0) // no host call: Envoy rejects 0 for counters
	c.Increment(1)
	if c.Value() != 3 {
		t.Errorf("counter = %d", c.Value())
	}
	g := DefineGaugeMetric("active")
	g.Add(5)
	g.Add(-2)
	if v, err := g.Get(); v != 3 || err != nil {
		t.Errorf("gauge = %d, %v", v, err)
	}
	g.Set(10)
	if g.Value() != 10 {
		t.Errorf("gauge after Set = %d", g.Value())
	}
	hist := DefineHistogramMetric("latency")
	hist.Record(42)
	if _, err := hist.Get(); err != types.ErrorStatusBadArgument {
		t.Errorf("histogram Get = %v", err)
	}
	if err := IncrementMetric(uint32(hist), 1); err != types.ErrorStatusBadArgument {
		t.Errorf("increment histogram = %v", err)
	}
	if _, err := DefineMetric(3, "bad"); err != types.ErrorStatusBadArgument {
		t.Errorf("DefineMetric(3) = %v", err)
	}
	if _, err := GetMetric(1000); err != types.ErrorStatusNotFound {
		t.Errorf("GetMetric(unknown) = %v", err)
	}
	if len(h.metrics) != 3 {
		t.Errorf("metrics = %v", h.metrics)
	}

	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "get metric") {
			t.Errorf("histogram Value panic = %q, want a get metric error", msg)
		}
	}()
	hist.Value()
}

func TestProperties(t *testing.T) {
	h := newFakeHost(t)
	if _, err := GetProperty(nil); err == nil {
		t.Error("empty path accepted")
	}
	if err := SetProperty(nil, []byte("x")); err == nil {
		t.Error("empty path accepted")
	}
	ts := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	h.properties["request\x00path"] = []byte("/x")
	h.properties["response\x00code"] = le64(503)
	h.properties["connection\x00id"] = le64(77)
	h.properties["connection\x00mtls"] = []byte{1}
	h.properties["request\x00time"] = le64(uint64(ts.UnixNano()))
	h.properties["request\x00duration"] = le64(uint64(time.Second))
	h.properties["request\x00headers"] = serializeMap([][2]string{{":path", "/x"}, {"host", "h"}})
	h.properties["plugin_root_id"] = nil
	h.properties["ratio"] = le64(math.Float64bits(0.25))
	h.properties["list"] = serializeMap([][2]string{{"a", ""}})

	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v; want %#v", name, got, err, want)
		}
	}
	s, err := GetPropertyString([]string{"request", "path"})
	check("path", s, "/x", err)
	code, err := GetPropertyInt64([]string{"response", "code"})
	check("code", code, int64(503), err)
	id, err := GetPropertyUint64([]string{"connection", "id"})
	check("connection id", id, uint64(77), err)
	mtls, err := GetPropertyBool([]string{"connection", "mtls"})
	check("mtls", mtls, true, err)
	tm, err := GetPropertyTimestamp([]string{"request", "time"})
	check("time", tm, ts, err)
	d, err := GetPropertyDuration([]string{"request", "duration"})
	check("duration", d, time.Second, err)
	m, err := GetPropertyStringMap([]string{"request", "headers"})
	check("headers", m, map[string]string{":path": "/x", "host": "h"}, err)
	pairs, err := GetPropertyMap([]string{"request", "headers"})
	check("header pairs", pairs, [][2]string{{":path", "/x"}, {"host", "h"}}, err)
	root, err := GetProperty([]string{"plugin_root_id"})
	check("plugin_root_id", len(root), 0, err)
	f, err := GetPropertyFloat64([]string{"ratio"})
	check("ratio", f, 0.25, err)
	l, err := GetPropertyStringSlice([]string{"list"})
	check("list", l, []string{"a"}, err)

	if _, err := GetPropertyBool([]string{"response", "code"}); err == nil {
		t.Error("8-byte value decoded as bool")
	}
	if _, err := GetPropertyString([]string{"nope"}); err != types.ErrorStatusNotFound {
		t.Errorf("missing property: %v", err)
	}
	must(t, SetProperty([]string{"my", "prop"}, []byte("v")))
	must(t, SetProperty([]string{"empty"}, nil))
	if got := string(h.properties["my\x00prop"]); got != "v" {
		t.Errorf("stored property = %q", got)
	}
}

func TestMiscHostCalls(t *testing.T) {
	h := newFakeHost(t)
	startPlugin(t, &testVM{rec: &recorder{}})

	must(t, SetTickPeriodMilliSeconds(250))
	if h.tickPeriod != 250 {
		t.Errorf("tick period = %d", h.tickPeriod)
	}
	vm.onContextCreate(2, 1)
	must(t, SetEffectiveContext(2))
	if vm.activeID != 2 || h.effective[len(h.effective)-1] != 2 {
		t.Errorf("effective context not recorded: active %d, host %v", vm.activeID, h.effective)
	}
	if err := PluginDone(); err != types.ErrorStatusNotFound || h.doneCalls != 1 {
		t.Errorf("PluginDone = %v (%d calls)", err, h.doneCalls)
	}

	for _, tt := range []struct {
		host uint32
		want types.LogLevel
	}{{0, types.LogLevelTrace}, {2, types.LogLevelInfo}, {5, types.LogLevelCritical}, {6, types.LogLevelCritical}} {
		h.logLevel = tt.host
		if got, err := GetLogLevel(); got != tt.want || err != nil {
			t.Errorf("GetLogLevel with host level %d = %v, %v", tt.host, got, err)
		}
	}
	if ns, err := GetCurrentTimeNanoseconds(); ns != 1_700_000_000_000_000_000 || err != nil {
		t.Errorf("GetCurrentTimeNanoseconds = %d, %v", ns, err)
	}

	h.statusCode, h.statusMessage = 11, "reset"
	if code, msg, err := GetStatus(); code != 11 || msg != "reset" || err != nil {
		t.Errorf("GetStatus = %d, %q, %v", code, msg, err)
	}

	h.foreign["compress"] = func(b []byte) ([]byte, abi.Status) { return append([]byte("z:"), b...), abi.StatusOK }
	h.foreign["clear_route_cache"] = func([]byte) ([]byte, abi.Status) { return nil, abi.StatusOK }
	if out, err := CallForeignFunction("compress", []byte("data")); string(out) != "z:data" || err != nil {
		t.Errorf("CallForeignFunction = %q, %v", out, err)
	}
	if out, err := CallForeignFunction("clear_route_cache", nil); out != nil || err != nil {
		t.Errorf("CallForeignFunction without result = %q, %v", out, err)
	}
	if _, err := CallForeignFunction("nope", nil); err != types.ErrorStatusNotFound {
		t.Errorf("unknown foreign function: %v", err)
	}

	h.logs = nil
	LogTrace("t")
	LogDebugf("d%d", 1)
	LogInfo("i")
	LogWarnf("w%s", "!")
	LogError("e")
	LogCriticalf("c")
	want := []string{"trace: t", "debug: d1", "info: i", "warn: w!", "error: e", "critical: c"}
	if !reflect.DeepEqual(h.logs, want) {
		t.Errorf("logs = %q", h.logs)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
