package deploy

import (
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wasmesh/wasmesh/deploy/k8stest"
)

// TestMain stops the API server the Kubernetes tests start.
func TestMain(m *testing.M) { os.Exit(k8stest.Main(m)) }

// noCreds is a keychain without credentials, so the developer's docker
// config plays no part.
type noCreds struct{}

func (noCreds) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }
