package oci_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wasmesh/wasmesh/oci"
)

func TestParseRuntimeConfigSpellings(t *testing.T) {
	want := &oci.RuntimeConfig{Type: "envoy_proxy", ABIVersions: []string{"v0.2.1"}, RootIDs: []string{"a", "b"}}
	for _, in := range []string{
		`{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["a","b"]}}`,   // wasme
		`{"type":"envoy_proxy","abi_versions":["v0.2.1"],"config":{"root_ids":["a","b"]}}`, // proto names
		`{"type":"envoy_proxy","abi_version":"v0.2.1","config":{"root_ids":["a","b"]}}`,    // spec example
		`{"type":"envoy_proxy","abi_version":" v0.2.1, ","root_ids":["a","b"]}`,            // flattened
	} {
		got, err := oci.ParseRuntimeConfig([]byte(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v, %v", in, got, err)
		}
	}
	if _, err := oci.ParseRuntimeConfig([]byte(`{"abiVersions":"0.2.1"}`)); err == nil ||
		err.Error()[:len("oci: runtime config: ")] != "oci: runtime config: " {
		t.Errorf("a string abiVersions: err = %v", err)
	}
}

// FuzzRuntimeConfig: whatever decodes re-encodes to the canonical form and
// decodes back to the same value.
func FuzzRuntimeConfig(f *testing.F) {
	for _, s := range []string{
		`{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["a"]}}`,
		`{"abi_version":"a,b","root_ids":["x"]}`,
		`{"abi_versions":[],"config":null}`,
		`{"config":{"rootIds":[""]},"rootIds":["y"]}`,
		`[]`, `null`, `{"type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rc, err := oci.ParseRuntimeConfig(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(rc)
		if err != nil {
			t.Fatalf("marshal %+v: %v", rc, err)
		}
		back, err := oci.ParseRuntimeConfig(out)
		if err != nil {
			t.Fatalf("%s does not decode: %v", out, err)
		}
		if !reflect.DeepEqual(rc, back) {
			t.Fatalf("%s -> %+v -> %s -> %+v", data, rc, out, back)
		}
	})
}
