package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestCommand(t *testing.T) {
	t.Run("go project, golden file matches", func(t *testing.T) {
		out, code := run(t, ".", "test", "../examples/go/addheader")
		if code != 0 || !strings.Contains(out, "2 cases, 2 passed, 0 failed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("assemblyscript module", func(t *testing.T) {
		out, code := run(t, ".", "test", "../examples/assemblyscript/addheader/filter.wasm", "-f", "../examples/assemblyscript/addheader/filter.test.yaml")
		if code != 0 || !strings.Contains(out, "2 passed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("failures are named, exit 1", func(t *testing.T) {
		dir := t.TempDir()
		cases := `filter: { root_id: add_header, config: world }
cases:
- name: wrong expectation
  expect: { status: 201, response_headers: { hello: mars }, upstream_called: false }
`
		os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(cases), 0o644)
		out, code := run(t, ".", "test", "../examples/assemblyscript/addheader/filter.wasm", "-f", filepath.Join(dir, "c.yaml"))
		for _, want := range []string{"FAIL  wrong expectation", "response status: got 200, want 201", `response header hello: got "world", want "mars"`, "upstream called: got true, want false", "0 passed, 1 failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	})
	t.Run("golden drift shows a diff", func(t *testing.T) {
		dir := t.TempDir()
		cases := "filter: { root_id: add_header, config: world }\ncases:\n- name: plain\n"
		os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(cases), 0o644)
		args := []string{"test", "../examples/assemblyscript/addheader/filter.wasm", "-f", filepath.Join(dir, "c.yaml")}
		if out, code := run(t, ".", append(args, "--update")...); code != 0 {
			t.Fatalf("--update: %d %s", code, out)
		}
		golden := filepath.Join(dir, "c.yaml.golden")
		b, _ := os.ReadFile(golden)
		os.WriteFile(golden, []byte(strings.Replace(string(b), "hello: world", "hello: moon", 1)), 0o644)
		out, code := run(t, ".", args...)
		if code != 1 || !strings.Contains(out, "-       hello: moon") || !strings.Contains(out, "+       hello: world") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}
