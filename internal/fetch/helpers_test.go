package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

// addHeader is the AssemblyScript AddHeader filter (root id add_header).
func addHeader(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "assemblyscript", "addheader", "filter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// variant returns wasm with a custom section appended: another valid
// module, with another digest.
func variant(wasm []byte, tag string) []byte {
	sec := append([]byte{byte(len(tag))}, tag...)
	out := append([]byte{}, wasm...)
	return append(append(out, 0, byte(len(sec))), sec...)
}

// registry is an in-process registry behind a proxy that counts the
// requests ggcr makes: blob GETs (downloads) and manifest requests.
type registry struct {
	backend             string // the registry itself, for pushes that are not counted
	host                string // the counting proxy, what fetches use
	blobGets, manifests atomic.Int64
}

func newRegistry(t *testing.T, opts ...ocitest.Option) *registry {
	t.Helper()
	r := &registry{backend: ocitest.NewRegistry(t, opts...)}
	target, _ := url.Parse("http://" + r.backend)
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case strings.Contains(req.URL.Path, "/blobs/") && req.Method == http.MethodGet:
			r.blobGets.Add(1)
		case strings.Contains(req.URL.Path, "/manifests/"):
			r.manifests.Add(1)
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = srv.Listener.Addr().String()
	return r
}

// push stores wasm as repo:tag (an oci artifact) and returns the manifest
// digest.
func (r *registry) push(t *testing.T, wasm []byte, ref string, opts ...oci.Options) string {
	t.Helper()
	img, err := oci.NewImage(wasm, oci.ImageMeta{RootIDs: []string{"add_header"}}, oci.FormatOCI)
	if err != nil {
		t.Fatal(err)
	}
	o := oci.Options{Keychain: noCreds{}}
	if len(opts) > 0 {
		o = opts[0]
	}
	d, err := oci.Push(context.Background(), img, r.backend+"/"+ref, o)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func (r *registry) url(ref string) string { return "oci://" + r.host + "/" + ref }

// counts returns (blob GETs, manifest requests) so far.
func (r *registry) counts() (int64, int64) { return r.blobGets.Load(), r.manifests.Load() }

// noCreds keeps the user's docker config out of the tests.
type noCreds struct{}

func (noCreds) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// quick are fetch options with short, bounded retries.
func quick() Options {
	return Options{Attempts: 2, Backoff: 10 * time.Millisecond, Timeout: 20 * time.Second, Registry: oci.Options{Keychain: noCreds{}}}
}

func newFetcher(t *testing.T, dir string) *Fetcher {
	t.Helper()
	f, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustGet(t *testing.T, f *Fetcher, u string, o Options) *Module {
	t.Helper()
	m, err := f.Get(context.Background(), u, o)
	if err != nil {
		t.Fatalf("Get %s: %v", u, err)
	}
	return m
}
