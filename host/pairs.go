package host

import "encoding/binary"

// Limits the reference host puts on serialized maps a guest hands in.
const (
	maxPairsBytes = 1 << 20
	maxPairs      = 1024
)

// pairsSize is the size of h in the ABI's map serialization (doc §4.4):
// u32 count, count × (u32 key size, u32 value size), then each key and
// value followed by a NUL.
func pairsSize(h *Headers) int {
	n := 4
	for _, f := range h.fields {
		n += 8 + len(f.name) + 1 + len(f.value) + 1
	}
	return n
}

// encodePairs writes h into dst, which must be pairsSize(h) bytes long.
func encodePairs(dst []byte, h *Headers) {
	binary.LittleEndian.PutUint32(dst, uint32(len(h.fields)))
	sizes := dst[4:]
	data := dst[4+8*len(h.fields):]
	for i, f := range h.fields {
		binary.LittleEndian.PutUint32(sizes[8*i:], uint32(len(f.name)))
		binary.LittleEndian.PutUint32(sizes[8*i+4:], uint32(len(f.value)))
		n := copy(data, f.name)
		data[n] = 0
		data = data[n+1:]
		n = copy(data, f.value)
		data[n] = 0
		data = data[n+1:]
	}
}

// EncodePairs returns h in the ABI's map serialization; an empty map is
// returned as nil, the host's (0, 0).
func EncodePairs(h *Headers) []byte {
	if h == nil || h.Len() == 0 {
		return nil
	}
	b := make([]byte, pairsSize(h))
	encodePairs(b, h)
	return b
}

// validPairs reports whether b is a well-formed serialized map within the
// reference host's limits, and how many pairs it holds. Empty input (size 0)
// is valid with 0 pairs.
func validPairs(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if len(b) < 4 || len(b) > maxPairsBytes {
		return 0, false
	}
	n := binary.LittleEndian.Uint32(b)
	if n > maxPairs || uint64(len(b)) < 4+8*uint64(n) {
		return 0, false
	}
	off := uint64(4 + 8*n)
	for i := uint32(0); i < n; i++ {
		k := uint64(binary.LittleEndian.Uint32(b[4+8*i:]))
		v := uint64(binary.LittleEndian.Uint32(b[8+8*i:]))
		off += k
		if off >= uint64(len(b)) || b[off] != 0 {
			return 0, false
		}
		off += 1 + v
		if off >= uint64(len(b)) || b[off] != 0 {
			return 0, false
		}
		off++
	}
	if off != uint64(len(b)) {
		return 0, false
	}
	return int(n), true
}

// decodePairsInto appends the pairs of b to h (names lower-cased). Malformed
// input decodes as no pairs, silently, as in the reference host; the result
// says whether b was well formed.
func decodePairsInto(h *Headers, b []byte) bool {
	n, ok := validPairs(b)
	if !ok || n == 0 {
		return ok
	}
	data := b[4+8*n:]
	for i := 0; i < n; i++ {
		k := int(binary.LittleEndian.Uint32(b[4+8*i:]))
		v := int(binary.LittleEndian.Uint32(b[8+8*i:]))
		add(h, data[:k], data[k+1:k+1+v])
		data = data[k+1+v+1:]
	}
	return true
}

// DecodePairs decodes a serialized map. Malformed input yields ok=false and
// an empty map.
func DecodePairs(b []byte) (h *Headers, ok bool) {
	h = &Headers{}
	ok = decodePairsInto(h, b)
	return h, ok
}
