package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/internal/casetest"
	"github.com/wasmesh/wasmesh/oci"
)

// ociUpdateGolden reports -update (or WASMESH_UPDATE_GOLDEN=1): rewrite
// the golden files. The flag is registered in init, after every
// package-level variable, so a test file of this package that declares
// its own -update is found instead of clashing with this one.
var ociUpdateGolden func() bool

func init() {
	if f := flag.Lookup("update"); f != nil {
		ociUpdateGolden = func() bool { return f.Value.String() == "true" }
		return
	}
	b := flag.Bool("update", false, "rewrite testdata/*.golden")
	ociUpdateGolden = func() bool { return *b }
}

// ociGolden compares got with testdata/name.golden.
func ociGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if ociUpdateGolden() || os.Getenv("WASMESH_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run %s -update writes it)", err, t.Name())
	}
	if d := casetest.Diff(string(want), got); d != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", path, d)
	}
}

// ociRun runs the CLI in process.
func ociRun(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errb.String(), err
}

// tinyWasm is a valid, empty module with a custom section naming it, so
// golden digests do not move when the example filters are rebuilt.
func tinyWasm(name string) []byte {
	sec := append([]byte{byte(len(name))}, name...)
	return append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 0, byte(len(sec))}, sec...)
}

// goldenStore fills a store with images of both formats, one with two names.
func goldenStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	s, err := oci.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	put := func(ref string, name string, meta oci.ImageMeta, f oci.Format) {
		img, err := oci.NewImage(tinyWasm(name), meta, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	put("ghcr.io/acme/recorder:1.0", "recorder", oci.ImageMeta{ABIVersions: []string{"0.2.1"}, RootIDs: []string{"recorder"},
		Language: "c", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, oci.FormatOCI)
	put("localhost:5000/addheader:v1", "addheader", oci.ImageMeta{ABIVersions: []string{"0.2.0", "0.2.1"},
		RootIDs: []string{"add_header", "stats"}, Language: "assemblyscript", Readme: []byte("# addheader\n")}, oci.FormatCompat)
	put("plain", "plain", oci.ImageMeta{}, oci.FormatOCI)
	if err := s.Tag("ghcr.io/acme/recorder:1.0", "ghcr.io/acme/recorder:latest"); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImagesGolden(t *testing.T) {
	store := goldenStore(t)
	for _, tc := range []struct{ golden string }{{"images"}, {"images_json"}} {
		args := []string{"images", "--store", store}
		if strings.HasSuffix(tc.golden, "json") {
			args = append(args, "-o", "json")
		}
		out, stderr, err := ociRun(t, "", args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		ociGolden(t, tc.golden, out)
	}
	out, _, err := ociRun(t, "", "images", "--store", filepath.Join(t.TempDir(), "new"))
	if err != nil || out != "REF   DIGEST   SIZE   ABI   ROOT IDS   LANGUAGE   CREATED\n" {
		t.Errorf("empty store: %q, %v", out, err)
	}
	if _, _, err := ociRun(t, "", "images", "--store", store, "-o", "yaml"); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("-o yaml: %v", err)
	}
}

func TestOCICommandsHaveExamples(t *testing.T) {
	root := newRoot()
	for _, name := range []string{"push", "pull", "images", "tag", "rm", "login", "logout"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Fatalf("%s: %v", name, err)
		}
		out, _, err := ociRun(t, "", name, "--help")
		if err != nil || !strings.Contains(out, "Examples:\n  wasmesh "+name) {
			t.Errorf("wasmesh %s --help shows no examples:\n%s", name, out)
		}
	}
}
