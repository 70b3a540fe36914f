package host

import (
	"bytes"
	"testing"
)

func TestPairsRoundTrip(t *testing.T) {
	cases := []*Headers{
		pairs(),
		pairs("a", "1"),
		pairs(":method", "GET", "x", "", "", "empty-key", "dup", "1", "dup", "2"),
	}
	for _, h := range cases {
		b := EncodePairs(h)
		if h.Len() == 0 && b != nil {
			t.Errorf("an empty map must encode as nil (the host's (0, 0))")
		}
		got, ok := DecodePairs(b)
		if !ok || got.String() != h.String() {
			t.Errorf("round trip of %q: %q ok=%v", h.String(), got.String(), ok)
		}
	}
}

func TestDecodePairsRejects(t *testing.T) {
	valid := EncodePairs(pairs("a", "1"))
	cases := map[string][]byte{
		"shorter than a count":       {1, 0},
		"count larger than the data": {9, 0, 0, 0, 1, 0, 0, 0},
		"missing NUL after key":      append(append([]byte{}, valid[:len(valid)-4]...), 'x', '1', 0, 0),
		"trailing bytes":             append(append([]byte{}, valid...), 0),
		"more than 1024 pairs":       append(le32(1025), make([]byte, 1025*8+2050)...),
		"sizes overflow":             append(le32(1), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0),
		"over 1 MiB":                 append(le32(0), make([]byte, 1<<20)...),
	}
	for name, b := range cases {
		h, ok := DecodePairs(b)
		if ok || h.Len() != 0 {
			t.Errorf("%s: decoded %d pairs ok=%v, want rejection as an empty map", name, h.Len(), ok)
		}
	}
}

// FuzzDecodePairs: the decoder never panics; what it accepts re-encodes to
// the same bytes (modulo lower-casing of keys).
func FuzzDecodePairs(f *testing.F) {
	f.Add(EncodePairs(pairs("a", "1", "b", "22")))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0})
	f.Add(append(le32(2), make([]byte, 20)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := DecodePairs(b)
		if !ok {
			if h.Len() != 0 {
				t.Fatal("rejected input must decode as empty")
			}
			return
		}
		if h.Len() == 0 {
			return
		}
		if got := EncodePairs(h); !bytes.Equal(got, bytes.ToLower(b)) && len(got) != len(b) {
			t.Fatalf("re-encoding changed the size: %d != %d", len(got), len(b))
		}
	})
}

func FuzzParseBinary(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x07\x05\x01\x01a\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseBinary(b) // must not panic
	})
}

func TestHeadersOps(t *testing.T) {
	h := &Headers{}
	h.Add("Content-Type", "text/plain")
	h.Add("x-a", "1")
	h.Add("X-A", "2")
	if v, _ := h.Get("content-type"); v != "text/plain" {
		t.Errorf("Get is case-insensitive, got %q", v)
	}
	if vs := h.Values("x-a"); len(vs) != 2 || vs[1] != "2" {
		t.Errorf("Values: %v", vs)
	}
	h.Set("x-a", "3")
	if h.String() != "content-type: text/plain\nx-a: 3\n" {
		t.Errorf("Set: %q", h.String())
	}
	h.Del("CONTENT-TYPE")
	if h.Len() != 1 || h.ByteSize() != 4 {
		t.Errorf("Del: %q size %d", h.String(), h.ByteSize())
	}
	c := h.Clone()
	h.Reset()
	if c.String() != "x-a: 3\n" || h.Len() != 0 {
		t.Errorf("Clone must survive Reset of the original: %q", c.String())
	}
}
