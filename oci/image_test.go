package oci_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/wasmesh/wasmesh/oci"
)

var testMeta = oci.ImageMeta{
	ABIVersions: []string{"0.2.1"},
	RootIDs:     []string{"recorder"},
	Language:    "c",
	Revision:    "0123abcd",
	Source:      "https://github.com/wasmesh/wasmesh",
}

func mustImage(t testing.TB, wasm []byte, meta oci.ImageMeta, f oci.Format) v1.Image {
	t.Helper()
	img, err := oci.NewImage(wasm, meta, f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestNewImageOCIHasIstiosTwoLayers(t *testing.T) {
	wasm := testWasm(t)
	img := mustImage(t, wasm, testMeta, oci.FormatOCI)
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != oci.MediaTypeWasmConfig {
		t.Errorf("manifest %s, config %s", m.MediaType, m.Config.MediaType)
	}
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers, Istio's agent wants exactly 2", len(m.Layers))
	}
	if l := m.Layers[0]; l.Digest != m.Config.Digest || l.MediaType != oci.MediaTypeWasmConfig ||
		l.Annotations[oci.AnnotationTitle] != "runtime-config.json" {
		t.Errorf("first layer %+v, want the config blob (wasme's shape)", l)
	}
	if l := m.Layers[1]; l.MediaType != oci.MediaTypeWasmLayer || l.Annotations[oci.AnnotationTitle] != "filter.wasm" ||
		l.Size != int64(len(wasm)) {
		t.Errorf("second layer %+v, want the raw module", l)
	}
	cfg, _ := img.RawConfigFile()
	if want := `{"type":"envoy_proxy","abiVersions":["0.2.1"],"config":{"rootIds":["recorder"]}}`; string(cfg) != want {
		t.Errorf("config %s\nwant   %s", cfg, want)
	}
	want := map[string]string{
		"module.wasm.runtime/abi_version":   "0.2.1",
		"module.wasm.runtime/type":          "envoy_proxy",
		"io.wasmesh.language":               "c",
		"org.opencontainers.image.revision": "0123abcd",
		"org.opencontainers.image.source":   "https://github.com/wasmesh/wasmesh",
	}
	if got, _ := oci.Annotations(img); !maps.Equal(got, want) {
		t.Errorf("annotations %v\nwant %v", got, want)
	}
	got, rc, err := oci.ExtractWasm(img)
	if err != nil || !bytes.Equal(got, wasm) {
		t.Fatalf("ExtractWasm: %d bytes, %v", len(got), err)
	}
	if rc == nil || rc.Type != "envoy_proxy" || rc.ABIVersions[0] != "0.2.1" || rc.RootIDs[0] != "recorder" {
		t.Errorf("runtime config %+v", rc)
	}
}

func TestNewImageCompat(t *testing.T) {
	wasm := testWasm(t)
	img := mustImage(t, wasm, testMeta, oci.FormatCompat)
	m, _ := img.Manifest()
	if len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer || m.Config.MediaType != types.OCIConfigJSON {
		t.Fatalf("layers %+v config %s", m.Layers, m.Config.MediaType)
	}
	if m.Annotations[oci.AnnotationVariant] != "compat" {
		t.Errorf("annotations %v lack the compat variant", m.Annotations)
	}
	files := untar(t, img, m.Layers[0].Digest)
	if !bytes.Equal(files["plugin.wasm"], wasm) || !strings.Contains(string(files["runtime-config.json"]), `"rootIds":["recorder"]`) {
		t.Errorf("layer files %v", slicesKeys(files))
	}
	cf, err := img.ConfigFile()
	if err != nil || cf.RootFS.DiffIDs == nil || cf.OS != "wasip1" {
		t.Errorf("config %+v, %v", cf, err)
	}
	got, rc, err := oci.ExtractWasm(img)
	if err != nil || !bytes.Equal(got, wasm) || rc == nil || rc.RootIDs[0] != "recorder" {
		t.Fatalf("ExtractWasm: %d bytes, %+v, %v", len(got), rc, err)
	}
}

func TestNewImageReproducible(t *testing.T) {
	wasm := testWasm(t)
	for _, f := range []oci.Format{oci.FormatOCI, oci.FormatCompat} {
		a, _ := mustImage(t, wasm, testMeta, f).Digest()
		b, _ := mustImage(t, wasm, testMeta, f).Digest()
		if a != b {
			t.Errorf("%v: digests %s and %s for the same input", f, a, b)
		}
		meta := testMeta
		meta.Created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		img := mustImage(t, wasm, meta, f)
		if ann, _ := oci.Annotations(img); ann[oci.AnnotationCreated] != "2026-01-02T03:04:05Z" {
			t.Errorf("%v: created annotation %q", f, ann[oci.AnnotationCreated])
		}
	}
}

func TestNewImageReadme(t *testing.T) {
	wasm, readme := testWasm(t), []byte("# recorder\n")
	meta := testMeta
	meta.Readme = readme
	for _, f := range []oci.Format{oci.FormatOCI, oci.FormatCompat} {
		img := mustImage(t, wasm, meta, f)
		m, _ := img.Manifest()
		if len(m.Layers) != 2 || m.Layers[0].MediaType != oci.MediaTypeReadme ||
			m.Layers[0].Annotations[oci.AnnotationTitle] != "README.md" {
			t.Fatalf("%v: layers %+v", f, m.Layers)
		}
		l, _ := img.LayerByDigest(m.Layers[0].Digest)
		rc, _ := l.Compressed()
		if b, _ := io.ReadAll(rc); !bytes.Equal(b, readme) {
			t.Errorf("%v: README layer %q", f, b)
		}
		got, cfg, err := oci.ExtractWasm(img)
		if err != nil || !bytes.Equal(got, wasm) || cfg == nil || cfg.ABIVersions[0] != "0.2.1" {
			t.Errorf("%v: ExtractWasm %d bytes, %+v, %v", f, len(got), cfg, err)
		}
		if _, err := istioExtract(img); err != nil {
			t.Errorf("%v: Istio's agent would reject the image: %v", f, err)
		}
	}
}

func TestNewImageRejectsNonWasm(t *testing.T) {
	_, err := oci.NewImage([]byte("#!/bin/sh\n"), testMeta, oci.FormatOCI)
	if err == nil || !strings.HasPrefix(err.Error(), "oci: module is not WebAssembly") {
		t.Fatalf("err = %v", err)
	}
}

func untar(t testing.TB, img v1.Image, h v1.Hash) map[string][]byte {
	t.Helper()
	l, err := img.LayerByDigest(h)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := l.Compressed()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

func slicesKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// istioExtract follows istio/istio pkg/wasm/imagefetcher.go step by step,
// written apart from ExtractWasm so the two can be compared.
func istioExtract(img v1.Image) ([]byte, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	layers, _ := img.Layers()
	fromTar := func(want types.MediaType) ([]byte, error) {
		if len(layers) == 0 {
			return nil, errors.New("no layers")
		}
		l := layers[len(layers)-1]
		if mt, _ := l.MediaType(); mt != want {
			return nil, fmt.Errorf("media type %s", mt)
		}
		rc, _ := l.Compressed()
		zr, err := gzip.NewReader(rc)
		if err != nil {
			return nil, err
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err != nil {
				return nil, errors.New("plugin.wasm not found")
			}
			if path.Base(h.Name) == "plugin.wasm" {
				return io.ReadAll(tr)
			}
		}
	}
	var out []byte
	if m.MediaType == types.DockerManifestSchema2 {
		out, err = fromTar(types.DockerLayer)
	} else if out, err = fromTar(types.OCILayer); err != nil {
		if len(layers) != 2 {
			return nil, fmt.Errorf("number of layers must be 2 but got %d", len(layers))
		}
		err = errors.New("no wasm layer")
		for _, l := range layers {
			if mt, _ := l.MediaType(); mt == "application/vnd.module.wasm.content.layer.v1+wasm" {
				rc, _ := l.Compressed()
				out, err = io.ReadAll(rc)
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(out, []byte("\x00asm")) {
		return nil, errors.New("not wasm")
	}
	return out, nil
}
