package oci_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

// anonymous keeps the tests off the developer's docker config.
var anonymous = oci.Options{Keychain: authn.NewMultiKeychain()}

func TestPushPullRoundTrip(t *testing.T) {
	host := ocitest.NewRegistry(t)
	ctx := context.Background()
	wasm := testWasm(t)
	for _, f := range []oci.Format{oci.FormatOCI, oci.FormatCompat} {
		t.Run(f.String(), func(t *testing.T) {
			meta := testMeta
			meta.Readme = []byte("# recorder\n")
			img := mustImage(t, wasm, meta, f)
			ref := host + "/wasmesh/recorder:" + f.String()
			var progress bytes.Buffer
			opts := anonymous
			opts.Progress = &progress
			pushed, err := oci.Push(ctx, img, ref, opts)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := img.Digest(); pushed != want {
				t.Errorf("Push returned %s, the image is %s", pushed, want)
			}
			if !strings.Contains(progress.String(), "pushing sha256:") || !strings.Contains(progress.String(), "digest: "+pushed.String()) {
				t.Errorf("push progress:\n%s", progress.String())
			}

			progress.Reset()
			got, pulled, err := oci.Pull(ctx, ref, opts)
			if err != nil {
				t.Fatal(err)
			}
			if pulled != pushed {
				t.Errorf("pulled %s, pushed %s", pulled, pushed)
			}
			if !strings.Contains(progress.String(), "pulling sha256:") || !strings.Contains(progress.String(), "digest: "+pulled.String()) {
				t.Errorf("pull progress:\n%s", progress.String())
			}
			mod, rc, err := oci.ExtractWasm(got)
			if err != nil || !bytes.Equal(mod, wasm) || rc == nil || rc.RootIDs[0] != "recorder" {
				t.Fatalf("ExtractWasm after pull: %d bytes, %+v, %v", len(mod), rc, err)
			}
			if _, err := istioExtract(got); err != nil {
				t.Errorf("Istio's agent would reject the pulled image: %v", err)
			}

			// By digest, and into the store: the digest survives.
			byDigest := host + "/wasmesh/recorder@" + pushed.String()
			got, _, err = oci.Pull(ctx, byDigest, anonymous)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := oci.OpenStore(t.TempDir())
			if d, err := s.Put(byDigest, got); err != nil || d != pushed {
				t.Errorf("Put: %s, %v", d, err)
			}
		})
	}
}

func TestPullOtherToolsImages(t *testing.T) {
	host := ocitest.NewRegistry(t)
	ctx := context.Background()
	wasm := testWasm(t)
	for _, tc := range []struct{ name, repo string }{{"docker schema2", "docker"}, {"wasme artifact", "wasme"}} {
		t.Run(tc.name, func(t *testing.T) {
			img := dockerImage(t, "plugin.wasm", string(wasm))
			if tc.repo == "wasme" {
				img = wasmeImage(t, wasm)
			}
			ref := host + "/" + tc.repo + "/filter:1"
			if err := writeRemote(t, ref, img); err != nil {
				t.Fatal(err)
			}
			got, digest, err := oci.Pull(ctx, ref, anonymous)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := img.Digest(); digest != want {
				t.Errorf("digest %s, want %s", digest, want)
			}
			mod, _, err := oci.ExtractWasm(got)
			if err != nil || !bytes.Equal(mod, wasm) {
				t.Errorf("ExtractWasm: %d bytes, %v", len(mod), err)
			}
		})
	}
}

func TestPullRejectsNonWasm(t *testing.T) {
	host := ocitest.NewRegistry(t)
	img, err := random.Image(512, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/library/alpine:3"
	if err := writeRemote(t, ref, img); err != nil {
		t.Fatal(err)
	}
	_, _, err = oci.Pull(context.Background(), ref, anonymous)
	var fe *oci.FormatError
	if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "oci: image "+ref+" is not a Wasm module: 3 layers of types [") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)

	_, _, err = oci.Pull(context.Background(), host+"/library/missing:1", anonymous)
	var nf *oci.NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "missing:1 not found in registry "+host) {
		t.Fatalf("err = %v", err)
	}
	if _, err := oci.Push(context.Background(), img, host+"/library/alpine:4", anonymous); !errors.As(err, &fe) {
		t.Fatalf("Push of a non-Wasm image: %v", err)
	}
}

// writeRemote pushes img with ggcr directly, as other tools would.
func writeRemote(t *testing.T, ref string, img v1.Image) error {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return remote.Write(r, img)
}

func TestLogin(t *testing.T) {
	host := ocitest.NewRegistry(t, ocitest.WithBasicAuth("alice", "s3cret"))
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", home+"/.docker")
	ctx := context.Background()
	img := mustImage(t, testWasm(t), testMeta, oci.FormatOCI)
	ref := host + "/private/recorder:1"

	var ae *oci.AuthError
	if _, err := oci.Push(ctx, img, ref, oci.Options{}); !errors.As(err, &ae) {
		t.Fatalf("anonymous push: %v", err)
	}
	if err := oci.Login(ctx, host, "alice", "wrong", oci.Options{}); !errors.As(err, &ae) || ae.Registry != host {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if err := oci.Login(ctx, host, "alice", "s3cret", oci.Options{}); err != nil {
		t.Fatal(err)
	}
	// The default keychain now finds the credentials in $DOCKER_CONFIG.
	if _, err := oci.Push(ctx, img, ref, oci.Options{}); err != nil {
		t.Fatalf("push after login: %v", err)
	}
	if err := oci.Logout(host); err != nil {
		t.Fatal(err)
	}
	if _, _, err := oci.Pull(ctx, ref, oci.Options{}); !errors.As(err, &ae) {
		t.Fatalf("pull after logout: %v", err)
	}
	// -u/-p without a login.
	if _, _, err := oci.Pull(ctx, ref, oci.Options{Auth: &authn.Basic{Username: "alice", Password: "s3cret"}}); err != nil {
		t.Fatalf("pull with Options.Auth: %v", err)
	}
}
