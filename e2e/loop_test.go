package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The whole developer loop with the real binary: init -> build -> push to
// `wasmesh hub serve` -> pull into a clean store -> run -> a request shows
// the filter's header. For Go, and for AssemblyScript when npm works.
func TestDeveloperLoop(t *testing.T) {
	repo := mustAbs(t, "..")
	hub := exec.Command(binary, "hub", "serve", "--addr", "127.0.0.1:15000", "--storage", t.TempDir())
	hub.Stdout, hub.Stderr = io.Discard, io.Discard
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { hub.Process.Kill(); hub.Wait() }()
	waitHTTP(t, "http://127.0.0.1:15000/v2/")

	for _, lang := range []string{"go", "assemblyscript"} {
		t.Run(lang, func(t *testing.T) {
			if lang == "assemblyscript" {
				if _, err := exec.LookPath("npx"); err != nil {
					t.Skip("node/npm are not installed: apt-get install nodejs npm")
				}
			}
			work := t.TempDir()
			dev := []string{"WASMESH_HOME=" + filepath.Join(work, "dev")}
			ops := []string{"WASMESH_HOME=" + filepath.Join(work, "ops")}
			proj := filepath.Join(work, "myfilter")
			ref := "127.0.0.1:15000/filters/" + lang + ":v1"
			runEnv(t, dev, "init", proj, "--language", lang, "--root-id", "my_root", "--wasmesh-src", repo)
			if lang == "assemblyscript" {
				if out, err := runNpm(proj); err != nil {
					t.Skipf("npm ci failed (no registry access?): %v\n%s", err, out)
				}
			}
			runEnv(t, dev, "build", proj, "-t", ref, "--root-id", "my_root")
			runEnv(t, dev, "push", "--plain-http", ref)
			digest := strings.TrimSpace(runEnv(t, ops, "pull", "--plain-http", ref))
			if !strings.HasPrefix(digest, "sha256:") {
				t.Fatalf("pull printed %q, want the digest", digest)
			}
			cmd := exec.Command(binary, "run", ref, "--listen", "127.0.0.1:10000", "--config", "x-loop=works")
			cmd.Env = append(os.Environ(), ops...)
			if lang == "go" {
				cmd.Args[len(cmd.Args)-1] = `{"header":"x-loop","value":"works"}`
			}
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			sc := bufio.NewScanner(stdout)
			url := ""
			for url == "" && sc.Scan() {
				if l := sc.Text(); strings.HasPrefix(l, "try:  curl -i ") {
					url = strings.TrimPrefix(l, "try:  curl -i ")
				}
			}
			if url == "" {
				t.Fatal("wasmesh run printed no curl line")
			}
			resp, body := get(t, url)
			if resp.Header.Get("x-loop") != "works" {
				t.Fatalf("x-loop=%q headers %v body %s", resp.Header.Get("x-loop"), resp.Header, body)
			}
		})
	}
}

func runEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("wasmesh %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func runNpm(dir string) ([]byte, error) {
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not answering", url)
}
