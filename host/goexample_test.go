package host

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

var goExamples sync.Map // name -> []byte

// goExample builds examples/go/<name> (or testdata/<name>) with the stock Go toolchain (wasip1,
// c-shared), once per test process.
func goExample(t testing.TB, name string) []byte {
	t.Helper()
	if b, ok := goExamples.Load(name); ok {
		return b.([]byte)
	}
	dir := filepath.Join("..", "examples", "go", name)
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Join("testdata", name)
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	if err := wasmbuild.Go(context.Background(), dir, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	goExamples.Store(name, b)
	return b
}

func compileGoExample(t testing.TB, rt *Runtime, name string) *Module {
	t.Helper()
	m, err := rt.Compile(context.Background(), goExample(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
