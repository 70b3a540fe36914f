// Package wasmbuild compiles Go Proxy-Wasm filters with the stock Go
// toolchain: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
package wasmbuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Go builds the main package in dir into the file out.
func Go(ctx context.Context, dir, out string) error {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("wasmbuild: %w", err)
	}
	cmd := exec.CommandContext(ctx, goBinary(), "build", "-buildmode=c-shared", "-trimpath", "-o", absOut, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("wasmbuild: go build in %s: %w\n%s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// goBinary is the go command that runs this process's tests when there is
// one (GOROOT/bin/go), else the one on PATH.
func goBinary() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
