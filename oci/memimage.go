package oci

import (
	"bytes"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// memImage is an image held in memory as its raw manifest and blobs. It
// lets NewImage write manifests byte for byte (ggcr's mutate re-encodes
// the config as an image config), and Pull hand back an image that no
// longer needs the registry.
type memImage struct {
	mediaType types.MediaType
	manifest  []byte
	blobs     map[v1.Hash]memBlob // config and layers
}

type memBlob struct {
	data      []byte
	mediaType types.MediaType
}

var _ partial.CompressedImageCore = (*memImage)(nil)

func (m *memImage) image() (v1.Image, error) {
	img, err := partial.CompressedToImage(m)
	if err != nil {
		return nil, errorf("build image: %w", err)
	}
	return img, nil
}

// MediaType implements partial.CompressedImageCore.
func (m *memImage) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// RawManifest implements partial.CompressedImageCore.
func (m *memImage) RawManifest() ([]byte, error) { return m.manifest, nil }

// RawConfigFile implements partial.CompressedImageCore.
func (m *memImage) RawConfigFile() ([]byte, error) {
	mf, err := v1.ParseManifest(bytes.NewReader(m.manifest))
	if err != nil {
		return nil, err
	}
	b, ok := m.blobs[mf.Config.Digest]
	if !ok {
		return nil, errorf("config blob %s missing", mf.Config.Digest)
	}
	return b.data, nil
}

// LayerByDigest implements partial.CompressedImageCore.
func (m *memImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	b, ok := m.blobs[h]
	if !ok {
		return nil, errorf("blob %s missing", h)
	}
	return &memLayer{digest: h, blob: b}, nil
}

type memLayer struct {
	digest v1.Hash
	blob   memBlob
}

func (l *memLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *memLayer) Size() (int64, error)     { return int64(len(l.blob.data)), nil }
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob.data)), nil
}
func (l *memLayer) MediaType() (types.MediaType, error) { return l.blob.mediaType, nil }
