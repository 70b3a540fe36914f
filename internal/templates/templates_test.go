package templates

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRenderEveryLanguage(t *testing.T) {
	langs := Languages()
	if !slices.Equal(langs, []string{"assemblyscript", "c", "cpp", "go", "rust", "tinygo"}) {
		t.Fatalf("languages: %v", langs)
	}
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "My Filter!")
			d, err := NewData(dir, "my_root", "")
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != "my-filter" || d.WasmeshVersion != WasmeshVersion {
				t.Errorf("data: %+v", d)
			}
			written, err := Render(lang, dir, d)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(written, "README.md") || !slices.Contains(written, ".gitignore") {
				t.Errorf("%s: wrote %v", lang, written)
			}
			for _, f := range written {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), "<%") || strings.HasSuffix(f, ".tmpl") {
					t.Errorf("%s: %s was not rendered", lang, f)
				}
			}
			readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
			if !strings.Contains(string(readme), "my_root") || !strings.Contains(string(readme), "## Build") || !strings.Contains(string(readme), "## Test") {
				t.Errorf("%s README lacks the root id or build/test sections", lang)
			}
			if _, err := Render(lang, dir, d); !errors.Is(err, ErrExists) {
				t.Errorf("second render: %v, want ErrExists", err)
			}
		})
	}
	if _, err := Render("cobol", t.TempDir(), Data{}); err == nil || !strings.HasPrefix(err.Error(), "templates: no template") {
		t.Errorf("unknown language: %v", err)
	}
}

func TestGoModAgainstCheckout(t *testing.T) {
	src, _ := filepath.Abs("../..")
	dir := filepath.Join(t.TempDir(), "f")
	d, err := NewData(dir, "r", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render("go", dir, d); err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	for _, want := range []string{"module f\n", "go " + GoVersion + "\n", "replace github.com/wasmesh/wasmesh => " + src + "\n", "github.com/tetratelabs/wazero v"} {
		if !strings.Contains(string(mod), want) {
			t.Errorf("go.mod lacks %q:\n%s", want, mod)
		}
	}
	if sum, _ := os.ReadFile(filepath.Join(dir, "go.sum")); len(sum) == 0 {
		t.Error("no go.sum copied from the checkout")
	}
	// Without a checkout: the released version, no replace, no go.sum.
	dir2 := filepath.Join(t.TempDir(), "g")
	d2, _ := NewData(dir2, "r", "")
	if _, err := Render("go", dir2, d2); err != nil {
		t.Fatal(err)
	}
	mod2, _ := os.ReadFile(filepath.Join(dir2, "go.mod"))
	if !strings.Contains(string(mod2), "require github.com/wasmesh/wasmesh "+WasmeshVersion) || strings.Contains(string(mod2), "replace") {
		t.Errorf("go.mod:\n%s", mod2)
	}
	if _, err := NewData(dir, "r", t.TempDir()); err == nil {
		t.Error("a directory without go.mod is not a checkout")
	}
}

// GoVersion must stay the go directive of this module, which generated
// projects build against.
func TestGoVersionMatchesModule(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\ngo "+GoVersion+"\n") {
		t.Errorf("go.mod's go directive is not %s", GoVersion)
	}
}
