package hub

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Media types and annotations of the Wasm image formats
// (docs/ecosystem.md §2).
const (
	mtWasmConfig      = "application/vnd.module.wasm.config.v1+json"
	mtWasmLayer       = "application/vnd.module.wasm.content.layer.v1+wasm"
	mtDoc             = "application/vnd.module.wasm.doc.v1+markdown"
	mtDocPrefix       = "application/vnd.module.wasm.doc.v1."
	mtOCIManifest     = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex        = "application/vnd.oci.image.index.v1+json"
	mtDockerManifest  = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList      = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtOCILayerGzip    = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

	annABI         = "module.wasm.runtime/abi_version"
	annType        = "module.wasm.runtime/type"
	annLanguage    = "io.wasmesh.language"
	annRevision    = "org.opencontainers.image.revision"
	annDescription = "org.opencontainers.image.description"
	annTitle       = "org.opencontainers.image.title"
)

// Image formats as the API reports them.
const (
	formatOCI    = "oci"    // the Wasm OCI artifact
	formatCompat = "compat" // OCI image with a tar+gzip layer holding plugin.wasm
	formatDocker = "docker" // Docker schema 2 image with plugin.wasm
	formatOther  = "other"  // anything else pushed to the registry
)

// Read limits: metadata is small, a module may not be.
const (
	maxConfig   = 4 << 20
	maxReadme   = 1 << 20
	maxTarBytes = 512 << 20
)

// blobSource reads one repository's manifests and blobs.
type blobSource interface {
	manifest(ctx context.Context, dgst digest.Digest) (mediaType string, payload []byte, err error)
	blob(ctx context.Context, dgst digest.Digest, size, limit int64) ([]byte, error)
	open(ctx context.Context, dgst digest.Digest) (io.ReadCloser, error)
}

// descriptor is an OCI descriptor, as much of it as the hub reads.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Digest       digest.Digest     `json:"digest"`
	Size         int64             `json:"size"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

// manifest is an OCI or Docker schema 2 manifest or index.
type manifest struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Config       *descriptor       `json:"config,omitempty"`
	Layers       []descriptor      `json:"layers,omitempty"`
	Manifests    []descriptor      `json:"manifests,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// imageMeta is what the hub knows of one manifest. It depends on the
// manifest's digest only, so it is cached by digest.
type imageMeta struct {
	mediaType, configMediaType, format string
	size, wasmSize                     int64
	layers                             []Layer
	abi, rootIDs                       []string
	runtimeType                        string
	annotations                        map[string]string
	readme, readmeSource               string
}

// readImage reads a manifest and the blobs that describe the module.
func readImage(ctx context.Context, src blobSource, dgst digest.Digest) (*imageMeta, error) {
	return readManifest(ctx, src, dgst, 0)
}

func readManifest(ctx context.Context, src blobSource, dgst digest.Digest, depth int) (*imageMeta, error) {
	mt, payload, err := src.manifest(ctx, dgst)
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("hub: manifest %s: %w", dgst, err)
	}
	if mt == "" {
		mt = m.MediaType
	}
	if mt == mtOCIIndex || mt == mtDockerList || (m.Config == nil && len(m.Manifests) > 0) {
		return readIndex(ctx, src, mt, payload, m, depth)
	}
	meta := &imageMeta{mediaType: mt, size: int64(len(payload)), annotations: map[string]string{}}
	for k, v := range m.Annotations {
		meta.annotations[k] = v
	}
	var rc *runtimeConfig
	if c := m.Config; c != nil {
		meta.configMediaType = c.MediaType
		meta.size += c.Size
		if c.Size <= maxConfig {
			b, err := src.blob(ctx, c.Digest, c.Size, maxConfig)
			if err != nil {
				return nil, err
			}
			rc = meta.readConfig(c.MediaType, b)
		}
	}
	var compat *descriptor
	for i, l := range m.Layers {
		meta.size += l.Size
		meta.layers = append(meta.layers, Layer{MediaType: l.MediaType, Digest: l.Digest.String(), Size: l.Size, Title: l.Annotations[annTitle]})
		switch {
		case l.MediaType == mtWasmLayer:
			meta.wasmSize = l.Size
		case l.MediaType == mtWasmConfig && rc == nil && l.Size <= maxConfig:
			// wasme lists the runtime config as a layer too.
			b, err := src.blob(ctx, l.Digest, l.Size, maxConfig)
			if err != nil {
				return nil, err
			}
			rc = parseRuntimeConfig(b)
		case l.MediaType == mtOCILayerGzip || l.MediaType == mtDockerLayerGzip:
			compat = &m.Layers[i] // Istio reads the last one
		}
	}
	readmeLayer := pickReadme(m.Layers)
	switch {
	case mt == mtDockerManifest:
		meta.format = formatDocker
	case meta.wasmSize > 0 || meta.configMediaType == mtWasmConfig:
		meta.format = formatOCI
	case compat != nil:
		meta.format = formatCompat
	default:
		meta.format = formatOther
	}
	if compat != nil && meta.wasmSize == 0 {
		tc, err := scanCompat(ctx, src, compat.Digest)
		if err != nil {
			return nil, err
		}
		meta.wasmSize = tc.wasmSize
		if rc == nil && tc.runtimeConfig != nil {
			rc = parseRuntimeConfig(tc.runtimeConfig)
		}
		if tc.readme != "" {
			meta.readme, meta.readmeSource = tc.readme, "layer"
		}
	}
	if readmeLayer != nil && readmeLayer.Size <= maxReadme {
		b, err := src.blob(ctx, readmeLayer.Digest, readmeLayer.Size, maxReadme)
		if err != nil {
			return nil, err
		}
		meta.readme, meta.readmeSource = string(b), "layer"
	}
	meta.merge(rc)
	return meta, nil
}

// readIndex describes a multi-platform index by the manifest a Wasm runtime
// would pick: a wasip1/wasm platform if listed, else the first one.
func readIndex(ctx context.Context, src blobSource, mt string, payload []byte, m manifest, depth int) (*imageMeta, error) {
	if depth > 0 || len(m.Manifests) == 0 {
		return nil, errors.New("hub: nested or empty image index")
	}
	child := m.Manifests[0]
	for _, d := range m.Manifests {
		if p := d.Platform; p != nil && (p.OS == "wasip1" || p.OS == "wasi" || p.Architecture == "wasm") {
			child = d
			break
		}
	}
	meta, err := readManifest(ctx, src, child.Digest, depth+1)
	if err != nil {
		return nil, err
	}
	meta.mediaType = mt
	meta.size += int64(len(payload))
	for k, v := range m.Annotations {
		if _, ok := meta.annotations[k]; !ok {
			meta.annotations[k] = v
		}
	}
	meta.merge(nil)
	return meta, nil
}

// readConfig takes a runtime config from a Wasm config blob, and the labels
// of a container image config as annotations.
func (meta *imageMeta) readConfig(mediaType string, b []byte) *runtimeConfig {
	if mediaType == mtWasmConfig {
		return parseRuntimeConfig(b)
	}
	var img struct {
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if json.Unmarshal(b, &img) == nil {
		for k, v := range img.Config.Labels {
			if _, ok := meta.annotations[k]; !ok {
				meta.annotations[k] = v
			}
		}
	}
	if rc := parseRuntimeConfig(b); rc != nil && (len(rc.abi) > 0 || len(rc.rootIDs) > 0) {
		return rc // an unlabelled Wasm config
	}
	return nil
}

// merge completes meta from a runtime config and the annotations.
func (meta *imageMeta) merge(rc *runtimeConfig) {
	if rc != nil {
		meta.runtimeType = rc.typ
		meta.abi = appendUnique(meta.abi, rc.abi...)
		meta.rootIDs = appendUnique(meta.rootIDs, rc.rootIDs...)
	}
	meta.abi = appendUnique(meta.abi, splitList(meta.annotations[annABI])...)
	if meta.runtimeType == "" {
		meta.runtimeType = meta.annotations[annType]
	}
	if meta.readme == "" && meta.annotations[annDescription] != "" {
		meta.readme, meta.readmeSource = meta.annotations[annDescription], "annotation"
	}
	if meta.abi == nil {
		meta.abi = []string{}
	}
	if meta.rootIDs == nil {
		meta.rootIDs = []string{}
	}
}

// pickReadme finds the README layer: the plain doc media type, else its
// English variant, else a markdown layer titled README.md, else any
// language.
func pickReadme(layers []descriptor) *descriptor {
	best, rank := -1, 0
	for i, l := range layers {
		r := 0
		title := strings.ToLower(l.Annotations[annTitle])
		switch {
		case l.MediaType == mtDoc:
			r = 4
		case l.MediaType == mtDocPrefix+"en+markdown":
			r = 3
		case l.MediaType == "text/markdown" || title == "readme.md":
			r = 2
		case strings.HasPrefix(l.MediaType, mtDocPrefix) && strings.HasSuffix(l.MediaType, "+markdown"):
			r = 1
		}
		if r > rank {
			best, rank = i, r
		}
	}
	if best < 0 {
		return nil
	}
	return &layers[best]
}

// compatContent is what a compat layer's tarball holds.
type compatContent struct {
	wasmSize      int64
	runtimeConfig []byte
	readme        string
}

// scanCompat reads a tar+gzip layer for plugin.wasm's size,
// runtime-config.json and README.md, matching basenames as Istio does.
func scanCompat(ctx context.Context, src blobSource, dgst digest.Digest) (compatContent, error) {
	var c compatContent
	rc, err := src.open(ctx, dgst)
	if err != nil {
		return c, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		return c, fmt.Errorf("hub: layer %s: %w", dgst, err)
	}
	tr := tar.NewReader(io.LimitReader(zr, maxTarBytes))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("hub: layer %s: %w", dgst, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		switch strings.ToLower(path.Base(h.Name)) {
		case "plugin.wasm":
			c.wasmSize = h.Size
		case "runtime-config.json":
			if h.Size <= maxConfig {
				if c.runtimeConfig, err = io.ReadAll(tr); err != nil {
					return c, fmt.Errorf("hub: layer %s: %w", dgst, err)
				}
			}
		case "readme.md":
			if h.Size <= maxReadme {
				b, err := io.ReadAll(tr)
				if err != nil {
					return c, fmt.Errorf("hub: layer %s: %w", dgst, err)
				}
				c.readme = string(b)
			}
		}
	}
}
