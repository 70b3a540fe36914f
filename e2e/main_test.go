// Package e2e runs the wasmesh binary on loopback against in-process
// upstreams, with the example Envoy configs unchanged.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmesh-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "wasmesh")
	out, err := exec.Command("go", "build", "-o", binary, "../cmd/wasmesh").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build wasmesh: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running wasmesh.
type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	log   bytes.Buffer
	done  chan struct{}
	admin string
}

// start runs wasmesh in dir with args and waits until the admin endpoint
// says LIVE.
func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, done: make(chan struct{}), admin: "http://127.0.0.1:9901"}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Dir = dir
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("wasmesh output:\n%s", p.output())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.admin + "/ready")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.TrimSpace(string(body)) == "LIVE" {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("wasmesh exited before it was ready:\n%s", p.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("wasmesh not ready after 30s:\n%s", p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLog waits for a line containing sub.
func (p *proc) waitLog(sub string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.output(), sub) {
		if time.Now().After(deadline) {
			p.t.Fatalf("no log line contains %q; output:\n%s", sub, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks the exit code is 0.
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatal("wasmesh did not exit after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Fatalf("exit code %d after SIGTERM", code)
	}
}

// run runs wasmesh to completion and returns its output and exit code.
func run(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("wasmesh %v did not exit within 30s:\n%s", args, out)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// echoServer is the upstream: it answers with the request it received as
// JSON (method, path, headers, body), like httpbin's /anything.
func echoServer(t *testing.T, addr string) *http.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("upstream %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/slow" {
			time.Sleep(500 * time.Millisecond)
		}
		hdrs := map[string]string{"Host": r.Host}
		for k, v := range r.Header {
			hdrs[k] = strings.Join(v, ",")
		}
		w.Header().Set("content-type", "application/json")
		w.Header().Set("x-upstream", "echo")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.RequestURI(), "headers": hdrs, "body": string(body), "proto": r.Proto})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv
}

type echoed struct {
	Method, Path, Body, Proto string
	Headers                   map[string]string
}

func get(t *testing.T, url string, hdrs ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdrs); i += 2 {
		req.Header.Set(hdrs[i], hdrs[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// buildFilter compiles a Go example filter into dir/name.
func buildFilter(t *testing.T, example, dir, name string) {
	t.Helper()
	out := filepath.Join(dir, name)
	if err := wasmbuild.Go(context.Background(), filepath.Join("..", "examples", "go", example), out); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(out) })
}
