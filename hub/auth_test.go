package hub

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

func TestHtpasswd(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(file, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, host := startHub(t, Config{Htpasswd: file})
	alice := &authn.Basic{Username: "alice", Password: "s3cret"}

	for _, path := range []string{"/v2/", "/api/modules", "/"} {
		resp, err := http.Get("http://" + host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
			t.Errorf("GET %s without credentials: %d %q", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}

	img := wasmArtifact(t, addHeaderReadme)
	if err := pushErr(host, "filters/addheader:v1", img, nil); err == nil {
		t.Fatal("anonymous push succeeded")
	}
	if err := pushErr(host, "filters/addheader:v1", img, &authn.Basic{Username: "alice", Password: "wrong"}); err == nil {
		t.Fatal("push with a wrong password succeeded")
	}
	push(t, host, "filters/addheader:v1", img, alice)

	hdr := http.Header{"Authorization": {"Basic " + basic("alice", "s3cret")}}
	var list ModuleList
	if code := getJSON(t, host, "/api/modules", &list, hdr); code != 200 || len(list.Modules) != 1 {
		t.Fatalf("API with credentials: %d %+v", code, list)
	}
	ref, _ := name.ParseReference(host+"/filters/addheader:v1", name.Insecure)
	if _, err := remote.Image(ref); err == nil {
		t.Error("anonymous pull succeeded")
	}
	pulled, err := remote.Image(ref, remote.WithAuth(alice))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := pulled.Digest()
	want, _ := img.Digest()
	if got != want || list.Modules[0].Digest != want.String() {
		t.Errorf("pulled %v, listed %v, pushed %v", got, list.Modules[0].Digest, want)
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}
