// Package hub is wasmesh's embedded OCI registry with a web catalogue of
// Proxy-Wasm modules (`wasmesh hub serve`).
//
// One [Server] serves three things on one listener:
//
//   - /v2/: a real OCI distribution registry, the CNCF distribution v3
//     library (registry/handlers.App) with a filesystem storage driver rooted
//     at [Config.Storage]. docker, oras, crane and `wasmesh push --plain-http`
//     push to it and pull from it. With [Config.Htpasswd] it asks for HTTP
//     basic credentials checked against a bcrypt htpasswd file, exactly as
//     distribution's "htpasswd" auth does.
//   - /api/: a JSON API over the stored modules: GET /api/modules?q=TEXT lists
//     them ([ModuleList]), GET /api/modules/{name...} returns one with every
//     tag ([ModuleDetail]).
//   - /: a static page (HTML, CSS and plain JavaScript embedded in the
//     binary, no framework, no CDN) that searches the API as you type and
//     shows a module's tags, digests, ABI versions, root IDs, README and the
//     commands to pull and deploy it.
//
// # How metadata is read
//
// The catalogue reads the registry's storage directly, through
// distribution's own storage API (registry/storage.NewRegistry over a second
// filesystem driver on the same directory): repositories, tags, manifests and
// blobs as the registry itself stores them, without an HTTP round trip and
// without needing credentials when htpasswd auth is on. A tag's update time is
// the modification time of its link file in that storage. Manifests are
// immutable, so what is read from one (formats, ABI versions, root IDs,
// README...) is cached by manifest digest.
//
// All three image formats Istio reads are understood (see the project's
// docs/ecosystem.md §2):
//
//   - the Wasm OCI artifact: config media type
//     application/vnd.module.wasm.config.v1+json holding
//     {"type", "abiVersions", "config": {"rootIds"}} (abi_versions,
//     abi_version and root_ids are accepted too), a layer
//     application/vnd.module.wasm.content.layer.v1+wasm;
//   - the OCI compat image: a tar+gzip layer holding plugin.wasm and
//     optionally runtime-config.json (the last such layer is read);
//   - the same as a Docker schema 2 image.
//
// Manifest annotations add module.wasm.runtime/abi_version (comma separated),
// module.wasm.runtime/type, io.wasmesh.language and
// org.opencontainers.image.revision; image config labels count as
// annotations. The README is, in order: a layer with media type
// application/vnd.module.wasm.doc.v1+markdown (or a README.md inside the
// compat tarball), a referrer artifact carrying such a layer found through the
// OCI referrers tag schema (tag sha256-<hex>, as oras attach writes it on a
// registry without the referrers API), or else the
// org.opencontainers.image.description annotation. A module's description is
// the README's first paragraph.
//
// The hub has no TLS: it is meant for localhost and development. Put a TLS
// terminating proxy in front of it to expose it, above all with htpasswd auth,
// whose credentials travel in clear otherwise.
package hub
