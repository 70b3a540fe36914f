package oci

import (
	"strconv"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of the Wasm image formats (ecosystem.md §2).
const (
	// MediaTypeWasmConfig is the config blob of the Wasm artifact: runtime-config.json.
	MediaTypeWasmConfig types.MediaType = "application/vnd.module.wasm.config.v1+json"
	// MediaTypeWasmLayer is the raw, uncompressed Wasm module of the artifact.
	MediaTypeWasmLayer types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"
	// MediaTypeReadme is a README.md layer (Higress's media type).
	MediaTypeReadme types.MediaType = "application/vnd.module.wasm.doc.v1+markdown"
)

// Annotation keys written by NewImage and read by the store.
const (
	AnnotationABIVersion  = "module.wasm.runtime/abi_version" // comma-joined ABI versions (wasme)
	AnnotationRuntimeType = "module.wasm.runtime/type"        // "envoy_proxy" (wasme)
	AnnotationVariant     = "module.wasm.image/variant"       // "compat" on compat images
	AnnotationLanguage    = "io.wasmesh.language"             // source language of the module
	AnnotationRevision    = "org.opencontainers.image.revision"
	AnnotationSource      = "org.opencontainers.image.source"
	AnnotationCreated     = "org.opencontainers.image.created"
	AnnotationTitle       = "org.opencontainers.image.title" // file name of a layer
	AnnotationRefName     = "org.opencontainers.image.ref.name"
)

// File names inside the images.
const (
	fileRuntimeConfig = "runtime-config.json"
	fileArtifactWasm  = "filter.wasm"
	fileCompatWasm    = "plugin.wasm"
	fileReadme        = "README.md"
)

// RuntimeTypeEnvoy is the runtime type of Proxy-Wasm modules for Envoy.
const RuntimeTypeEnvoy = "envoy_proxy"

// MaxWasmSize caps the module read from an image: 256 MiB, the default of
// Istio's ISTIO_WASM_MAX_BINARY_SIZE_BYTES.
const MaxWasmSize = 256 << 20

// Format selects the image layout NewImage writes.
type Format int

const (
	// FormatOCI is the Wasm OCI artifact (the default): runtime config as
	// the manifest config, raw module layer, two layers in all.
	FormatOCI Format = iota
	// FormatCompat is the compat variant: one tar+gzip layer holding
	// plugin.wasm and runtime-config.json.
	FormatCompat
)

// String returns "oci" or "compat".
func (f Format) String() string {
	switch f {
	case FormatOCI:
		return "oci"
	case FormatCompat:
		return "compat"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat is the inverse of Format.String ("" means FormatOCI).
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "oci":
		return FormatOCI, nil
	case "compat":
		return FormatCompat, nil
	}
	return 0, errorf("unknown image format %q (want oci or compat)", s)
}
