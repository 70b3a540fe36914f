package oci

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Login checks user and password against registry and, when the registry
// accepts them, saves them the way `docker login` does: in the docker
// config file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), or
// in the credential helper it names. Pushes and pulls then find them
// through authn.DefaultKeychain. Refused credentials are an *AuthError.
func Login(ctx context.Context, registry, user, password string, opts Options) error {
	reg, err := parseRegistry(registry, opts)
	if err != nil {
		return err
	}
	auth := &authn.Basic{Username: user, Password: password}
	if err := checkLogin(ctx, reg, auth, opts); err != nil {
		return err
	}
	cf, err := loadDockerConfig()
	if err != nil {
		return err
	}
	if cf.CredentialsStore == "" {
		cf.CredentialsStore = credentials.DetectDefaultStore("")
	}
	key := authKey(reg)
	ac := types.AuthConfig{Username: user, Password: password, ServerAddress: key}
	if err := cf.GetCredentialsStore(key).Store(ac); err != nil {
		return errorf("save credentials for %s in %s: %w", registry, cf.Filename, err)
	}
	if err := cf.Save(); err != nil {
		return errorf("save credentials for %s in %s: %w", registry, cf.Filename, err)
	}
	return nil
}

// Logout removes the saved credentials of registry, from the docker config
// file or its credential helper. Logging out of a registry with no saved
// credentials is not an error.
func Logout(registry string) error {
	reg, err := parseRegistry(registry, Options{})
	if err != nil {
		return err
	}
	cf, err := loadDockerConfig()
	if err != nil {
		return err
	}
	key := authKey(reg)
	for _, k := range []string{key, "https://" + key, "http://" + key} {
		if _, ok := cf.AuthConfigs[k]; !ok && k != key {
			continue
		}
		if err := cf.GetCredentialsStore(k).Erase(k); err != nil {
			return errorf("remove credentials for %s from %s: %w", registry, cf.Filename, err)
		}
	}
	if err := cf.Save(); err != nil {
		return errorf("remove credentials for %s from %s: %w", registry, cf.Filename, err)
	}
	return nil
}

// parseRegistry accepts "host[:port]" and, as docker does, a URL.
func parseRegistry(registry string, opts Options) (name.Registry, error) {
	host := registry
	for _, p := range []string{"https://", "http://"} {
		host = strings.TrimPrefix(host, p)
	}
	host, _, _ = strings.Cut(host, "/")
	reg, err := name.NewRegistry(host, opts.nameOptions()...)
	if err != nil {
		return name.Registry{}, errorf("invalid registry %q: %w", registry, err)
	}
	return reg, nil
}

// authKey is the docker config key of reg; Docker Hub's is a URL.
func authKey(reg name.Registry) string {
	if reg.RegistryStr() == name.DefaultRegistry {
		return authn.DefaultAuthKey
	}
	return reg.RegistryStr()
}

func dockerConfigDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".docker"
	}
	return filepath.Join(home, ".docker")
}

func loadDockerConfig() (*configfile.ConfigFile, error) {
	cf, err := config.Load(dockerConfigDir())
	if err != nil {
		return nil, errorf("docker config: %w", err)
	}
	return cf, nil
}

// checkLogin authenticates against reg (the token exchange, for registries
// that use tokens) and then asks for /v2/, which needs valid credentials.
func checkLogin(ctx context.Context, reg name.Registry, auth authn.Authenticator, opts Options) error {
	rt, err := transport.NewWithContext(ctx, reg, auth, opts.transport(), []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return classify(err, "login to", reg.RegistryStr(), reg.RegistryStr())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s://%s/v2/", reg.Scheme(), reg.RegistryStr()), nil)
	if err != nil {
		return errorf("login to %s: %w", reg.RegistryStr(), err)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return errorf("login to %s: %w", reg.RegistryStr(), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &AuthError{Registry: reg.RegistryStr(), Err: fmt.Errorf("GET /v2/: %s", resp.Status)}
	default:
		return errorf("login to %s: GET /v2/: %s", reg.RegistryStr(), resp.Status)
	}
}
