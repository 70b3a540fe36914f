package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// watToWasm assembles WAT text with wabt's wat2wasm, for small inline
// modules in tests. Tests that need it skip, saying so, when wabt is not
// installed (make test installs it).
func watToWasm(t testing.TB, wat string) []byte {
	t.Helper()
	bin, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm (Debian package wabt) is not installed: skipping an inline-WAT test")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "m.wat"), filepath.Join(dir, "m.wasm")
	if err := os.WriteFile(in, []byte(wat), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(bin, in, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
