package host

import (
	"context"
	"testing"
)

func TestProxySharedData(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	get := func(key string) (Status, string, uint32) {
		kp, kn := tr.str(key)
		pp, sp, cas := tr.slot(), tr.slot(), tr.slot()
		var st Status
		tr.in(&tr.root.hctx, func() { st = tr.st("proxy_get_shared_data", kp, kn, pp, sp, cas) })
		if st != StatusOK {
			return st, "", 0
		}
		return st, string(tr.out(pp, sp)), tr.u32(cas)
	}
	set := func(key, value string, cas uint32) Status {
		kp, kn := tr.str(key)
		vp, vn := tr.str(value)
		var st Status
		tr.in(&tr.root.hctx, func() { st = tr.st("proxy_set_shared_data", kp, kn, vp, vn, uint64(cas)) })
		return st
	}
	if st, _, _ := get("k"); st != StatusNotFound {
		t.Errorf("missing key: %v", st)
	}
	expect(t, "new key with any cas", set("k", "v1", 12345), StatusOK)
	_, v, cas1 := get("k")
	if v != "v1" || cas1 == 0 {
		t.Errorf("got %q cas %d", v, cas1)
	}
	expect(t, "stale cas", set("k", "v2", cas1+100), StatusCASMismatch)
	expect(t, "matching cas", set("k", "v2", cas1), StatusOK)
	expect(t, "old cas after a write", set("k", "v3", cas1), StatusCASMismatch)
	expect(t, "cas 0 is unconditional", set("k", "v4", 0), StatusOK)
	_, v, cas2 := get("k")
	if v != "v4" || cas2 == cas1 {
		t.Errorf("got %q cas %d (first cas %d)", v, cas2, cas1)
	}
	expect(t, "empty value", set("empty", "", 0), StatusOK)
	if st, v, _ := get("empty"); st != StatusOK || v != "" {
		t.Errorf("empty value: %v %q", st, v)
	}
	// Partitioned by vm_id: another VM with another id does not see it.
	other, err := tr.rt.NewVM(context.Background(), tr.vm.mod, VMConfig{ID: "vm2"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	if _, _, ok := tr.rt.SharedData("vm2", "k"); ok {
		t.Error("shared data must be partitioned by vm_id")
	}
	if v, _, ok := tr.rt.SharedData("vm1", "k"); !ok || string(v) != "v4" {
		t.Errorf("embedder view: %q %v", v, ok)
	}
	kp, _ := tr.str("k")
	tr.in(&tr.root.hctx, func() {
		expect(t, "bad cas pointer", tr.st("proxy_get_shared_data", kp, 1, 0, 0, 16<<16), StatusInvalidMemoryAccess)
	})
}

func TestProxySharedQueue(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	name, nn := tr.str("events")
	vmid, vn := tr.str("vm1")
	id, id2 := tr.slot(), tr.slot()
	tr.in(&tr.root.hctx, func() {
		expect(t, "resolve unregistered", tr.st("proxy_resolve_shared_queue", 0, 0, name, nn, id), StatusNotFound)
		expect(t, "register", tr.st("proxy_register_shared_queue", name, nn, id), StatusOK)
		expect(t, "resolve with empty vm_id", tr.st("proxy_resolve_shared_queue", 0, 0, name, nn, id2), StatusOK)
	})
	if tr.u32(id) == 0 || tr.u32(id) != tr.u32(id2) {
		t.Fatalf("register %d resolve %d", tr.u32(id), tr.u32(id2))
	}
	tr.in(&tr.root.hctx, func() {
		expect(t, "resolve with explicit vm_id", tr.st("proxy_resolve_shared_queue", vmid, vn, name, nn, id2), StatusOK)
	})
	q := uint64(tr.u32(id))
	pp, sp := tr.slot(), tr.slot()
	a, an := tr.str("first")
	b, bn := tr.str("second")
	tr.in(&tr.root.hctx, func() {
		expect(t, "dequeue empty", tr.st("proxy_dequeue_shared_queue", q, pp, sp), StatusEmpty)
		expect(t, "enqueue unknown", tr.st("proxy_enqueue_shared_queue", 999, a, an), StatusNotFound)
		expect(t, "dequeue unknown", tr.st("proxy_dequeue_shared_queue", 999, pp, sp), StatusNotFound)
		expect(t, "enqueue", tr.st("proxy_enqueue_shared_queue", q, a, an), StatusOK)
		expect(t, "enqueue", tr.st("proxy_enqueue_shared_queue", q, b, bn), StatusOK)
		expect(t, "dequeue", tr.st("proxy_dequeue_shared_queue", q, pp, sp), StatusOK)
	})
	if got := string(tr.out(pp, sp)); got != "first" {
		t.Errorf("FIFO: got %q", got)
	}
	tr.in(&tr.root.hctx, func() { expect(t, "dequeue", tr.st("proxy_dequeue_shared_queue", q, pp, sp), StatusOK) })
	if got := string(tr.out(pp, sp)); got != "second" {
		t.Errorf("FIFO: got %q", got)
	}
}

func TestProxyMetrics(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	define := func(typ uint64, name string) (Status, uint32) {
		np, nn := tr.str(name)
		out := tr.slot()
		var st Status
		tr.in(&tr.root.hctx, func() { st = tr.st("proxy_define_metric", typ, np, nn, out) })
		return st, tr.u32(out)
	}
	_, c1 := define(0, "requests")
	_, g1 := define(1, "inflight")
	_, h1 := define(2, "latency_ms")
	_, c2 := define(0, "requests")
	if c1 != 4 || g1 != 5 || h1 != 6 || c2 != 8 {
		t.Errorf("ids counter %d gauge %d histogram %d counter again %d; want 4 5 6 8", c1, g1, h1, c2)
	}
	if st, _ := define(3, "bad"); st != StatusBadArgument {
		t.Errorf("type 3: %v", st)
	}
	neg := uint64(0xFFFFFFFFFFFFFFFF) // -1 as i64
	out := tr.slot()
	tr.in(&tr.root.hctx, func() {
		expect(t, "counter +1", tr.st("proxy_increment_metric", uint64(c1), 1), StatusOK)
		expect(t, "same counter through the second id", tr.st("proxy_increment_metric", uint64(c2), 2), StatusOK)
		expect(t, "counter -1", tr.st("proxy_increment_metric", uint64(c1), neg), StatusBadArgument)
		expect(t, "counter 0", tr.st("proxy_increment_metric", uint64(c1), 0), StatusBadArgument)
		expect(t, "counter record adds", tr.st("proxy_record_metric", uint64(c1), 10), StatusOK)
		expect(t, "gauge +5", tr.st("proxy_increment_metric", uint64(g1), 5), StatusOK)
		expect(t, "gauge -1", tr.st("proxy_increment_metric", uint64(g1), neg), StatusOK)
		expect(t, "histogram increment", tr.st("proxy_increment_metric", uint64(h1), 1), StatusBadArgument)
		expect(t, "histogram record", tr.st("proxy_record_metric", uint64(h1), 42), StatusOK)
		expect(t, "histogram get", tr.st("proxy_get_metric", uint64(h1), out), StatusBadArgument)
		expect(t, "unknown", tr.st("proxy_get_metric", 1000, out), StatusNotFound)
		expect(t, "unknown increment", tr.st("proxy_increment_metric", 1000, 1), StatusNotFound)
		expect(t, "unknown record", tr.st("proxy_record_metric", 1000, 1), StatusNotFound)
		expect(t, "get counter", tr.st("proxy_get_metric", uint64(c1), out), StatusOK)
	})
	if tr.u64(out) != 13 {
		t.Errorf("counter %d, want 13", tr.u64(out))
	}
	if m := tr.rt.Metrics().Get(MetricGauge, "inflight"); m == nil || m.Value() != 4 {
		t.Errorf("embedder view of the gauge: %+v", m)
	}
	tr.in(&tr.root.hctx, func() { tr.st("proxy_record_metric", uint64(g1), 7) })
	if tr.rt.Metrics().Get(MetricGauge, "inflight").Value() != 7 {
		t.Error("record on a gauge sets it")
	}
	if h := tr.rt.Metrics().Get(MetricHistogram, "latency_ms").Histogram(); h.Count != 1 || h.Sum != 42 || h.Buckets[len(h.Buckets)-1] != 1 {
		t.Errorf("histogram %+v", h)
	}
}

func TestProxyProperties(t *testing.T) {
	provider := PropertyFunc(func(path []string) ([]byte, bool) {
		if len(path) == 2 && path[0] == "request" && path[1] == "path" {
			return []byte("/hello"), true
		}
		return nil, false
	})
	nodeProvider := PropertyFunc(func(path []string) ([]byte, bool) {
		if path[0] == "node" || (path[0] == "xds" && len(path) > 1 && path[1] == "node") {
			return []byte("node-proto"), true
		}
		return nil, false
	})
	tr := newTramp(t, ABI021, Config{Properties: nodeProvider})
	s := tr.root.NewHTTPStream(&testHandler{}, provider, nil)
	s.created = true
	get := func(c *hctx, path string) (Status, string) {
		pp, pn := tr.str(path)
		op, os := tr.slot(), tr.slot()
		var st Status
		tr.in(c, func() { st = tr.st("proxy_get_property", pp, pn, op, os) })
		if st != StatusOK {
			return st, ""
		}
		return st, string(tr.out(op, os))
	}
	cases := []struct {
		name string
		ctx  *hctx
		path string
		want Status
		val  string
	}{
		{"plugin_root_id in a root context", &tr.root.hctx, "plugin_root_id", StatusOK, "root1"},
		{"plugin_name in a stream", &s.hctx, "plugin_name", StatusOK, "plug"},
		{"plugin_vm_id", &s.hctx, "plugin_vm_id", StatusOK, "vm1"},
		{"plugin_root_id in the VM context is empty", nil, "plugin_root_id", StatusOK, ""},
		{"stream provider", &s.hctx, "request\x00path", StatusOK, "/hello"},
		{"trailing NUL accepted", &s.hctx, "request\x00path\x00", StatusOK, "/hello"},
		{"runtime provider in a root context", &tr.root.hctx, "xds\x00node", StatusOK, "node-proto"},
		{"request.* in a root context", &tr.root.hctx, "request\x00path", StatusNotFound, ""},
		{"unknown", &s.hctx, "nope", StatusNotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, v := get(c.ctx, c.path)
			if st != c.want || v != c.val {
				t.Errorf("%v %q, want %v %q", st, v, c.want, c.val)
			}
		})
	}
	pp, pn := tr.str("my_prop")
	vp, vn := tr.str("value")
	tr.in(&tr.root.hctx, func() {
		expect(t, "set in a root context", tr.st("proxy_set_property", pp, pn, vp, vn), StatusNotFound)
	})
	tr.in(&s.hctx, func() { expect(t, "set in a stream", tr.st("proxy_set_property", pp, pn, vp, vn), StatusOK) })
	if st, v := get(&s.hctx, "my_prop"); st != StatusOK || v != "value" {
		t.Errorf("get after set: %v %q", st, v)
	}
	if v, ok := s.state.Get("my_prop"); !ok || string(v) != "value" {
		t.Error("set_property must write the stream's filter state, shared with other plugins")
	}
}
