package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func tarOf(files map[string][]byte, dirs ...string) []byte {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, d := range dirs {
		w.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	for name, b := range files {
		w.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
		w.Write(b)
	}
	w.Close()
	return buf.Bytes()
}

func TestFetchHTTPBodies(t *testing.T) {
	wasm := addHeader(t)
	bodies := map[string][]byte{
		"/raw.wasm":    wasm,
		"/plugin.gz":   gz(wasm),
		"/plugin.tar":  tarOf(map[string][]byte{"plugin.wasm": wasm}, "dir/"),
		"/plugin.tgz":  gz(tarOf(map[string][]byte{"x/plugin.wasm": wasm})),
		"/two.tar":     tarOf(map[string][]byte{"plugin.wasm": wasm, "README.md": []byte("hi")}),
		"/notwasm.txt": []byte("hello"),
	}
	var hits atomic.Int64
	var flaky atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/flaky.wasm" && flaky.Add(1) == 1 {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/flaky.wasm" {
			w.Write(wasm)
			return
		}
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	dir := t.TempDir()
	f := newFetcher(t, dir)

	for _, p := range []string{"/raw.wasm", "/plugin.gz", "/plugin.tar", "/plugin.tgz", "/flaky.wasm"} {
		o := quick()
		o.SHA256 = sum(wasm) // Istio: the sha256 of the module itself
		o.PullPolicy = Always
		if m := mustGet(t, f, srv.URL+p, o); !bytes.Equal(m.Wasm, wasm) || m.FromCache {
			t.Errorf("%s: got %d bytes fromCache=%v", p, len(m.Wasm), m.FromCache)
		}
	}
	// IfNotPresent with a sha256: a module cached under another URL with
	// that digest is used.
	n := hits.Load()
	o := quick()
	o.SHA256 = sum(wasm)
	if m := mustGet(t, newFetcher(t, dir), srv.URL+"/other.wasm", o); !m.FromCache || hits.Load() != n {
		t.Errorf("digest hit: fromCache=%v, %d requests", m.FromCache, hits.Load()-n)
	}
	for p, want := range map[string]string{"/two.tar": "only the plugin", "/notwasm.txt": "not a Wasm module", "/missing.wasm": "404"} {
		n := hits.Load()
		_, err := f.Get(context.Background(), srv.URL+p, quick())
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), srv.URL+p) {
			t.Errorf("%s: err = %v, want %q and the URL", p, err, want)
		}
		if p == "/missing.wasm" && hits.Load()-n != 1 {
			t.Errorf("a 404 was retried (%d requests)", hits.Load()-n)
		}
	}

	// A mismatch names both digests and, for a wrapped body, the body's.
	o = quick()
	o.SHA256 = "sha256:" + strings.Repeat("0", 64)
	o.PullPolicy = Always
	_, err := f.Get(context.Background(), srv.URL+"/plugin.gz", o)
	var me *MismatchError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), sum(wasm)) || !strings.Contains(err.Error(), strings.Repeat("0", 64)) || !strings.Contains(err.Error(), sum(bodies["/plugin.gz"])) {
		t.Errorf("mismatch: %v", err)
	}

	// Cached: IfNotPresent does not ask the server again; Always does.
	n = hits.Load()
	if m := mustGet(t, f, srv.URL+"/plugin.gz", quick()); !m.FromCache {
		t.Error("IfNotPresent: not from cache")
	}
	if hits.Load() != n {
		t.Error("IfNotPresent cache hit made a request")
	}
	o = quick()
	o.PullPolicy = Always
	mustGet(t, f, srv.URL+"/plugin.gz", o)
	if hits.Load() == n {
		t.Error("Always made no request")
	}

	o = quick()
	o.MaxSize = 100
	o.PullPolicy = Always
	if _, err := f.Get(context.Background(), srv.URL+"/raw.wasm", o); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("size cap: %v", err)
	}
}

// An https URL to an insecure (here loopback) host that answers plain
// HTTP is retried without TLS, as istio-agent does.
func TestFetchHTTPSPlainHTTPRetry(t *testing.T) {
	wasm := addHeader(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(wasm) }))
	defer srv.Close()
	u := "https://" + strings.TrimPrefix(srv.URL, "http://") + "/filter.wasm"
	if m := mustGet(t, newFetcher(t, ""), u, quick()); !bytes.Equal(m.Wasm, wasm) {
		t.Error("wrong module")
	}
}

func TestFetchFile(t *testing.T) {
	wasm := addHeader(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "filter.wasm")
	os.WriteFile(path, wasm, 0o644)
	os.WriteFile(filepath.Join(dir, "filter.tgz"), gz(tarOf(map[string][]byte{"plugin.wasm": wasm})), 0o644)
	f := newFetcher(t, "") // no cache directory

	o := quick()
	o.SHA256 = sum(wasm)
	for _, u := range []string{"file://" + path, "file://localhost" + path, "file://" + filepath.Join(dir, "filter.tgz")} {
		if m := mustGet(t, f, u, o); !bytes.Equal(m.Wasm, wasm) || m.FromCache || m.Digest != sum(wasm) {
			t.Errorf("%s: %d bytes, digest %s", u, len(m.Wasm), m.Digest)
		}
	}
	o.SHA256 = strings.Repeat("1", 64)
	var me *MismatchError
	if _, err := f.Get(context.Background(), "file://"+path, o); !errors.As(err, &me) {
		t.Errorf("mismatch: %v", err)
	}
	if _, err := f.Get(context.Background(), "file://"+filepath.Join(dir, "missing.wasm"), quick()); err == nil || !strings.Contains(err.Error(), "missing.wasm") {
		t.Errorf("missing file: %v", err)
	}
	o = quick()
	o.SHA256 = "xyz"
	if _, err := f.Get(context.Background(), "file://"+path, o); err == nil || !strings.Contains(err.Error(), "64 hex") {
		t.Errorf("bad sha256: %v", err)
	}
	if p, err := ParsePullPolicy("Always"); err != nil || p != Always {
		t.Errorf("ParsePullPolicy: %v %v", p, err)
	}
	if _, err := ParsePullPolicy("Sometimes"); err == nil {
		t.Error("ParsePullPolicy accepted Sometimes")
	}
}
