package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImageMeta is what NewImage records next to the module.
type ImageMeta struct {
	// ABIVersions go to the runtime config's abiVersions and, comma-joined,
	// to the module.wasm.runtime/abi_version annotation; e.g. ["0.2.1"].
	ABIVersions []string
	// RootIDs go to the runtime config's config.rootIds.
	RootIDs []string
	// Language is the io.wasmesh.language annotation: go, assemblyscript,
	// c, rust, cpp, tinygo or unknown.
	Language string
	// Revision is the org.opencontainers.image.revision annotation, the
	// source revision (a git commit).
	Revision string
	// Source is the org.opencontainers.image.source annotation.
	Source string
	// Readme, when set, is stored as a README.md layer of media type
	// MediaTypeReadme; see the package documentation for where it goes.
	Readme []byte
	// Created is the org.opencontainers.image.created annotation. The zero
	// time leaves it out, so the same inputs give the same digest.
	Created time.Time
}

var wasmMagic = []byte{0x00, 'a', 's', 'm'}

// epoch is the modification time of files in compat layers: fixed, so
// the layer digest depends only on the content.
var epoch = time.Unix(0, 0).UTC()

// NewImage packages a Wasm module in the given format. The result depends
// only on its arguments: the same module and metadata give the same digest.
func NewImage(wasm []byte, meta ImageMeta, format Format) (v1.Image, error) {
	if !bytes.HasPrefix(wasm, wasmMagic) {
		return nil, errorf("module is not WebAssembly (no \\0asm magic number)")
	}
	if len(wasm) > MaxWasmSize {
		return nil, errorf("module is %d bytes, over the %d-byte limit", len(wasm), MaxWasmSize)
	}
	rc, err := json.Marshal(RuntimeConfig{Type: RuntimeTypeEnvoy, ABIVersions: meta.ABIVersions, RootIDs: meta.RootIDs})
	if err != nil {
		return nil, errorf("encode runtime config: %w", err)
	}
	b := &imageBuilder{img: &memImage{blobs: map[v1.Hash]memBlob{}}}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Annotations: annotations(meta)}
	var readme *v1.Descriptor
	if meta.Readme != nil {
		d := b.add(meta.Readme, MediaTypeReadme, fileReadme)
		readme = &d
	}
	switch format {
	case FormatOCI:
		m.Config = b.add(rc, MediaTypeWasmConfig, fileRuntimeConfig)
		first := m.Config
		if readme != nil {
			first = *readme
		}
		m.Layers = []v1.Descriptor{first, b.add(wasm, MediaTypeWasmLayer, fileArtifactWasm)}
	case FormatCompat:
		layer, diffID, err := compatLayer(wasm, rc)
		if err != nil {
			return nil, err
		}
		var diffIDs []string
		if readme != nil {
			m.Layers = append(m.Layers, *readme)
			diffIDs = append(diffIDs, readme.Digest.String())
		}
		m.Layers = append(m.Layers, b.add(layer, types.OCILayer, ""))
		diffIDs = append(diffIDs, diffID.String())
		cfg, err := compatConfig(diffIDs, meta.Created)
		if err != nil {
			return nil, err
		}
		m.Config = b.add(cfg, types.OCIConfigJSON, "")
		m.Annotations[AnnotationVariant] = "compat"
	default:
		return nil, errorf("unknown image format %v", format)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, errorf("encode manifest: %w", err)
	}
	b.img.mediaType, b.img.manifest = m.MediaType, raw
	return b.img.image()
}

// annotations are the manifest annotations common to both formats.
func annotations(meta ImageMeta) map[string]string {
	a := map[string]string{AnnotationRuntimeType: RuntimeTypeEnvoy}
	set := func(k, v string) {
		if v != "" {
			a[k] = v
		}
	}
	set(AnnotationABIVersion, strings.Join(meta.ABIVersions, ","))
	set(AnnotationLanguage, meta.Language)
	set(AnnotationRevision, meta.Revision)
	set(AnnotationSource, meta.Source)
	if !meta.Created.IsZero() {
		a[AnnotationCreated] = meta.Created.UTC().Format(time.RFC3339)
	}
	return a
}

type imageBuilder struct{ img *memImage }

// add stores a blob and returns its descriptor, titled when title is set.
func (b *imageBuilder) add(data []byte, mt types.MediaType, title string) v1.Descriptor {
	h, n, _ := v1.SHA256(bytes.NewReader(data)) // reading memory cannot fail
	b.img.blobs[h] = memBlob{data: data, mediaType: mt}
	d := v1.Descriptor{MediaType: mt, Size: n, Digest: h}
	if title != "" {
		d.Annotations = map[string]string{AnnotationTitle: title}
	}
	return d
}

// compatLayer is the tar+gzip layer of the compat variant and its diff ID
// (the digest of the uncompressed tar).
func compatLayer(wasm, runtimeConfig []byte) ([]byte, v1.Hash, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, f := range []struct {
		name string
		data []byte
	}{{fileCompatWasm, wasm}, {fileRuntimeConfig, runtimeConfig}} {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch,
			Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, v1.Hash{}, errorf("write compat layer: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, v1.Hash{}, errorf("write compat layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, v1.Hash{}, errorf("write compat layer: %w", err)
	}
	diffID, _, _ := v1.SHA256(bytes.NewReader(tarBuf.Bytes()))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // valid level: no error
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return nil, v1.Hash{}, errorf("compress compat layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, v1.Hash{}, errorf("compress compat layer: %w", err)
	}
	return gz.Bytes(), diffID, nil
}

// compatConfig is the OCI image config of a compat image.
func compatConfig(diffIDs []string, created time.Time) ([]byte, error) {
	type rootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	}
	cfg := struct {
		Created      string         `json:"created,omitempty"`
		Architecture string         `json:"architecture"`
		OS           string         `json:"os"`
		Config       map[string]any `json:"config"`
		RootFS       rootFS         `json:"rootfs"`
	}{Architecture: "wasm", OS: "wasip1", Config: map[string]any{}, RootFS: rootFS{"layers", diffIDs}}
	if !created.IsZero() {
		cfg.Created = created.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, errorf("encode image config: %w", err)
	}
	return b, nil
}
