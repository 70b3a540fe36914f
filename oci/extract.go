package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ExtractWasm returns the module of a Wasm image and its runtime config
// (nil when the image has none). It tries the formats in the order of
// Istio's agent (pkg/wasm/imagefetcher.go), so an image it accepts is one
// Istio accepts:
//
//  1. A Docker schema2 manifest: the last layer must be a Docker tar.gz
//     layer holding plugin.wasm. No other format is tried.
//  2. Otherwise the compat variant: the last layer is an OCI tar+gzip
//     layer holding plugin.wasm.
//  3. Otherwise the Wasm artifact: exactly two layers, one of media type
//     MediaTypeWasmLayer holding the raw module.
//
// The module must start with the Wasm magic number and be at most
// MaxWasmSize bytes. Anything else is a *FormatError describing the layers.
func ExtractWasm(img v1.Image) ([]byte, *RuntimeConfig, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, errorf("read manifest: %w", err)
	}
	var wasm []byte
	var rc *RuntimeConfig
	if m.MediaType == types.DockerManifestSchema2 {
		wasm, rc, err = extractTarLayer(img, m, types.DockerLayer)
		if err != nil {
			return nil, nil, &FormatError{Found: describe(m), Reason: "docker image: " + err.Error()}
		}
	} else {
		var errCompat, errOCI error
		wasm, rc, errCompat = extractTarLayer(img, m, types.OCILayer)
		if errCompat != nil {
			wasm, rc, errOCI = extractArtifact(img, m)
		}
		if errOCI != nil {
			return nil, nil, &FormatError{Found: describe(m),
				Reason: fmt.Sprintf("compat variant: %v; oci artifact: %v", errCompat, errOCI)}
		}
	}
	if !bytes.HasPrefix(wasm, wasmMagic) {
		return nil, nil, &FormatError{Found: describe(m), Reason: "the module does not start with the Wasm magic number"}
	}
	return wasm, rc, nil
}

// Annotations returns the manifest annotations of img (never nil).
func Annotations(img v1.Image) (map[string]string, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, errorf("read manifest: %w", err)
	}
	out := map[string]string{}
	maps.Copy(out, m.Annotations)
	return out, nil
}

// describe renders the layers for FormatError.Found.
func describe(m *v1.Manifest) string {
	mts := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		mts[i] = string(l.MediaType)
	}
	if len(mts) == 1 {
		return "1 layer of type " + typesList(mts)
	}
	return fmt.Sprintf("%d layers of types %s", len(mts), typesList(mts))
}

// extractTarLayer reads plugin.wasm (and runtime-config.json) from the
// last layer, which must be of media type mt.
func extractTarLayer(img v1.Image, m *v1.Manifest, mt types.MediaType) ([]byte, *RuntimeConfig, error) {
	if len(m.Layers) == 0 {
		return nil, nil, errors.New("no layers")
	}
	last := m.Layers[len(m.Layers)-1]
	if last.MediaType != mt {
		return nil, nil, fmt.Errorf("last layer is %s, not %s", last.MediaType, mt)
	}
	rc, err := openBlob(img, last.Digest)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("last layer is not gzip: %w", err)
	}
	// Bound the decompressed bytes read, against gzip bombs.
	tr := tar.NewReader(io.LimitReader(zr, 2*MaxWasmSize))
	var wasm []byte
	var cfg *RuntimeConfig
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("last layer is not a tar.gz: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		switch path.Base(h.Name) {
		case fileCompatWasm:
			if wasm != nil {
				continue // Istio takes the first
			}
			if wasm, err = readCapped(tr, MaxWasmSize); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", h.Name, err)
			}
		case fileRuntimeConfig:
			data, err := readCapped(tr, 1<<20)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", h.Name, err)
			}
			if cfg, err = ParseRuntimeConfig(data); err != nil {
				return nil, nil, err
			}
		}
	}
	if wasm == nil {
		return nil, nil, fmt.Errorf("no %s in the last layer", fileCompatWasm)
	}
	return wasm, cfg, nil
}

// extractArtifact reads the Wasm artifact: two layers, one of them the
// raw module; the runtime config is the manifest config or a layer.
func extractArtifact(img v1.Image, m *v1.Manifest) ([]byte, *RuntimeConfig, error) {
	if len(m.Layers) != 2 {
		return nil, nil, fmt.Errorf("want exactly 2 layers, found %d", len(m.Layers))
	}
	var wasmDesc, cfgDesc *v1.Descriptor
	if m.Config.MediaType == MediaTypeWasmConfig {
		cfgDesc = &m.Config
	}
	for i := range m.Layers {
		switch m.Layers[i].MediaType {
		case MediaTypeWasmLayer:
			if wasmDesc == nil {
				wasmDesc = &m.Layers[i]
			}
		case MediaTypeWasmConfig:
			if cfgDesc == nil {
				cfgDesc = &m.Layers[i]
			}
		}
	}
	if wasmDesc == nil {
		return nil, nil, fmt.Errorf("no layer of type %s", MediaTypeWasmLayer)
	}
	wasm, err := readBlob(img, *wasmDesc, MaxWasmSize)
	if err != nil {
		return nil, nil, err
	}
	var cfg *RuntimeConfig
	if cfgDesc != nil {
		data, err := readBlob(img, *cfgDesc, 1<<20)
		if err != nil {
			return nil, nil, err
		}
		if cfg, err = ParseRuntimeConfig(data); err != nil {
			return nil, nil, err
		}
	}
	return wasm, cfg, nil
}

// openBlob opens a layer or config blob as stored (compressed).
func openBlob(img v1.Image, h v1.Hash) (io.ReadCloser, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	return rc, nil
}

// readBlob reads a blob of at most limit bytes. The config blob of an
// artifact is read through RawConfigFile, as images need not list the
// config among their layers.
func readBlob(img v1.Image, d v1.Descriptor, limit int64) ([]byte, error) {
	if d.Size > limit {
		return nil, fmt.Errorf("blob %s is %d bytes, over the %d-byte limit", d.Digest, d.Size, limit)
	}
	if cfgName, err := img.ConfigName(); err == nil && cfgName == d.Digest {
		b, err := img.RawConfigFile()
		if err != nil {
			return nil, fmt.Errorf("config blob %s: %w", d.Digest, err)
		}
		return b, nil
	}
	rc, err := openBlob(img, d.Digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readCapped(rc, limit)
}

// readCapped reads r, failing when it holds more than limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("over the %d-byte limit", limit)
	}
	return b, nil
}
