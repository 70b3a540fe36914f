package deploy

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Deployed is one WasmPlugin or EnvoyFilter wasmesh created, as List
// reports it.
type Deployed struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Kind      string `json:"kind"` // WasmPlugin or EnvoyFilter
	// Target is what the filter applies to: "app=x" (selector),
	// "Gateway/gw" (targetRefs), "Deployment/x" (legacy) or "namespace".
	Target string `json:"target"`
	// URL is the WasmPlugin url, or the legacy module's file in the proxy.
	URL string `json:"url"`
	// Source is the reference as given to deploy.
	Source string `json:"source,omitempty"`
	// SHA256 is the pinned digest (WasmPlugin) or the module's hash.
	SHA256     string    `json:"sha256,omitempty"`
	Phase      string    `json:"phase,omitempty"`
	Generation int64     `json:"generation"`
	Created    time.Time `json:"created"`
}

// List returns what wasmesh deployed in namespace ns, or in all
// namespaces when ns is empty, sorted by namespace and name. A resource
// the cluster does not serve (Istio without its CRDs, or without
// WasmPlugin) is skipped.
func (c *Client) List(ctx context.Context, ns string) ([]Deployed, error) {
	sel := metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedByValue}
	var out []Deployed
	for _, gvr := range []schema.GroupVersionResource{WasmPluginGVR, EnvoyFilterGVR} {
		list, err := c.dyn.Resource(gvr).Namespace(ns).List(ctx, sel)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, apiError("list", gvr, ns, "", err)
		}
		for i := range list.Items {
			out = append(out, describeDeployed(&list.Items[i]))
		}
	}
	slices.SortFunc(out, func(a, b Deployed) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

func describeDeployed(o *unstructured.Unstructured) Deployed {
	d := Deployed{
		Namespace: o.GetNamespace(), Name: o.GetName(), Kind: o.GetKind(),
		Source: o.GetAnnotations()[AnnotationSource], SHA256: o.GetAnnotations()[AnnotationSHA256],
		Generation: o.GetGeneration(), Created: o.GetCreationTimestamp().Time,
	}
	str := func(path ...string) string {
		s, _, _ := unstructured.NestedString(o.Object, path...)
		return s
	}
	if d.Kind == "WasmPlugin" {
		d.URL, d.Phase = str("spec", "url"), str("spec", "phase")
		if s := str("spec", "sha256"); s != "" {
			d.SHA256 = s
		}
		labels, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector", "matchLabels")
		refs, _, _ := unstructured.NestedSlice(o.Object, "spec", "targetRefs")
		d.Target = describeTarget(labels, refs)
		return d
	}
	d.URL = "file://" + LegacyFilename(o.GetName())
	labels, _, _ := unstructured.NestedStringMap(o.Object, "spec", "workloadSelector", "labels")
	d.Target = describeTarget(labels, nil)
	if p := o.GetAnnotations()[AnnotationPatched]; p != "" {
		d.Target = "Deployment/" + strings.ReplaceAll(p, ",", ",Deployment/")
	}
	return d
}

func describeTarget(labels map[string]string, refs []any) string {
	if len(refs) > 0 {
		parts := make([]string, 0, len(refs))
		for _, r := range refs {
			m, _ := r.(map[string]any)
			kind, _ := m["kind"].(string)
			name, _ := m["name"].(string)
			parts = append(parts, kind+"/"+name)
		}
		return strings.Join(parts, ",")
	}
	if len(labels) > 0 {
		return formatLabels(labels)
	}
	return "namespace"
}
