// Package oci packages Proxy-Wasm modules as OCI images, keeps them in a
// local store, and moves them to and from registries.
//
// # Image formats
//
// NewImage writes one of two formats, both of which Istio's agent, wasme and
// Envoy Gateway pull (see shared/docs/ecosystem.md §2):
//
//   - FormatOCI, the Wasm artifact of the solo-io "oci" spec: the manifest
//     config is runtime-config.json (media type
//     application/vnd.module.wasm.config.v1+json) and the module is a raw,
//     uncompressed layer (application/vnd.module.wasm.content.layer.v1+wasm).
//     Istio's agent requires exactly two layers and picks the Wasm one by
//     media type, so, as wasme (oras) did, the config blob is listed again
//     as the first layer.
//   - FormatCompat, the "compat" variant: a tar+gzip layer holding
//     plugin.wasm and runtime-config.json, OCI media type, with the manifest
//     annotation module.wasm.image/variant=compat. Docker, podman and
//     registries that refuse custom media types handle it.
//
// ExtractWasm reads those two and Docker schema2 images, in Istio's order.
//
// # README placement
//
// ImageMeta.Readme becomes a layer of media type
// application/vnd.module.wasm.doc.v1+markdown (title README.md), the media
// type Higress uses, so a hub can fetch it without downloading the module:
//
//   - FormatCompat: the README layer comes first and the tar+gzip layer
//     last, the Higress layout; Istio reads only the last layer.
//   - FormatOCI: the README layer takes the first layer slot, in place of
//     the duplicated config. The image still has exactly two layers, one of
//     them the Wasm layer, which is all Istio's agent checks, and the
//     runtime config stays the manifest config, where wasme (which looks
//     the config up by media type among a manifest's children) and
//     ExtractWasm read it.
//
// A blob referenced only from an annotation was rejected because
// registries garbage-collect unreferenced blobs and clients do not copy
// them; a referrer artifact (OCI 1.1 subject) was rejected because it
// makes one filter two manifests to push, pull and store.
//
// # Local store
//
// Store is an OCI image layout directory whose index.json lists one
// descriptor per name, the name in the org.opencontainers.image.ref.name
// annotation, fully qualified ("index.docker.io/library/x:1",
// "ghcr.io/o/r:tag", or "repo@sha256:..." for images pulled by digest).
//
// # Errors
//
// Errors start with "oci: " and wrap their cause. Callers branch on
// *NotFoundError (no such image locally or in the registry), *FormatError
// (the image is not a Wasm module) and *AuthError (the registry refused the
// credentials).
package oci
