package proxywasm

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// Limits applied when decoding a serialized map, the same as the reference
// host's (proxy-wasm-cpp-host include/proxy-wasm/limits.h).
const (
	maxMapPairs = 1024
	maxMapBytes = 1 << 20
)

// serializeMap encodes pairs in the Proxy-Wasm pairs format (ABI doc §4.4):
//
//	u32 LE count
//	count × (u32 LE key length, u32 LE value length)
//	key_0 NUL value_0 NUL key_1 NUL value_1 NUL ...
//
// An empty map encodes as the 4 bytes 00 00 00 00, never as nil, so callers
// can always pass a non-nil pointer.
func serializeMap(pairs [][2]string) []byte {
	size := 4
	for _, p := range pairs {
		size += 8 + len(p[0]) + 1 + len(p[1]) + 1
	}
	buf := make([]byte, size)
	binary.LittleEndian.PutUint32(buf, uint32(len(pairs)))
	off := 4
	for _, p := range pairs {
		binary.LittleEndian.PutUint32(buf[off:], uint32(len(p[0])))
		binary.LittleEndian.PutUint32(buf[off+4:], uint32(len(p[1])))
		off += 8
	}
	for _, p := range pairs {
		off += copy(buf[off:], p[0]) + 1 // the NUL is already 0
		off += copy(buf[off:], p[1]) + 1
	}
	return buf
}

// deserializeMap decodes the pairs format of serializeMap. The three
// spellings of an empty map (no bytes, a single 00 byte, and a zero count)
// decode to nil. Anything else must be exact: each key and value followed by
// one NUL, no trailing bytes, at most 1024 pairs and 1 MiB. It never panics.
func deserializeMap(b []byte) ([][2]string, error) {
	if len(b) == 0 || (len(b) == 1 && b[0] == 0) {
		return nil, nil
	}
	if len(b) > maxMapBytes {
		return nil, fmt.Errorf("proxywasm: serialized map of %d bytes exceeds the 1 MiB limit", len(b))
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("proxywasm: serialized map of %d bytes is shorter than its 4-byte count", len(b))
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > maxMapPairs {
		return nil, fmt.Errorf("proxywasm: serialized map has %d pairs, more than the limit of %d", n, maxMapPairs)
	}
	// Each pair takes at least 8 bytes of sizes and 2 NULs.
	if 4+n*10 > len(b) {
		return nil, fmt.Errorf("proxywasm: serialized map claims %d pairs but has only %d bytes", n, len(b))
	}
	if n == 0 {
		if len(b) != 4 {
			return nil, fmt.Errorf("proxywasm: serialized empty map has %d trailing bytes", len(b)-4)
		}
		return nil, nil
	}
	sizes := b[4 : 4+8*n]
	data := b[4+8*n:]
	pairs := make([][2]string, n)
	off := 0
	for i := range n {
		for j := range 2 {
			l := int(binary.LittleEndian.Uint32(sizes[8*i+4*j:]))
			if l >= len(data)-off { // also rejects lengths that would overflow
				return nil, fmt.Errorf("proxywasm: serialized map pair %d runs past the end of the data", i)
			}
			if data[off+l] != 0 {
				return nil, fmt.Errorf("proxywasm: serialized map pair %d is not NUL-terminated", i)
			}
			pairs[i][j] = string(data[off : off+l])
			off += l + 1
		}
	}
	if off != len(data) {
		return nil, fmt.Errorf("proxywasm: serialized map has %d trailing bytes", len(data)-off)
	}
	return pairs, nil
}

// serializePropertyPath joins the segments of a property path with NUL bytes
// (ABI doc §4.5), without a trailing NUL.
func serializePropertyPath(path []string) []byte {
	return []byte(strings.Join(path, "\x00"))
}

// The decoders below turn property values into Go values (ABI doc §4.6):
// integers and floats are 8 bytes little-endian, booleans one byte,
// timestamps and durations int64 nanoseconds, maps and lists the pairs format.

func decodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("proxywasm: property value has %d bytes, want 8 for an integer", len(b))
	}
	return binary.LittleEndian.Uint64(b), nil
}

func decodeInt64(b []byte) (int64, error) {
	v, err := decodeUint64(b)
	return int64(v), err
}

func decodeFloat64(b []byte) (float64, error) {
	v, err := decodeUint64(b)
	return math.Float64frombits(v), err
}

func decodeBool(b []byte) (bool, error) {
	if len(b) != 1 {
		return false, fmt.Errorf("proxywasm: property value has %d bytes, want 1 for a boolean", len(b))
	}
	return b[0] != 0, nil
}

func decodeTimestamp(b []byte) (time.Time, error) {
	ns, err := decodeInt64(b)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, ns).UTC(), nil
}

func decodeDuration(b []byte) (time.Duration, error) {
	ns, err := decodeInt64(b)
	return time.Duration(ns), err
}

func decodeStringMap(b []byte) (map[string]string, error) {
	pairs, err := deserializeMap(b)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p[0]] = p[1]
	}
	return m, nil
}

func decodeStringSlice(b []byte) ([]string, error) {
	pairs, err := deserializeMap(b)
	if err != nil {
		return nil, err
	}
	s := make([]string, len(pairs))
	for i, p := range pairs {
		s[i] = p[0]
	}
	return s, nil
}
