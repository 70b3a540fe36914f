package oci_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testWasm is a real Proxy-Wasm module committed to the repository.
func testWasm(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "host", "testdata", "recorder", "filter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blob is a config or layer of a hand-built image.
type blob struct {
	mt    types.MediaType
	data  []byte
	title string
}

// rawImage builds an image from an exact manifest, independently of
// oci.NewImage, the way other tools lay their images out.
type rawImage struct {
	mt       types.MediaType
	manifest []byte
	blobs    map[v1.Hash][]byte
	types    map[v1.Hash]types.MediaType
}

func buildImage(t testing.TB, mt types.MediaType, config blob, layers []blob, annotations map[string]string) v1.Image {
	t.Helper()
	r := &rawImage{mt: mt, blobs: map[v1.Hash][]byte{}, types: map[v1.Hash]types.MediaType{}}
	desc := func(b blob) v1.Descriptor {
		h, n, _ := v1.SHA256(bytes.NewReader(b.data))
		r.blobs[h], r.types[h] = b.data, b.mt
		d := v1.Descriptor{MediaType: b.mt, Size: n, Digest: h}
		if b.title != "" {
			d.Annotations = map[string]string{"org.opencontainers.image.title": b.title}
		}
		return d
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: mt, Config: desc(config), Annotations: annotations}
	for _, l := range layers {
		m.Layers = append(m.Layers, desc(l))
	}
	var err error
	if r.manifest, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	img, err := partial.CompressedToImage(r)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (r *rawImage) MediaType() (types.MediaType, error) { return r.mt, nil }
func (r *rawImage) RawManifest() ([]byte, error)        { return r.manifest, nil }
func (r *rawImage) RawConfigFile() ([]byte, error) {
	m, err := v1.ParseManifest(bytes.NewReader(r.manifest))
	if err != nil {
		return nil, err
	}
	return r.blobs[m.Config.Digest], nil
}
func (r *rawImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	return &rawLayer{h: h, data: r.blobs[h], mt: r.types[h]}, nil
}

type rawLayer struct {
	h    v1.Hash
	data []byte
	mt   types.MediaType
}

func (l *rawLayer) Digest() (v1.Hash, error)            { return l.h, nil }
func (l *rawLayer) Size() (int64, error)                { return int64(len(l.data)), nil }
func (l *rawLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *rawLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.data)), nil
}

// tarGz packs files (name, content pairs) into a tar.gz.
func tarGz(t testing.TB, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i := 0; i+1 < len(files); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Size: int64(len(files[i+1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wasmeImage is an image as wasme v0.0.33 pushed it with oras: the
// runtime config is the manifest config and also the first of two layers.
func wasmeImage(t testing.TB, wasm []byte) v1.Image {
	t.Helper()
	cfg := blob{mt: "application/vnd.module.wasm.config.v1+json", title: "runtime-config.json",
		data: []byte(`{"type":"envoy_proxy","abiVersions":["v0-4689a30309abf31aee9ae36e73d34b1bb182685f"],"config":{"rootIds":["add_header"]}}`)}
	code := blob{mt: "application/vnd.module.wasm.content.layer.v1+wasm", title: "filter.wasm", data: wasm}
	img := buildImage(t, types.OCIManifestSchema1, cfg, []blob{cfg, code}, nil)
	return mutate.Annotations(img, map[string]string{
		"module.wasm.runtime/abi_version": "v0-4689a30309abf31aee9ae36e73d34b1bb182685f",
		"module.wasm.runtime/type":        "envoy_proxy",
	}).(v1.Image)
}

// dockerImage is what `docker build` makes of "FROM scratch; COPY
// filter.wasm plugin.wasm": a Docker schema2 manifest, one tar.gz layer.
func dockerImage(t testing.TB, files ...string) v1.Image {
	t.Helper()
	gz := tarGz(t, files...)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	}, tarball.WithMediaType(types.DockerLayer))
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.DockerManifestSchema2)
	img = mutate.ConfigMediaType(img, types.DockerConfigJSON)
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
