// Package deploy puts Proxy-Wasm filters into an Istio mesh through the
// Kubernetes API, with the dynamic client (no generated Istio clients).
//
// # WasmPlugin
//
// WasmPlugin builds an extensions.istio.io/v1alpha1 WasmPlugin from a
// Plugin and what Resolver.Resolve found about its source; Client.Apply
// writes it with server-side apply (field manager "wasmesh", forced), so
// deploying again with other flags converges the object on those flags:
// fields wasmesh set before and no longer sets are removed, fields other
// managers own are kept, and an unchanged spec does not bump the
// generation. An existing WasmPlugin that wasmesh did not create is left
// alone (an error names it).
//
// Sources are oci://host/repo:tag, host/repo:tag (Istio's default scheme
// is oci), https://... and file://... . Unless Plugin.NoPin is set, an OCI
// tag is resolved to its manifest digest through the registry and written
// as url oci://host/repo@sha256:<hex> plus sha256 <hex>: Istio compares an
// oci sha256 with the manifest digest (shared/docs/ecosystem.md §2.3), so
// the proxies run exactly the image that was resolved, whatever the tag
// points at later. An http(s) module is downloaded and pinned by the
// SHA-256 of its bytes, Istio's semantics for http. A file:// URL names a
// path inside the proxy container and is written as given.
//
// The plugin name (Envoy's root_id) defaults to the root id in the image's
// runtime config, read from the config blob (or from the compat layer).
//
// # Legacy EnvoyFilter path
//
// For meshes without WasmPlugin (Istio 1.5-1.11), Client.DeployLegacy
// does what wasme did: a ConfigMap <name>-wasm holding the module, the
// sidecar.istio.io/userVolume and userVolumeMount annotations on the
// Deployment's pod template (merged with the values already there, the
// originals recorded on the Deployment so Undeploy restores them
// exactly), and a networking.istio.io/v1alpha3 EnvoyFilter inserting
// envoy.filters.http.wasm before the router with the module's local path.
//
// # Ownership
//
// Everything wasmesh creates carries the label
// app.kubernetes.io/managed-by=wasmesh and the annotations
// wasmesh.io/source (the reference as given) and wasmesh.io/sha256;
// Client.List finds them by that label, and Client.Undeploy refuses
// objects without it.
//
// Errors start with "deploy: " and name the object or the field.
package deploy
