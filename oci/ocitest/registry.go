// Package ocitest runs a real OCI registry, the CNCF distribution
// registry, in process for tests: storage in memory, served over plain
// HTTP on 127.0.0.1, optionally behind htpasswd basic authentication.
//
//	host := ocitest.NewRegistry(t)                      // "127.0.0.1:41234"
//	host := ocitest.NewRegistry(t, ocitest.WithBasicAuth("alice", "s3cret"))
//
// ggcr (and so package oci) speaks plain HTTP to 127.0.0.1 by itself.
// Set OCITEST_LOG=1 to see the registry's logs.
package ocitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// The registry's parts register themselves by name.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// Option configures NewRegistry.
type Option func(t testing.TB, cfg *configuration.Configuration)

// WithBasicAuth makes the registry require user and password (htpasswd,
// bcrypt), as `docker login` and Options.Auth provide them.
func WithBasicAuth(user, password string) Option {
	return func(t testing.TB, cfg *configuration.Configuration) {
		t.Helper()
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("ocitest: bcrypt: %v", err)
		}
		path := filepath.Join(t.TempDir(), "htpasswd")
		if err := os.WriteFile(path, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatalf("ocitest: %v", err)
		}
		cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "ocitest", "path": path}}
	}
}

var quietLogs sync.Once

// NewRegistry starts a registry on 127.0.0.1 and returns its "host:port".
// It is stopped when the test ends.
func NewRegistry(t testing.TB, opts ...Option) string {
	t.Helper()
	quietLogs.Do(func() {
		// The registry logs every 404 (ggcr probes blobs before uploading
		// them) at error level; OCITEST_LOG=1 shows its logs.
		if os.Getenv("OCITEST_LOG") == "" {
			logrus.SetOutput(io.Discard)
		}
	})
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory":    configuration.Parameters{},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
			"delete":      configuration.Parameters{"enabled": true},
		},
	}
	cfg.Log.AccessLog.Disabled = true
	cfg.Log.Level = "error"
	cfg.HTTP.Secret = hex.EncodeToString(secret)
	for _, o := range opts {
		o(t, cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)
	srv := httptest.NewServer(http.Handler(app))
	t.Cleanup(func() {
		srv.Close()
		_ = app.Shutdown()
		cancel()
	})
	return srv.Listener.Addr().String()
}
