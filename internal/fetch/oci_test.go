package fetch

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

func TestFetchOCIDigestMismatchRefused(t *testing.T) {
	reg := newRegistry(t)
	wasm := addHeader(t)
	digest := reg.push(t, wasm, "filters/x:v1")
	f := newFetcher(t, t.TempDir())

	o := quick()
	o.SHA256 = strings.Repeat("ab", 32)
	_, err := f.Get(context.Background(), reg.url("filters/x:v1"), o)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MismatchError", err)
	}
	for _, s := range []string{"fetch: ", reg.url("filters/x:v1"), digest, "sha256:" + o.SHA256} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
	if blobs, _ := reg.counts(); blobs != 0 {
		t.Errorf("%d blob downloads for a mismatched digest, want 0 (the manifest digest is checked first)", blobs)
	}
	// A pinned URL that disagrees with sha256.
	_, err = f.Get(context.Background(), reg.url("filters/x@"+digest), o)
	if !errors.As(err, &me) {
		t.Fatalf("pinned: err = %v, want a *MismatchError", err)
	}
	// The right digest, with or without "sha256:", passes.
	o.SHA256 = digest
	if m := mustGet(t, f, reg.url("filters/x:v1"), o); m.ImageDigest != digest || !bytes.Equal(m.Wasm, wasm) || m.Digest != sum(wasm) {
		t.Errorf("module %s image %s, want %s %s", m.Digest, m.ImageDigest, sum(wasm), digest)
	}
	o.SHA256 = "nil" // what istiod sends without a sha256
	mustGet(t, f, reg.url("filters/x:v1"), o)
}

func TestFetchOCICacheHitSkipsBlobDownload(t *testing.T) {
	reg := newRegistry(t)
	wasm := addHeader(t)
	digest := reg.push(t, wasm, "filters/x:v1")
	dir := t.TempDir()
	u := reg.url("filters/x:v1")

	co := quick()
	co.CacheOnly = true // nack_on_code_cache_miss: a miss is an error, no request
	if _, err := newFetcher(t, dir).Get(context.Background(), u, co); err == nil || !strings.Contains(err.Error(), "not in the module cache") {
		t.Errorf("CacheOnly miss: %v", err)
	}
	if b, mf := reg.counts(); b+mf != 0 {
		t.Errorf("CacheOnly miss made %d requests", b+mf)
	}
	m := mustGet(t, newFetcher(t, dir), u, quick())
	blobs0, manifests0 := reg.counts()
	if m := mustGet(t, newFetcher(t, dir), u, co); !m.FromCache {
		t.Error("CacheOnly hit: not from cache")
	}
	if m.FromCache || blobs0 == 0 || !bytes.Equal(m.Wasm, wasm) || m.ImageDigest != digest {
		t.Fatalf("first fetch: fromCache=%v blobs=%d image=%s", m.FromCache, blobs0, m.ImageDigest)
	}
	if _, err := os.Stat(filepath.Join(dir, "modules", sum(wasm)+".wasm")); err != nil {
		t.Errorf("module not cached by its sha256: %v", err)
	}

	// IfNotPresent, a new Fetcher on the same directory: the registry is
	// not contacted at all.
	wasm2, d, fromCache, err := newFetcher(t, dir).Fetch(context.Background(), u, quick())
	if err != nil || !fromCache || d != sum(wasm) || !bytes.Equal(wasm2, wasm) {
		t.Fatalf("second fetch: fromCache=%v digest=%s err=%v", fromCache, d, err)
	}
	if b, mf := reg.counts(); b != blobs0 || mf != manifests0 {
		t.Errorf("IfNotPresent cache hit made %d blob and %d manifest requests, want 0", b-blobs0, mf-manifests0)
	}

	// Always: the tag is resolved again (one manifest request), the blob
	// is not downloaded.
	o := quick()
	o.PullPolicy = Always
	if m := mustGet(t, newFetcher(t, dir), u, o); !m.FromCache {
		t.Error("Always with an unchanged digest: not from cache")
	}
	if b, mf := reg.counts(); b != blobs0 || mf == manifests0 {
		t.Errorf("Always: %d blob downloads (want 0), %d manifest requests (want >0)", b-blobs0, mf-manifests0)
	}

	// The same module by digest under another URL (the pinned form): a
	// hit by manifest digest, no request.
	_, mf := reg.counts()
	if m := mustGet(t, newFetcher(t, dir), reg.url("filters/x@"+digest), quick()); !m.FromCache {
		t.Error("pinned URL of a cached digest: not from cache")
	}
	if b, mf2 := reg.counts(); b != blobs0 || mf2 != mf {
		t.Errorf("pinned cache hit made requests: %d blobs, %d manifests", b-blobs0, mf2-mf)
	}
}

func TestFetchOCIPullPolicyRetaggedImage(t *testing.T) {
	reg := newRegistry(t)
	v1, v2 := addHeader(t), variant(addHeader(t), "v2")
	reg.push(t, v1, "filters/x:v1")
	f := newFetcher(t, t.TempDir())
	u := reg.url("filters/x:v1")
	mustGet(t, f, u, quick())

	d2 := reg.push(t, v2, "filters/x:v1") // the tag moves
	o := quick()
	o.PullPolicy = IfNotPresent
	if m := mustGet(t, f, u, o); !m.FromCache || m.Digest != sum(v1) {
		t.Errorf("IfNotPresent after a retag: module %s fromCache=%v, want the cached %s", m.Digest, m.FromCache, sum(v1))
	}
	o.PullPolicy = Always
	blobs, _ := reg.counts()
	if m := mustGet(t, f, u, o); m.FromCache || m.Digest != sum(v2) || m.ImageDigest != d2 {
		t.Errorf("Always after a retag: module %s image %s fromCache=%v, want %s %s", m.Digest, m.ImageDigest, m.FromCache, sum(v2), d2)
	}
	if b, _ := reg.counts(); b == blobs {
		t.Error("Always after a retag downloaded no blob")
	}
	o.PullPolicy = IfNotPresent // the index now says v2
	if m := mustGet(t, f, u, o); m.Digest != sum(v2) {
		t.Errorf("IfNotPresent after Always: %s, want %s", m.Digest, sum(v2))
	}

	// Istio's default: Always for :latest.
	reg.push(t, v1, "filters/x:latest")
	mustGet(t, f, reg.url("filters/x:latest"), quick())
	reg.push(t, v2, "filters/x:latest")
	if m := mustGet(t, f, reg.url("filters/x:latest"), quick()); m.Digest != sum(v2) {
		t.Errorf(":latest with the default policy: %s, want the retagged %s", m.Digest, sum(v2))
	}
}

func TestFetchOCIExpiry(t *testing.T) {
	reg := newRegistry(t)
	wasm := addHeader(t)
	reg.push(t, wasm, "filters/x:v1")
	dir := t.TempDir()
	f := newFetcher(t, dir)
	u := reg.url("filters/x:v1")
	mustGet(t, f, u, quick())
	blobs, manifests := reg.counts()

	now := time.Now()
	f.now = func() time.Time { return now.Add(DefaultExpiry - time.Minute) }
	if m := mustGet(t, f, u, quick()); !m.FromCache {
		t.Error("unexpired entry not used")
	}
	if b, mf := reg.counts(); b != blobs || mf != manifests {
		t.Error("an unexpired entry contacted the registry")
	}

	// Expired: the tag is resolved again (its module is still on disk
	// under the same digest, so it is not downloaded).
	f.now = func() time.Time { return now.Add(DefaultExpiry + time.Minute) }
	m := mustGet(t, f, u, quick())
	if _, mf := reg.counts(); mf == manifests {
		t.Error("an expired entry was not refetched")
	}
	if !m.Fetched.After(now.Add(DefaultExpiry)) {
		t.Errorf("refetched entry's time %v not refreshed", m.Fetched)
	}

	// Purged after expiry: the module is downloaded again.
	f.now = func() time.Time { return now.Add(3 * DefaultExpiry) }
	if err := f.Purge(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "modules", sum(wasm)+".wasm")); !os.IsNotExist(err) {
		t.Errorf("expired module not purged: %v", err)
	}
	blobs, _ = reg.counts()
	if m := mustGet(t, f, u, quick()); m.FromCache {
		t.Error("purged module came from the cache")
	}
	if b, _ := reg.counts(); b == blobs {
		t.Error("purged module not downloaded again")
	}
}

func TestFetchOCIFailuresAndLimits(t *testing.T) {
	// Nothing listens: retried, bounded, an error naming the URL.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	f := newFetcher(t, t.TempDir())
	start := time.Now()
	u := "oci://" + addr + "/filters/x:v1"
	if _, err := f.Get(context.Background(), u, quick()); err == nil || !strings.Contains(err.Error(), u) || !strings.HasPrefix(err.Error(), "fetch: ") {
		t.Errorf("registry down: err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}

	reg := newRegistry(t)
	wasm := addHeader(t)
	reg.push(t, wasm, "filters/x:v1")
	if _, err := f.Get(context.Background(), reg.url("filters/nope:v1"), quick()); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown image: err = %v", err)
	}
	o := quick()
	o.MaxSize = 1000
	if _, err := f.Get(context.Background(), reg.url("filters/x:v1"), o); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("size cap: err = %v", err)
	}
	if _, err := f.Get(context.Background(), "ftp://x/y", o); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Errorf("ftp: err = %v", err)
	}
}

func TestFetchOCIPullSecret(t *testing.T) {
	reg := newRegistry(t, ocitest.WithBasicAuth("alice", "s3cret"))
	push := oci.Options{Keychain: noCreds{}}
	push.Auth = &authn.Basic{Username: "alice", Password: "s3cret"}
	reg.push(t, addHeader(t), "filters/private:v1", push)
	f := newFetcher(t, t.TempDir())
	u := reg.url("filters/private:v1")
	if _, err := f.Get(context.Background(), u, quick()); err == nil {
		t.Fatal("fetched from an authenticated registry without credentials")
	}
	secret := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.host, base64.StdEncoding.EncodeToString([]byte("alice:s3cret")))
	o := quick()
	o.PullSecret = []byte(secret)
	mustGet(t, f, u, o)

	// ReadPullSecret: the JSON itself, a file, or a mounted Secret.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".dockerconfigjson"), []byte(secret), 0o600)
	for _, v := range []string{secret, filepath.Join(dir, ".dockerconfigjson"), dir} {
		if b, err := ReadPullSecret(v); err != nil || string(b) != secret {
			t.Errorf("ReadPullSecret(%.20q) = %q, %v", v, b, err)
		}
	}
	if _, err := ReadPullSecret(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadPullSecret of a missing path: no error")
	}
}

// Concurrent fetches of one URL download the module once.
func TestFetchOCIConcurrentDownloadOnce(t *testing.T) {
	reg := newRegistry(t)
	reg.push(t, addHeader(t), "filters/x:v1")
	f := newFetcher(t, t.TempDir())
	results := make(chan *Module, 4)
	for range 4 {
		go func() {
			m, err := f.Get(context.Background(), reg.url("filters/x:v1"), quick())
			if err != nil {
				t.Error(err)
			}
			results <- m
		}()
	}
	downloads := 0
	for range 4 {
		if m := <-results; m != nil && !m.FromCache {
			downloads++
		}
	}
	if downloads != 1 {
		t.Errorf("%d downloads, want 1", downloads)
	}
}
