package host

import (
	"math"
	"testing"
)

func TestProxyGetBufferBytes(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	s := tr.stream(nil)
	s.bodies[StreamRequest] = &Buffer{Bytes: []byte("0123456789")}
	cases := []struct {
		name       string
		ctx        *hctx
		scope      callScope
		bt         uint64
		start, max uint64
		want       Status
		data       string
	}{
		{"request body in range", &s.hctx, callScope{}, 0, 2, 3, StatusOK, "234"},
		{"clamped at the end", &s.hctx, callScope{}, 0, 8, 100, StatusOK, "89"},
		{"start past the end is empty", &s.hctx, callScope{}, 0, 20, 5, StatusOK, ""},
		{"overflow of start+max", &s.hctx, callScope{}, 0, 1, math.MaxUint32, StatusBadArgument, ""},
		{"type above 8", &s.hctx, callScope{}, 9, 0, 1, StatusBadArgument, ""},
		{"response body absent is empty", &s.hctx, callScope{}, 1, 0, 10, StatusOK, ""},
		{"vm configuration anywhere", &tr.root.hctx, callScope{}, 6, 0, 100, StatusOK, "vm-config"},
		{"plugin configuration outside on_configure", &tr.root.hctx, callScope{}, 7, 0, 100, StatusNotFound, ""},
		{"plugin configuration in on_configure", &tr.root.hctx, callScope{pluginConfig: []byte("cfg"), hasPluginConfig: true}, 7, 0, 100, StatusOK, "cfg"},
		{"callout body outside the response callback", &tr.root.hctx, callScope{}, 4, 0, 100, StatusNotFound, ""},
		{"callout body in the response callback", &tr.root.hctx, callScope{httpResponse: &HTTPCallResponse{Headers: &Headers{}, Body: []byte("resp")}}, 4, 0, 100, StatusOK, "resp"},
		{"grpc message", &tr.root.hctx, callScope{grpcMessage: []byte("msg"), hasGRPCMessage: true}, 5, 0, 100, StatusOK, "msg"},
		{"foreign arguments", &tr.root.hctx, callScope{foreignArgs: []byte("args")}, 8, 0, 100, StatusOK, "args"},
		{"downstream data outside TCP is empty", &s.hctx, callScope{}, 2, 0, 100, StatusOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pp, sp := tr.slot(), tr.slot()
			heap := tr.heap()
			tr.in(c.ctx, func() {
				tr.vm.scope = c.scope
				expect(t, "get_buffer_bytes", tr.st("proxy_get_buffer_bytes", c.bt, c.start, c.max, pp, sp), c.want)
			})
			if c.want != StatusOK {
				return
			}
			if got := string(tr.out(pp, sp)); got != c.data {
				t.Errorf("got %q, want %q", got, c.data)
			}
			if c.data == "" && tr.heap() != heap {
				t.Error("an empty result must not call the allocator")
			}
		})
	}
	t.Run("allocator failure", func(t *testing.T) {
		pp, sp := tr.slot(), tr.slot()
		tr.failAlloc(true)
		defer tr.failAlloc(false)
		tr.in(&s.hctx, func() {
			expect(t, "get_buffer_bytes", tr.st("proxy_get_buffer_bytes", 0, 0, 10, pp, sp), StatusInvalidMemoryAccess)
		})
	})
	t.Run("bad out pointer", func(t *testing.T) {
		tr.in(&s.hctx, func() {
			expect(t, "get_buffer_bytes", tr.st("proxy_get_buffer_bytes", 0, 0, 10, 16<<16, 0), StatusInvalidMemoryAccess)
		})
	})
}

func TestProxyGetBufferStatus(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	s := tr.stream(nil)
	s.bodies[StreamResponse] = &Buffer{Bytes: []byte("abcdef")}
	size, flags := tr.slot(), tr.slot()
	tr.in(&s.hctx, func() {
		expect(t, "response body", tr.st("proxy_get_buffer_status", 1, size, flags), StatusOK)
		expect(t, "type above 8", tr.st("proxy_get_buffer_status", 9, size, flags), StatusBadArgument)
		expect(t, "plugin configuration", tr.st("proxy_get_buffer_status", 7, size, flags), StatusNotFound)
		expect(t, "bad pointer", tr.st("proxy_get_buffer_status", 1, 16<<16, flags), StatusInvalidMemoryAccess)
	})
	if tr.u32(size) != 6 || tr.u32(flags) != 0 {
		t.Errorf("size %d flags %d, want 6 and 0", tr.u32(size), tr.u32(flags))
	}
}

func TestProxySetBufferBytes(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	cases := []struct {
		name        string
		start, size uint64
		data        string
		want        Status
		body        string
	}{
		{"prepend", 0, 0, "<<", StatusOK, "<<hello"},
		{"replace the first bytes", 0, 2, "J", StatusOK, "Jllo"},
		{"replace all (Go SDK: 0, MaxInt32)", 0, math.MaxInt32, "bye", StatusOK, "bye"},
		{"append at the end", 5, 0, "!", StatusOK, "hello!"},
		{"append (Go SDK: MaxInt32, 0)", math.MaxInt32, 0, "!", StatusOK, "hello!"},
		{"clear", 0, 5, "", StatusOK, ""},
		{"middle is refused as in Envoy", 2, 1, "x", StatusBadArgument, "hello"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := tr.stream(nil)
			s.bodies[StreamRequest] = &Buffer{Bytes: []byte("hello")}
			dp, dn := tr.str(c.data)
			tr.in(&s.hctx, func() {
				expect(t, "set_buffer_bytes", tr.st("proxy_set_buffer_bytes", 0, c.start, c.size, dp, dn), c.want)
			})
			if got := string(s.bodies[StreamRequest].Bytes); got != c.body {
				t.Errorf("body %q, want %q", got, c.body)
			}
		})
	}
	s := tr.stream(nil)
	dp, dn := tr.str("x")
	tr.in(&s.hctx, func() {
		expect(t, "no body in this callback", tr.st("proxy_set_buffer_bytes", 0, 0, 0, dp, dn), StatusBadArgument)
		expect(t, "vm configuration is immutable", tr.st("proxy_set_buffer_bytes", 6, 0, 0, dp, dn), StatusBadArgument)
		expect(t, "type above 8", tr.st("proxy_set_buffer_bytes", 9, 0, 0, dp, dn), StatusBadArgument)
		expect(t, "data out of bounds", tr.st("proxy_set_buffer_bytes", 0, 0, 0, 16<<16, 1), StatusInvalidMemoryAccess)
	})
}

func TestProxyGetConfigurationABI010(t *testing.T) {
	tr := newTramp(t, ABI010, Config{})
	pp, sp := tr.slot(), tr.slot()
	tr.in(&tr.root.hctx, func() { expect(t, "vm config", tr.st("proxy_get_configuration", pp, sp), StatusOK) })
	if got := string(tr.out(pp, sp)); got != "vm-config" {
		t.Errorf("outside on_configure: %q, want the VM configuration", got)
	}
	tr.in(&tr.root.hctx, func() {
		tr.vm.scope.pluginConfig, tr.vm.scope.hasPluginConfig = []byte("plugin-config"), true
		expect(t, "plugin config", tr.st("proxy_get_configuration", pp, sp), StatusOK)
	})
	if got := string(tr.out(pp, sp)); got != "plugin-config" {
		t.Errorf("in on_configure: %q, want the plugin configuration", got)
	}
}
