package envoyconfig

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// made of *Error, and that a Config it returns is checked again unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	jsons, _ := filepath.Glob("testdata/*.json")
	for _, name := range append(files, jsons...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(httpWasm(`vm_config: {code: {local: {filename: f.wasm}}}`)))
	f.Add([]byte(netFilter(`"@type": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: ` + hcmURL + `, value: {stat_prefix: s}`)))
	f.Add([]byte(`{"staticResources": {"clusters": [{"name": "c", "connectTimeout": "1s"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if len(Errors(err)) == 0 {
				t.Fatalf("error without *Error: %v", err)
			}
			return
		}
		if _, err := Merge(c, c); err != nil {
			t.Fatalf("merging a valid config with itself: %v", err)
		}
	})
}
