package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wasmesh run: the filter in front of the built-in echo upstream, then a
// request shows the filter's header (on the response and as the upstream
// saw it, for the Go example which adds both).
func TestRun(t *testing.T) {
	dir := t.TempDir()
	buildFilter(t, "addheader", dir, "addheader.wasm")
	cases := []struct {
		name string
		args []string
		hdr  string
		val  string
	}{
		{"assemblyscript file", []string{"../examples/assemblyscript/addheader/filter.wasm", "--config", "world", "--root-id", "add_header"}, "hello", "world"},
		{"go file", []string{filepath.Join(dir, "addheader.wasm"), "--config", `{"header":"x-run","value":"yes"}`}, "x-run", "yes"},
		{"go project directory", []string{"../examples/go/addheader", "--config", `{"header":"x-dir","value":"built"}`}, "x-dir", "built"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary, append([]string{"run", "--listen", "127.0.0.1:10000"}, c.args...)...)
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			lines := make(chan string, 10)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var curl string
			timeout := time.After(60 * time.Second)
			for curl == "" {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatal("wasmesh run exited")
					}
					if strings.HasPrefix(l, "try:  curl -i ") {
						curl = strings.TrimPrefix(l, "try:  curl -i ")
					}
				case <-timeout:
					t.Fatal("no curl line after 60s")
				}
			}
			resp, body := get(t, curl)
			var echoed struct{ Headers map[string]string }
			json.Unmarshal(body, &echoed)
			if resp.Header.Get(c.hdr) != c.val {
				t.Fatalf("%s: response header %q=%q; body %s", curl, c.hdr, resp.Header.Get(c.hdr), body)
			}
		})
	}
}

// --print-config prints an Envoy config that wasmesh envoy accepts.
func TestRunPrintConfig(t *testing.T) {
	out, code := run(t, ".", "run", "../examples/assemblyscript/addheader/filter.wasm", "--root-id", "add_header", "--config", "world", "--print-config")
	if code != 0 || !strings.Contains(out, "envoy.filters.http.wasm") || !strings.Contains(out, `value: "world"`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, code := run(t, dir, "envoy", "-c", "envoy.yaml", "--mode", "validate"); code != 0 {
		t.Fatalf("the printed config does not validate: %s", v)
	}
}
