package host

import (
	"bytes"
	"testing"
)

func TestProxyGetHeaderMapValue(t *testing.T) {
	for _, abi := range []ABIVersion{ABI021, ABI010} {
		t.Run("abi "+abi.String(), func(t *testing.T) {
			tr := newTramp(t, abi, Config{})
			s := tr.stream(nil)
			s.maps[MapRequestHeaders] = pairs(":path", "/x", "Cookie", "a=1", "cookie", "b=2")
			missing := StatusNotFound
			if abi == ABI010 {
				missing = StatusOK
			}
			cases := []struct {
				name  string
				mt    uint64
				key   string
				log   bool
				want  Status
				value string
			}{
				{"first of repeated values", 0, "cookie", false, StatusOK, "a=1"},
				{"case-insensitive key", 0, "COOKIE", false, StatusOK, "a=1"},
				{"pseudo-header", 0, ":path", false, StatusOK, "/x"},
				{"missing key", 0, "nope", false, missing, ""},
				{"map not available now", 2, "x", false, StatusBadArgument, ""},
				{"map type above 7", 8, "x", false, StatusBadArgument, ""},
				{"missing map in on_log", 2, "x", true, missing, ""},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					kp, kn := tr.str(c.key)
					pp, sp := tr.slot(), tr.slot()
					s.inLog = c.log
					s.logMaps[MapRequestHeaders] = s.maps[MapRequestHeaders]
					tr.in(&s.hctx, func() { expect(t, "get value", tr.st("proxy_get_header_map_value", c.mt, kp, kn, pp, sp), c.want) })
					s.inLog = false
					if c.want == StatusOK {
						if got := string(tr.out(pp, sp)); got != c.value {
							t.Errorf("value %q, want %q", got, c.value)
						}
					}
				})
			}
		})
	}
}

func TestProxyGetHeaderMapPairs(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	s := tr.stream(nil)
	s.maps[MapRequestHeaders] = pairs("a", "1", "b", "22")
	pp, sp := tr.slot(), tr.slot()
	tr.in(&s.hctx, func() { expect(t, "pairs", tr.st("proxy_get_header_map_pairs", 0, pp, sp), StatusOK) })
	// The worked example of doc §4.4, byte for byte.
	want := []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 0, '1', 0, 'b', 0, '2', '2', 0}
	if got := tr.out(pp, sp); !bytes.Equal(got, want) {
		t.Errorf("pairs % x\nwant  % x", got, want)
	}
	heap := tr.heap()
	tr.in(&s.hctx, func() {
		expect(t, "unavailable map is OK and empty", tr.st("proxy_get_header_map_pairs", 2, pp, sp), StatusOK)
	})
	if tr.out(pp, sp) != nil || tr.heap() != heap {
		t.Error("an unavailable map must give (0, 0) without allocating")
	}
	tr.in(&s.hctx, func() {
		expect(t, "map type above 7", tr.st("proxy_get_header_map_pairs", 8, pp, sp), StatusBadArgument)
		expect(t, "bad out pointer", tr.st("proxy_get_header_map_pairs", 0, 16<<16, sp), StatusInvalidMemoryAccess)
	})
}

func TestProxySetHeaderMapPairs(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"replaces every entry, keys lower-cased", EncodePairs(pairs("X-A", "1", "x-a", "2")), "x-a: 1\nx-a: 2\n"},
		{"size 0 clears", nil, ""},
		{"00 00 00 00 clears", []byte{0, 0, 0, 0}, ""},
		{"single 00 clears", []byte{0}, ""},
		{"malformed clears (reference host)", []byte{1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 'a', 0, 'b', 0}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := tr.stream(nil)
			h := pairs("old", "v")
			s.maps[MapResponseHeaders] = h
			p, n := tr.put(c.in)
			tr.in(&s.hctx, func() { expect(t, "set pairs", tr.st("proxy_set_header_map_pairs", 2, p, n), StatusOK) })
			if got := h.String(); got != c.want {
				t.Errorf("map %q, want %q", got, c.want)
			}
		})
	}
	s := tr.stream(nil)
	tr.in(&s.hctx, func() {
		expect(t, "unavailable map", tr.st("proxy_set_header_map_pairs", 2, 0, 0), StatusBadArgument)
		expect(t, "http call response headers are read-only", tr.st("proxy_set_header_map_pairs", 6, 0, 0), StatusBadArgument)
	})
}

func TestProxyHeaderMapMutations(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	cases := []struct {
		name string
		fn   string
		key  string
		val  string
		want string
	}{
		{"add appends another entry", "proxy_add_header_map_value", "X-Tag", "b", "x-tag: a\nother: o\nx-tag: b\n"},
		{"replace keeps one entry in place", "proxy_replace_header_map_value", "x-tag", "z", "x-tag: z\nother: o\n"},
		{"replace adds an absent key", "proxy_replace_header_map_value", "new", "n", "x-tag: a\nother: o\nx-tag: a2\nnew: n\n"},
		{"remove removes every entry", "proxy_remove_header_map_value", "X-TAG", "", "other: o\n"},
		{"remove of an absent key is OK", "proxy_remove_header_map_value", "absent", "", "x-tag: a\nother: o\nx-tag: a2\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := tr.stream(nil)
			h := pairs("x-tag", "a", "other", "o")
			if c.fn != "proxy_add_header_map_value" {
				h.Add("x-tag", "a2")
			}
			s.maps[MapRequestHeaders] = h
			kp, kn := tr.str(c.key)
			vp, vn := tr.str(c.val)
			tr.in(&s.hctx, func() {
				var st Status
				if c.fn == "proxy_remove_header_map_value" {
					st = tr.st(c.fn, 0, kp, kn)
				} else {
					st = tr.st(c.fn, 0, kp, kn, vp, vn)
				}
				expect(t, c.fn, st, StatusOK)
			})
			if got := h.String(); got != c.want {
				t.Errorf("map %q, want %q", got, c.want)
			}
		})
	}
	s := tr.stream(nil)
	s.inLog = true
	s.logMaps[MapResponseHeaders] = pairs("a", "b")
	kp, kn := tr.str("k")
	tr.in(&s.hctx, func() {
		expect(t, "maps are read-only in on_log", tr.st("proxy_add_header_map_value", 2, kp, kn, kp, kn), StatusBadArgument)
		expect(t, "request trailers are not available in on_log", tr.st("proxy_remove_header_map_value", 1, kp, kn), StatusBadArgument)
		expect(t, "map type above 7", tr.st("proxy_replace_header_map_value", 8, kp, kn, kp, kn), StatusBadArgument)
		expect(t, "key out of bounds", tr.st("proxy_add_header_map_value", 2, 16<<16, 1, kp, kn), StatusInvalidMemoryAccess)
	})
}

func TestProxyGetHeaderMapSize(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	s := tr.stream(nil)
	s.maps[MapRequestHeaders] = pairs(":path", "/abc", "x", "yz")
	out := tr.slot()
	tr.in(&s.hctx, func() {
		expect(t, "size", tr.st("proxy_get_header_map_size", 0, out), StatusOK)
		expect(t, "unavailable", tr.st("proxy_get_header_map_size", 2, out), StatusBadArgument)
		expect(t, "type above 7", tr.st("proxy_get_header_map_size", 8, out), StatusBadArgument)
	})
	if got := tr.u32(out); got != 5+4+1+2 {
		t.Errorf("size %d, want the byte size of names and values (12)", got)
	}
}

func TestTrailersCreatedInLastBodyCallback(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	h := &testHandler{}
	s := tr.stream(h)
	kp, kn := tr.str("grpc-status")
	vp, vn := tr.str("0")
	tr.in(&s.hctx, func() {
		expect(t, "before the last chunk", tr.st("proxy_add_header_map_value", 3, kp, kn, vp, vn), StatusBadArgument)
	})
	s.lastBody[StreamResponse] = true
	tr.in(&s.hctx, func() {
		expect(t, "in the last chunk", tr.st("proxy_add_header_map_value", 3, kp, kn, vp, vn), StatusOK)
	})
	if h.trailers[StreamResponse] == nil || h.trailers[StreamResponse].String() != "grpc-status: 0\n" {
		t.Errorf("trailers must be created through the handler: %v", h.trailers[StreamResponse])
	}
}

func TestCalloutMapsAreReadOnly(t *testing.T) {
	tr := newTramp(t, ABI021, Config{})
	resp := &HTTPCallResponse{Headers: pairs(":status", "200"), Trailers: pairs("t", "1")}
	kp, kn := tr.str(":status")
	pp, sp := tr.slot(), tr.slot()
	tr.in(&tr.root.hctx, func() {
		tr.vm.scope.httpResponse = resp
		expect(t, "read", tr.st("proxy_get_header_map_value", 6, kp, kn, pp, sp), StatusOK)
		expect(t, "write", tr.st("proxy_add_header_map_value", 6, kp, kn, kp, kn), StatusBadArgument)
	})
	if got := string(tr.out(pp, sp)); got != "200" {
		t.Errorf(":status %q", got)
	}
}
