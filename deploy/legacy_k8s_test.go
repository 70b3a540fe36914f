package deploy

import (
	"context"
	"encoding/base64"
	"maps"
	"reflect"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// createDeployment creates a Deployment whose pods are labelled app=name,
// with the given pod template annotations.
func createDeployment(t *testing.T, c *Client, ns, name string, ann map[string]string) {
	t.Helper()
	tmplMeta := map[string]any{"labels": map[string]any{"app": name}}
	if ann != nil {
		tmplMeta["annotations"] = stringMap(ann)
	}
	d := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns, "annotations": map[string]any{"team": "web"}},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": tmplMeta,
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": "nginx:1.27"}}},
			},
		},
	}}
	if _, err := c.Dynamic().Resource(DeploymentGVR).Namespace(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func getDeployment(t *testing.T, c *Client, ns, name string) (tmpl, meta map[string]string) {
	t.Helper()
	d, err := c.Dynamic().Resource(DeploymentGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _, _ = unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "annotations")
	return tmpl, d.GetAnnotations()
}

// TestLegacyEnvoyFilterLifecycle: deploy creates the ConfigMap, merges
// the volume annotations into the existing ones and creates the
// EnvoyFilter; a new module updates them; undeploy removes all three
// changes and restores the annotations exactly.
func TestLegacyEnvoyFilterLifecycle(t *testing.T) {
	c, ns := k8sClient(t)
	ctx := context.Background()
	existing := map[string]string{
		AnnotationUserVolume:      `[{"name":"certs","secret":{"secretName":"web-certs"}}]`,
		AnnotationUserVolumeMount: `[{"name":"certs","mountPath":"/etc/certs"}]`,
		"prometheus.io/scrape":    "true",
	}
	createDeployment(t, c, ns, "web", existing)
	createDeployment(t, c, ns, "other", nil)

	mod, _ := rawModule(tinyWasm("legacy-1"), "test")
	mod.RootIDs = []string{"add_header"}
	p := &Plugin{Name: "add-header", Namespace: ns, Source: Source{Raw: "file:///tmp/f.wasm", Scheme: SchemeFile},
		Selector: map[string]string{"app": "web"}, ConfigRaw: []byte("world")}
	results, err := c.DeployLegacy(ctx, p, mod, "add_header")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range results {
		lines = append(lines, r.String())
	}
	want := "configmap/add-header-wasm created, deployment.apps/web configured, envoyfilter.networking.istio.io/add-header created"
	if strings.Join(lines, ", ") != want {
		t.Errorf("results: %s", strings.Join(lines, ", "))
	}

	cm, err := c.Dynamic().Resource(ConfigMapGVR).Namespace(ns).Get(ctx, "add-header-wasm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b64, _, _ := unstructured.NestedString(cm.Object, "binaryData", "filter.wasm")
	if data, _ := base64.StdEncoding.DecodeString(b64); string(data) != string(mod.Wasm) || cm.GetLabels()[LabelManagedBy] != "wasmesh" {
		t.Errorf("configmap: %v", cm.Object)
	}

	tmpl, meta := getDeployment(t, c, ns, "web")
	if tmpl[AnnotationUserVolume] != `[{"name":"certs","secret":{"secretName":"web-certs"}},{"configMap":{"name":"add-header-wasm"},"name":"wasm-add-header"}]` ||
		tmpl[AnnotationUserVolumeMount] != `[{"mountPath":"/etc/certs","name":"certs"},{"mountPath":"/var/local/wasm/add-header","name":"wasm-add-header","readOnly":true}]` ||
		tmpl["prometheus.io/scrape"] != "true" || tmpl["wasmesh.io/module-add-header"] != mod.SHA256 {
		t.Errorf("pod template annotations: %v", tmpl)
	}
	if meta["team"] != "web" || !strings.Contains(meta["wasmesh.io/original-add-header"], `"original"`) {
		t.Errorf("deployment annotations: %v", meta)
	}
	if tmpl, _ := getDeployment(t, c, ns, "other"); tmpl != nil {
		t.Errorf("unselected deployment patched: %v", tmpl)
	}

	ef, err := c.Dynamic().Resource(EnvoyFilterGVR).Namespace(ns).Get(ctx, "add-header", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	patches, _, _ := unstructured.NestedSlice(ef.Object, "spec", "configPatches")
	if len(patches) != 1 {
		t.Fatalf("patches: %v", patches)
	}
	patch := patches[0].(map[string]any)
	str := func(m map[string]any, path ...string) string {
		s, _, _ := unstructured.NestedString(m, path...)
		return s
	}
	cfg := []string{"patch", "value", "typed_config", "config"}
	for path, want := range map[string]string{
		"applyTo": "HTTP_FILTER", "match.context": "SIDECAR_INBOUND",
		"match.listener.filterChain.filter.name":           "envoy.filters.network.http_connection_manager",
		"match.listener.filterChain.filter.subFilter.name": "envoy.filters.http.router",
		"patch.operation": "INSERT_BEFORE", "patch.value.name": "envoy.filters.http.wasm",
	} {
		if got := str(patch, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	for path, want := range map[string]string{
		"root_id": "add_header", "vm_config.runtime": "envoy.wasm.runtime.v8",
		"vm_config.code.local.filename": "/var/local/wasm/add-header/filter.wasm",
		"configuration.@type":           "type.googleapis.com/google.protobuf.StringValue", "configuration.value": "world",
	} {
		if got := str(patch, append(cfg, strings.Split(path, ".")...)...); got != want {
			t.Errorf("config %s = %q, want %q", path, got, want)
		}
	}
	if sel, _, _ := unstructured.NestedStringMap(ef.Object, "spec", "workloadSelector", "labels"); !maps.Equal(sel, p.Selector) {
		t.Errorf("workloadSelector %v", sel)
	}

	// A new module: the ConfigMap and the pod template's module hash change.
	mod2, _ := rawModule(tinyWasm("legacy-2"), "test")
	p.Selector, p.TargetRefs = nil, []TargetRef{{Group: "apps", Kind: "Deployment", Name: "web"}}
	if _, err := c.DeployLegacy(ctx, p, mod2, "add_header"); err != nil {
		t.Fatal(err)
	}
	if tmpl, _ := getDeployment(t, c, ns, "web"); tmpl["wasmesh.io/module-add-header"] != mod2.SHA256 ||
		strings.Count(tmpl[AnnotationUserVolume], "wasm-add-header") != 1 {
		t.Errorf("after the update: %v", tmpl)
	}
	list, err := c.List(ctx, ns)
	if err != nil || len(list) != 1 || list[0].Kind != "EnvoyFilter" || list[0].Target != "Deployment/web" ||
		list[0].SHA256 != mod2.SHA256 || list[0].URL != "file:///var/local/wasm/add-header/filter.wasm" {
		t.Errorf("list: %+v %v", list, err)
	}

	results, err = c.Undeploy(ctx, ns, "add-header")
	lines = nil
	for _, r := range results {
		lines = append(lines, r.String())
	}
	if err != nil || strings.Join(lines, ", ") != "envoyfilter.networking.istio.io/add-header deleted, deployment.apps/web restored, configmap/add-header-wasm deleted" {
		t.Errorf("undeploy: %s %v", strings.Join(lines, ", "), err)
	}
	tmpl, meta = getDeployment(t, c, ns, "web")
	if !reflect.DeepEqual(tmpl, existing) || !reflect.DeepEqual(meta, map[string]string{"team": "web"}) {
		t.Errorf("not restored:\n%v\n%v", tmpl, meta)
	}
	for _, g := range []struct{ gvr, name string }{{"cm", "add-header-wasm"}, {"ef", "add-header"}} {
		ri := c.Dynamic().Resource(ConfigMapGVR).Namespace(ns)
		if g.gvr == "ef" {
			ri = c.Dynamic().Resource(EnvoyFilterGVR).Namespace(ns)
		}
		if _, err := ri.Get(ctx, g.name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s %s after undeploy: %v", g.gvr, g.name, err)
		}
	}
}

// TestLegacyRefusals: no matching Deployment, a module too big for a
// ConfigMap.
func TestLegacyRefusals(t *testing.T) {
	c, ns := k8sClient(t)
	mod, _ := rawModule(tinyWasm("x"), "test")
	p := &Plugin{Name: "f", Namespace: ns, Source: Source{Raw: "x"}, Selector: map[string]string{"app": "nothing"}}
	if _, err := c.DeployLegacy(context.Background(), p, mod, ""); err == nil ||
		err.Error() != "deploy: no deployment in namespace "+ns+" has pods labelled app=nothing" {
		t.Errorf("no deployment: %v", err)
	}
	big := &Module{Wasm: append(tinyWasm("big"), make([]byte, 1<<20)...)}
	if _, err := LegacyConfigMap(p, big); err == nil || !strings.Contains(err.Error(), "over the ~1 MiB a ConfigMap holds") {
		t.Errorf("big module: %v", err)
	}
}
