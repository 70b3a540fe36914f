package hub

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	// The storage driver and the access controller the hub configures
	// register themselves with distribution's factories.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// realm is the basic-auth realm the hub announces.
const realm = "wasmesh-hub"

// registryConfig is the distribution configuration `wasmesh hub serve` runs:
// filesystem storage, deletes allowed (crane delete, oras manifest delete),
// an in-memory blob descriptor cache, htpasswd auth when asked for, and the
// registry's default validation.
func registryConfig(cfg Config) (*configuration.Configuration, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("hub: secret: %w", err)
	}
	c := &configuration.Configuration{
		Version: "0.1",
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": cfg.Storage},
			"delete":     configuration.Parameters{"enabled": true},
			"cache":      configuration.Parameters{"blobdescriptor": "inmemory"},
		},
	}
	// The secret signs upload state between the requests of one upload.
	c.HTTP.Secret = fmt.Sprintf("%x", secret)
	if cfg.Htpasswd != "" {
		c.Auth = configuration.Auth{htpasswdAuth: htpasswdParams(cfg.Htpasswd)}
	}
	return c, nil
}

const htpasswdAuth = "htpasswd"

func htpasswdParams(path string) configuration.Parameters {
	return configuration.Parameters{"realm": realm, "path": path}
}

// newRegistry builds distribution's registry application, and the access
// controller the API and page share with it when htpasswd auth is on.
// distribution reports configuration errors by panicking; they come back
// here as errors.
func newRegistry(cfg Config) (app *handlers.App, access auth.AccessController, err error) {
	rc, err := registryConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Htpasswd != "" {
		access, err = auth.GetAccessController(htpasswdAuth, htpasswdParams(cfg.Htpasswd))
		if err != nil {
			return nil, nil, fmt.Errorf("hub: htpasswd: %w", err)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			app, access, err = nil, nil, fmt.Errorf("hub: registry: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), rc), access, nil
}

// configureRegistryLog quiets distribution's logrus messages, which go to
// logrus' standard logger: the hub logs every request itself, so only
// warnings and errors are kept, less the routine ones (see quietFormatter).
// With debug, everything is.
func configureRegistryLog(debug bool) {
	l := logrus.StandardLogger()
	if debug {
		l.SetLevel(logrus.DebugLevel)
		if q, ok := l.Formatter.(quietFormatter); ok {
			l.SetFormatter(q.Formatter)
		}
		return
	}
	l.SetLevel(logrus.WarnLevel)
	if _, ok := l.Formatter.(quietFormatter); !ok {
		l.SetFormatter(quietFormatter{l.Formatter})
	}
}

// quietFormatter drops the messages of a registry's normal work: every push
// probes for blobs and manifests that are not there yet (404), and every
// client with credentials is first challenged (401). Server errors stay.
type quietFormatter struct{ logrus.Formatter }

// Format formats e, or nothing for a routine message.
func (f quietFormatter) Format(e *logrus.Entry) ([]byte, error) {
	if strings.HasPrefix(e.Message, "error authorizing context") {
		return nil, nil
	}
	if status, ok := e.Data["http.response.status"].(int); ok && status < 500 {
		return nil, nil
	}
	return f.Formatter.Format(e)
}
