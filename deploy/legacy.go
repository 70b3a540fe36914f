package deploy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// maxLegacyName keeps wasmesh.io/original-<name> a valid annotation key.
const maxLegacyName = validation.LabelValueMaxLength - len("original-")

// maxConfigMapBytes is the API server's limit on a ConfigMap's data.
const maxConfigMapBytes = 1 << 20

// ValidateLegacy checks p for the legacy path: an HTTP filter, a name
// short enough for the volume and annotations derived from it, and a
// workload (--selector or --target-ref Deployment/name).
func (p *Plugin) ValidateLegacy() error {
	if err := p.Validate(); err != nil {
		return err
	}
	if errs := validation.IsDNS1123Label(p.Name); len(errs) > 0 || len(p.Name) > maxLegacyName {
		return fmt.Errorf("deploy: --name %q: with --legacy-envoyfilter the name must be a DNS label of at most %d characters (it names a volume and annotations)", p.Name, maxLegacyName)
	}
	if p.Type == "NETWORK" {
		return fmt.Errorf("deploy: --type NETWORK: the legacy EnvoyFilter path inserts HTTP filters only")
	}
	for _, t := range p.TargetRefs {
		if t.Kind != "Deployment" {
			return fmt.Errorf("deploy: --target-ref %s/%s: with --legacy-envoyfilter the target is a Deployment", t.Kind, t.Name)
		}
	}
	if len(p.TargetRefs) > 1 {
		return fmt.Errorf("deploy: --target-ref: with --legacy-envoyfilter give one Deployment, or --selector")
	}
	if len(p.Selector) == 0 && len(p.TargetRefs) == 0 {
		return fmt.Errorf("deploy: --legacy-envoyfilter needs the workload: --selector k=v or --target-ref Deployment/name")
	}
	return nil
}

// LegacyConfigMap is the ConfigMap <name>-wasm holding the module as
// binaryData filter.wasm.
func LegacyConfigMap(p *Plugin, mod *Module) (*unstructured.Unstructured, error) {
	if len(mod.Wasm) > maxConfigMapBytes-1024 {
		return nil, fmt.Errorf("deploy: configmap %s/%s-wasm: the module is %d bytes, over the ~1 MiB a ConfigMap holds: use a WasmPlugin (without --legacy-envoyfilter)", p.Namespace, p.Name, len(mod.Wasm))
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   managedMeta(p.Name+"-wasm", p.Namespace, p.Source.Raw, mod.SHA256),
		"binaryData": map[string]any{"filter.wasm": base64.StdEncoding.EncodeToString(mod.Wasm)},
	}}, nil
}

// LegacyEnvoyFilter is the EnvoyFilter that inserts envoy.filters.http.wasm
// before the router of the inbound sidecar listeners of the pods workload
// selects, loading the module from LegacyFilename with the V8 runtime;
// the configuration is passed as a StringValue. patched lists the
// Deployments whose pod templates carry the volume.
func LegacyEnvoyFilter(p *Plugin, mod *Module, rootID string, workload map[string]string, patched []string) *unstructured.Unstructured {
	config := map[string]any{
		"name":          p.Name,
		"configuration": map[string]any{"@type": "type.googleapis.com/google.protobuf.StringValue", "value": string(p.ConfigRaw)},
		"vm_config": map[string]any{
			"vm_id":   p.Name,
			"runtime": "envoy.wasm.runtime.v8",
			"code":    map[string]any{"local": map[string]any{"filename": LegacyFilename(p.Name)}},
		},
	}
	if rootID != "" {
		config["root_id"] = rootID
	}
	if p.FailStrategy == "FAIL_OPEN" {
		config["fail_open"] = true
	}
	patch := map[string]any{
		"applyTo": "HTTP_FILTER",
		"match": map[string]any{
			"context": "SIDECAR_INBOUND",
			"listener": map[string]any{"filterChain": map[string]any{"filter": map[string]any{
				"name":      "envoy.filters.network.http_connection_manager",
				"subFilter": map[string]any{"name": "envoy.filters.http.router"},
			}}},
		},
		"patch": map[string]any{
			"operation": "INSERT_BEFORE",
			"value": map[string]any{
				"name": "envoy.filters.http.wasm",
				"typed_config": map[string]any{
					"@type":  "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
					"config": config,
				},
			},
		},
	}
	meta := managedMeta(p.Name, p.Namespace, p.Source.Raw, mod.SHA256)
	if len(patched) > 0 {
		meta["annotations"].(map[string]any)[AnnotationPatched] = strings.Join(patched, ",")
	}
	spec := map[string]any{"configPatches": []any{patch}}
	if len(workload) > 0 {
		spec["workloadSelector"] = map[string]any{"labels": stringMap(workload)}
	}
	if p.Priority != nil {
		spec["priority"] = int64(*p.Priority)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1alpha3",
		"kind":       "EnvoyFilter",
		"metadata":   meta,
		"spec":       spec,
	}}
}

// DeployLegacy deploys mod the seed 004 way: the ConfigMap, then the
// volume annotations on the pod templates of the Deployments p selects
// (their pods restart and mount the module), then the EnvoyFilter. A
// Deployment patched by an earlier deploy of the same name and no longer
// selected is restored.
func (c *Client) DeployLegacy(ctx context.Context, p *Plugin, mod *Module, rootID string) ([]Result, error) {
	if err := p.ValidateLegacy(); err != nil {
		return nil, err
	}
	deps, err := c.selectDeployments(ctx, p)
	if err != nil {
		return nil, err
	}
	workload := p.Selector
	if len(workload) == 0 {
		workload, _, _ = unstructured.NestedStringMap(deps[0].Object, "spec", "selector", "matchLabels")
		if len(workload) == 0 {
			return nil, fmt.Errorf("deploy: deployment %s/%s has no spec.selector.matchLabels to select its pods with: give --selector", p.Namespace, deps[0].GetName())
		}
	}
	cm, err := LegacyConfigMap(p, mod)
	if err != nil {
		return nil, err
	}
	// Refuse before changing anything if the EnvoyFilter is someone else's.
	ef, err := c.dyn.Resource(EnvoyFilterGVR).Namespace(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	if err == nil && !isManaged(ef) {
		return nil, fmt.Errorf("deploy: envoyfilter.networking.istio.io %s/%s exists and is %w: choose another --name", p.Namespace, p.Name, errNotManaged)
	}
	var results []Result
	r, err := c.Apply(ctx, ConfigMapGVR, cm)
	if err != nil {
		return nil, err
	}
	results = append(results, r)
	var names []string
	for _, d := range deps {
		r, err := c.patchDeployment(ctx, p.Namespace, d.GetName(), p.Name, func(tmpl map[string]string, rec *legacyRecord) (*legacyRecord, error) {
			return applyLegacyAnnotations(tmpl, p.Name, mod.SHA256, rec)
		})
		if err != nil {
			return results, err
		}
		results = append(results, r)
		names = append(names, d.GetName())
	}
	// Deployments patched before and not selected now get their values back.
	stale, err := c.recordedDeployments(ctx, p.Namespace, p.Name)
	if err != nil {
		return results, err
	}
	for _, d := range stale {
		if slices.Contains(names, d) {
			continue
		}
		r, err := c.restoreDeployment(ctx, p.Namespace, d, p.Name)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	r, err = c.Apply(ctx, EnvoyFilterGVR, LegacyEnvoyFilter(p, mod, rootID, workload, names))
	if err != nil {
		return results, err
	}
	return append(results, r), nil
}

// selectDeployments finds the Deployment of --target-ref, or those whose
// pod template labels include every --selector label.
func (c *Client) selectDeployments(ctx context.Context, p *Plugin) ([]unstructured.Unstructured, error) {
	ri := c.dyn.Resource(DeploymentGVR).Namespace(p.Namespace)
	if len(p.TargetRefs) == 1 {
		d, err := ri.Get(ctx, p.TargetRefs[0].Name, metav1.GetOptions{})
		if err != nil {
			return nil, apiError("get", DeploymentGVR, p.Namespace, p.TargetRefs[0].Name, err)
		}
		return []unstructured.Unstructured{*d}, nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("deploy: list deployments in %s: %w", p.Namespace, err)
	}
	var out []unstructured.Unstructured
	for _, d := range list.Items {
		labels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
		if matches(labels, p.Selector) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("deploy: no deployment in namespace %s has pods labelled %s", p.Namespace, formatLabels(p.Selector))
	}
	return out, nil
}

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// formatLabels renders labels as k=v,k=v, sorted.
func formatLabels(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// decodeRecord reads the record of plugin name from a Deployment's
// annotations (nil when there is none).
func decodeRecord(ann map[string]string, name string) (*legacyRecord, error) {
	s, ok := ann[recordKey(name)]
	if !ok {
		return nil, nil
	}
	var rec legacyRecord
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		return nil, fmt.Errorf("deploy: annotation %s: %w", recordKey(name), err)
	}
	return &rec, nil
}
