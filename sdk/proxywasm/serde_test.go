package proxywasm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSerializeMap(t *testing.T) {
	tests := []struct {
		name  string
		pairs [][2]string
		want  string // hex
	}{
		{"nil", nil, "00000000"},
		{"empty", [][2]string{}, "00000000"},
		{
			// The worked example of the ABI doc §4.4 (25 bytes).
			"doc example", [][2]string{{"a", "1"}, {"b", "22"}},
			"02000000 01000000 01000000 01000000 02000000 6100 3100 6200 323200",
		},
		{"empty key and value", [][2]string{{"", ""}}, "01000000 00000000 00000000 00 00"},
		{"pseudo-header", [][2]string{{":path", "/"}}, "01000000 05000000 01000000 3a7061746800 2f00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serializeMap(tt.pairs)
			if want := unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("serializeMap = % x, want % x", got, want)
			}
		})
	}
}

func TestDeserializeMap(t *testing.T) {
	tests := []struct {
		name    string
		in      string // hex
		want    [][2]string
		wantErr string
	}{
		{name: "no bytes", in: ""},
		{name: "single zero byte", in: "00"},
		{name: "zero count", in: "00000000"},
		{
			name: "doc example",
			in:   "02000000 01000000 01000000 01000000 02000000 6100 3100 6200 323200",
			want: [][2]string{{"a", "1"}, {"b", "22"}},
		},
		{
			name: "duplicate keys kept in order",
			in:   "02000000 01000000 01000000 01000000 01000000 6100 3100 6100 3200",
			want: [][2]string{{"a", "1"}, {"a", "2"}},
		},
		{name: "empty key and value", in: "01000000 00000000 00000000 00 00", want: [][2]string{{"", ""}}},
		{name: "short count", in: "0100", wantErr: "shorter than its 4-byte count"},
		{name: "zero count with trailing bytes", in: "00000000 00", wantErr: "trailing bytes"},
		{name: "count larger than data", in: "02000000 01000000 01000000 6100 3100", wantErr: "claims 2 pairs"},
		{name: "too many pairs", in: "01040000", wantErr: "more than the limit"},
		{name: "missing NUL after key", in: "01000000 01000000 01000000 6178 3100", wantErr: "not NUL-terminated"},
		{name: "value runs past end", in: "01000000 01000000 05000000 6100 3100", wantErr: "runs past the end"},
		{name: "huge length", in: "01000000 ffffffff 01000000 6100 3100", wantErr: "runs past the end"},
		{name: "trailing bytes", in: "01000000 01000000 01000000 6100 3100 00", wantErr: "trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deserializeMap(unhex(t, tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("deserializeMap error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("deserializeMap: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("deserializeMap = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeserializeMapTooLarge(t *testing.T) {
	if _, err := deserializeMap(make([]byte, maxMapBytes+1)); err == nil {
		t.Fatal("deserializeMap accepted more than 1 MiB")
	}
}

func TestMapRoundTrip(t *testing.T) {
	pairs := [][2]string{{":method", "GET"}, {":path", "/x?y=1"}, {"x-empty", ""}, {"", "v"}, {"k", "multi\nline"}}
	got, err := deserializeMap(serializeMap(pairs))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, pairs) {
		t.Errorf("round trip = %q, want %q", got, pairs)
	}
}

// FuzzDeserializeMap checks that the decoder never panics and that anything
// it accepts re-encodes to the same bytes (or is one of the empty spellings).
func FuzzDeserializeMap(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(make([]byte, 4))
	f.Add(serializeMap([][2]string{{"a", "1"}, {"b", "22"}}))
	f.Add(serializeMap([][2]string{{":authority", "example.com"}, {"", ""}}))
	f.Add([]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, err := deserializeMap(b)
		if err != nil {
			if pairs != nil {
				t.Fatalf("error %v with non-nil pairs %q", err, pairs)
			}
			return
		}
		if len(pairs) == 0 {
			if len(b) > 4 {
				t.Fatalf("accepted %d bytes as an empty map", len(b))
			}
			return
		}
		if re := serializeMap(pairs); !bytes.Equal(re, b) {
			t.Fatalf("re-encoding % x gives % x", b, re)
		}
	})
}

func TestSerializePropertyPath(t *testing.T) {
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"plugin_root_id"}, "plugin_root_id"},
		{[]string{"request", "headers", "user-agent"}, "request\x00headers\x00user-agent"},
		{[]string{"a", ""}, "a\x00"},
	}
	for _, tt := range tests {
		if got := string(serializePropertyPath(tt.path)); got != tt.want {
			t.Errorf("serializePropertyPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func TestPropertyDecoders(t *testing.T) {
	ts := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name    string
		decode  func([]byte) (any, error)
		in      []byte
		want    any
		wantErr bool
	}{
		{"uint64", wrap(decodeUint64), le64(8080), uint64(8080), false},
		{"uint64 short", wrap(decodeUint64), []byte{1, 2, 3}, nil, true},
		{"int64 negative", wrap(decodeInt64), le64(uint64(math.MaxUint64)), int64(-1), false},
		{"int64 status code", wrap(decodeInt64), le64(200), int64(200), false},
		{"int64 empty", wrap(decodeInt64), nil, nil, true},
		{"float64", wrap(decodeFloat64), le64(math.Float64bits(1.5)), 1.5, false},
		{"bool true", wrap(decodeBool), []byte{1}, true, false},
		{"bool false", wrap(decodeBool), []byte{0}, false, false},
		{"bool 8 bytes", wrap(decodeBool), le64(1), nil, true},
		{"timestamp", wrap(decodeTimestamp), le64(uint64(ts.UnixNano())), ts, false},
		{"duration", wrap(decodeDuration), le64(uint64(1500 * time.Millisecond)), 1500 * time.Millisecond, false},
		{
			"string map", wrap(decodeStringMap),
			serializeMap([][2]string{{"host", "example.com"}, {"x", "1"}, {"x", "2"}}),
			map[string]string{"host": "example.com", "x": "2"}, false,
		},
		{"string map empty", wrap(decodeStringMap), nil, map[string]string{}, false},
		{"string map malformed", wrap(decodeStringMap), []byte{1, 0, 0}, nil, true},
		{"string slice", wrap(decodeStringSlice), serializeMap([][2]string{{"a", ""}, {"b", ""}}), []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func wrap[T any](f func([]byte) (T, error)) func([]byte) (any, error) {
	return func(b []byte) (any, error) {
		v, err := f(b)
		return v, err
	}
}
