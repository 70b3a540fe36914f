package oci_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/wasmesh/wasmesh/oci"
)

func blobCount(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(es)
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := oci.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	wasm := testWasm(t)
	a := mustImage(t, wasm, testMeta, oci.FormatOCI)
	b := mustImage(t, wasm, testMeta, oci.FormatCompat)

	da, err := s.Put("ghcr.io/acme/recorder:1", a)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := a.Digest(); da != want {
		t.Errorf("Put returned %s, image digest %s", da, want)
	}
	if n := blobCount(t, dir); n != 3 { // manifest, config (= first layer), module
		t.Errorf("%d blobs after one OCI image, want 3", n)
	}
	db, err := s.Put("localhost:5000/recorder", b) // :latest
	if err != nil {
		t.Fatal(err)
	}

	// Get by tag, by digest reference and by bare digest.
	for _, ref := range []string{"ghcr.io/acme/recorder:1", "ghcr.io/acme/recorder@" + da.String(), da.String()} {
		img, err := s.Get(ref)
		if err != nil {
			t.Fatalf("Get(%s): %v", ref, err)
		}
		got, _, err := oci.ExtractWasm(img)
		if d, _ := img.Digest(); err != nil || !bytes.Equal(got, wasm) || d != da {
			t.Errorf("Get(%s): %s, %d bytes, %v", ref, d, len(got), err)
		}
	}
	var nf *oci.NotFoundError
	if _, err := s.Get("ghcr.io/acme/recorder:2"); !errors.As(err, &nf) || nf.Ref != "ghcr.io/acme/recorder:2" {
		t.Errorf("Get of a missing tag: %v", err)
	}

	// Tag, then list.
	if err := s.Tag("localhost:5000/recorder:latest", "localhost:5000/recorder:v2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("nope:1", "x:1"); !errors.As(err, &nf) {
		t.Errorf("Tag of a missing image: %v", err)
	}
	es, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	wantRefs := []string{"ghcr.io/acme/recorder:1", "localhost:5000/recorder:latest", "localhost:5000/recorder:v2"}
	if len(es) != 3 {
		t.Fatalf("List: %+v", es)
	}
	for i, e := range es {
		if e.Ref != wantRefs[i] {
			t.Errorf("entry %d: %s, want %s", i, e.Ref, wantRefs[i])
		}
		if e.Language != "c" || len(e.ABIVersions) != 1 || e.ABIVersions[0] != "0.2.1" || e.RootIDs[0] != "recorder" {
			t.Errorf("entry %+v", e)
		}
	}
	if es[0].Size < int64(len(wasm)) || es[1].Size == 0 {
		t.Errorf("sizes %d, %d; the first holds the raw module (%d bytes)", es[0].Size, es[1].Size, len(wasm))
	}
	if es[1].Digest != db || es[2].Digest != db {
		t.Errorf("tagged entries have digests %s, %s, want %s", es[1].Digest, es[2].Digest, db)
	}

	// Remove one name: the blobs stay while another name uses them.
	before := blobCount(t, dir)
	if err := s.Remove("localhost:5000/recorder:latest"); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != before {
		t.Errorf("%d blobs after removing a name still tagged, want %d", n, before)
	}
	if err := s.Remove("localhost:5000/recorder:v2"); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 3 {
		t.Errorf("%d blobs after removing the compat image, want 3 (garbage collected)", n)
	}
	if err := s.Remove("localhost:5000/recorder:v2"); !errors.As(err, &nf) {
		t.Errorf("second Remove: %v", err)
	}

	// Overwriting a tag collects the image it named.
	if _, err := s.Put("ghcr.io/acme/recorder:1", b); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, dir); n != 3 { // manifest, config, tar layer
		t.Errorf("%d blobs after retagging, want 3", n)
	}

	// Reopen: the store is all on disk, and remove by digest.
	s2, err := oci.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Remove(db.String()); err != nil {
		t.Fatal(err)
	}
	if es, _ := s2.List(); len(es) != 0 {
		t.Errorf("List after removing everything: %+v", es)
	}
	if n := blobCount(t, dir); n != 0 {
		t.Errorf("%d blobs left in an empty store", n)
	}
}

func TestStorePutChecksDigestRef(t *testing.T) {
	s, _ := oci.OpenStore(t.TempDir())
	img := mustImage(t, testWasm(t), testMeta, oci.FormatOCI)
	d, _ := img.Digest()
	if _, err := s.Put("example.com/r@"+d.String(), img); err != nil {
		t.Fatal(err)
	}
	wrong := v1.Hash{Algorithm: "sha256", Hex: "0000000000000000000000000000000000000000000000000000000000000000"}
	if _, err := s.Put("example.com/r@"+wrong.String(), img); err == nil {
		t.Error("Put under a digest that is not the image's succeeded")
	}
}

func TestDefaultStoreDir(t *testing.T) {
	t.Setenv("WASMESH_HOME", "/opt/wm")
	if got := oci.DefaultStoreDir(); got != filepath.Join("/opt/wm", "store") {
		t.Errorf("DefaultStoreDir() = %s", got)
	}
	t.Setenv("WASMESH_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := oci.DefaultStoreDir(); got != filepath.Join("/home/u", ".wasmesh", "store") {
		t.Errorf("DefaultStoreDir() = %s", got)
	}
}
