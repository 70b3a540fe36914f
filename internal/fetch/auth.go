package fetch

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// dockerAuth is one entry of a docker config's "auths".
type dockerAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// keychain resolves registries from the auths of a docker config.
type keychain map[string]dockerAuth

// secretKeychain reads a docker config JSON: {"auths": {...}} (a
// kubernetes.io/dockerconfigjson Secret, ~/.docker/config.json) or the
// bare map of the older .dockercfg format.
func secretKeychain(data []byte) (authn.Keychain, error) {
	var cfg struct {
		Auths map[string]dockerAuth `json:"auths"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, errors.New("not a docker config JSON: " + err.Error())
	}
	if cfg.Auths == nil {
		var bare map[string]dockerAuth
		if json.Unmarshal(data, &bare) == nil {
			cfg.Auths = bare
		}
	}
	kc := keychain{}
	for k, a := range cfg.Auths {
		kc[registryKey(k)] = a
	}
	return kc, nil
}

// registryKey normalizes a docker config key ("https://ghcr.io/v1/",
// "index.docker.io", "localhost:5000") to a registry host.
func registryKey(k string) string {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	k, _, _ = strings.Cut(k, "/")
	if k == "docker.io" || k == "registry-1.docker.io" {
		k = name.DefaultRegistry
	}
	return k
}

// Resolve returns the credentials for the resource's registry, or
// anonymous.
func (kc keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	a, ok := kc[registryKey(r.RegistryStr())]
	if !ok {
		return authn.Anonymous, nil
	}
	cfg := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
	if a.Auth != "" && cfg.Username == "" {
		if b, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
			cfg.Username, cfg.Password, _ = strings.Cut(string(b), ":")
		}
	}
	return authn.FromConfig(cfg), nil
}

// ReadPullSecret interprets the value of ISTIO_META_WASM_IMAGE_PULL_SECRET:
// istiod puts the docker config JSON itself there (the content of the
// WasmPlugin's imagePullSecret); wasmesh also accepts a path to such a
// file, or to a directory holding .dockerconfigjson or config.json (a
// mounted Secret, a docker config directory).
func ReadPullSecret(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if strings.HasPrefix(v, "{") {
		return []byte(v), nil
	}
	st, err := os.Stat(v)
	if err != nil {
		return nil, errors.New("fetch: pull secret: neither docker config JSON nor a readable path: " + err.Error())
	}
	if st.IsDir() {
		for _, n := range []string{".dockerconfigjson", "config.json", ".dockercfg"} {
			if b, err := os.ReadFile(filepath.Join(v, n)); err == nil {
				return b, nil
			}
		}
		return nil, errors.New("fetch: pull secret: directory " + v + " holds no .dockerconfigjson or config.json")
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, errors.New("fetch: pull secret: " + err.Error())
	}
	return b, nil
}
