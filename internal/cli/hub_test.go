package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHubServe runs `wasmesh hub serve` on a free port, asks its API, and
// stops it through the command's context as a signal would.
func TestHubServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRoot()
	root.SetArgs([]string{"hub", "serve", "--addr", "127.0.0.1:0", "--storage", t.TempDir(), "--title", "CLI hub"})
	root.SetOut(pw)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()

	lines := bufio.NewScanner(pr)
	var out []string
	for lines.Scan() {
		out = append(out, lines.Text())
		if strings.HasPrefix(lines.Text(), "push a module:") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(out) != 2 || !strings.HasPrefix(out[0], "wasmesh hub on http://127.0.0.1:") {
		t.Fatalf("output: %q", out)
	}
	base := strings.Fields(out[0])[3]
	addr := strings.TrimPrefix(base, "http://")
	if out[1] != "push a module: wasmesh push --plain-http "+addr+"/name:tag" {
		t.Errorf("hint: %q", out[1])
	}

	resp, err := http.Get(base + "/api/modules")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Modules []any `json:"modules"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || list.Modules == nil {
		t.Errorf("GET /api/modules: %d %v %+v", resp.StatusCode, err, list)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestHubServeBadHtpasswd(t *testing.T) {
	root := newRoot()
	root.SetArgs([]string{"hub", "serve", "--addr", "127.0.0.1:0", "--storage", t.TempDir(), "--htpasswd", "/nonexistent/htpasswd"})
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	err := root.Execute()
	if err == nil || !strings.HasPrefix(err.Error(), "hub: htpasswd:") {
		t.Errorf("error: %v", err)
	}
}
