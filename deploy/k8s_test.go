package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wasmesh/wasmesh/deploy/k8stest"
	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

// k8sClient starts (or reuses) the API server and returns a client for a
// fresh namespace.
func k8sClient(t *testing.T) (*Client, string) {
	t.Helper()
	env := k8stest.Require(t)
	ns := env.Namespace(t, "deploy")
	c, err := NewClientForConfig(env.Config, ns)
	if err != nil {
		t.Fatal(err)
	}
	return c, ns
}

// deployTag resolves ref, builds the WasmPlugin and applies it.
func deployTag(t *testing.T, c *Client, p *Plugin) (Result, Resolved) {
	t.Helper()
	r := &Resolver{Registry: oci.Options{Keychain: noCreds{}}}
	res, err := r.Resolve(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	root, err := PickRootID(p.RootID, res.RootIDs)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := WasmPlugin(p, res, root)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Apply(context.Background(), WasmPluginGVR, obj)
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

// TestWasmPluginLifecycle deploys a pinned image, deploys again (no
// change), pushes a new image under the same tag and deploys (new
// digest, next generation), lists and undeploys.
func TestWasmPluginLifecycle(t *testing.T) {
	c, ns := k8sClient(t)
	ctx := context.Background()
	host := ocitest.NewRegistry(t)
	ref := host + "/filters/add-header:v1"
	d1 := pushImage(t, ref, "one", oci.FormatOCI, "add_header")
	src, _ := ParseSource(ref)
	prio := int32(5)
	p := &Plugin{Name: "add-header", Namespace: ns, Source: src, Selector: map[string]string{"app": "httpbin"},
		Config: map[string]any{"header": "x-hello", "value": "world"}, Phase: "STATS", Priority: &prio,
		FailStrategy: "FAIL_OPEN", PullPolicy: "IfNotPresent", PullSecret: "regcred",
		Env: []EnvVar{{Name: "MODE", Value: "strict"}}}

	r1, _ := deployTag(t, c, p)
	if r1.Action != "created" || r1.Generation != 1 || r1.String() != "wasmplugin.extensions.istio.io/add-header created" {
		t.Errorf("first deploy: %v, generation %d", r1, r1.Generation)
	}
	got := r1.Object
	str := func(path ...string) string { s, _, _ := unstructured.NestedString(got.Object, path...); return s }
	if u := str("spec", "url"); u != "oci://"+host+"/filters/add-header@sha256:"+d1 {
		t.Errorf("url %s", u)
	}
	if str("spec", "sha256") != d1 || str("spec", "pluginName") != "add_header" || str("spec", "phase") != "STATS" ||
		str("spec", "failStrategy") != "FAIL_OPEN" || str("spec", "imagePullPolicy") != "IfNotPresent" ||
		str("spec", "imagePullSecret") != "regcred" || str("spec", "pluginConfig", "header") != "x-hello" ||
		str("spec", "selector", "matchLabels", "app") != "httpbin" {
		t.Errorf("spec: %v", got.Object["spec"])
	}
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "priority"); n != 5 {
		t.Errorf("priority %d", n)
	}
	if got.GetLabels()[LabelManagedBy] != "wasmesh" || got.GetAnnotations()[AnnotationSource] != ref ||
		got.GetAnnotations()[AnnotationSHA256] != d1 {
		t.Errorf("metadata: %v %v", got.GetLabels(), got.GetAnnotations())
	}

	r2, _ := deployTag(t, c, p)
	if r2.Action != "unchanged" || r2.Generation != 1 {
		t.Errorf("same deploy: %v, generation %d", r2, r2.Generation)
	}

	// A new image under the same tag: the digest moves, the generation too;
	// dropping --priority removes the field wasmesh set before.
	d2 := pushImage(t, ref, "two", oci.FormatCompat, "add_header")
	p.Priority = nil
	r3, res := deployTag(t, c, p)
	if r3.Action != "configured" || r3.Generation != 2 || res.SHA256 != d2 || d2 == d1 {
		t.Errorf("redeploy: %v, generation %d, sha %s (was %s)", r3, r3.Generation, res.SHA256, d1)
	}
	if s, _, _ := unstructured.NestedString(r3.Object.Object, "spec", "sha256"); s != d2 {
		t.Errorf("sha256 after update %s", s)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(r3.Object.Object, "spec", "priority"); found {
		t.Errorf("priority still set: %v", r3.Object.Object["spec"])
	}

	list, err := c.List(ctx, ns)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if l := list[0]; l.Kind != "WasmPlugin" || l.Target != "app=httpbin" || l.SHA256 != d2 || l.Phase != "STATS" || l.Generation != 2 {
		t.Errorf("list entry %+v", l)
	}

	out, err := c.Undeploy(ctx, ns, "add-header")
	if err != nil || len(out) != 1 || out[0].String() != "wasmplugin.extensions.istio.io/add-header deleted" {
		t.Errorf("undeploy: %v %v", out, err)
	}
	if _, err := c.Dynamic().Resource(WasmPluginGVR).Namespace(ns).Get(ctx, "add-header", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after undeploy: %v", err)
	}
	if _, err := c.Undeploy(ctx, ns, "add-header"); !errors.Is(err, ErrNothingDeployed) {
		t.Errorf("second undeploy: %v", err)
	}
}

// TestForeignObjectsAreLeftAlone: a WasmPlugin wasmesh did not create is
// neither overwritten nor deleted.
func TestForeignObjectsAreLeftAlone(t *testing.T) {
	c, ns := k8sClient(t)
	ctx := context.Background()
	foreign := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
		"metadata": map[string]any{"name": "theirs", "namespace": ns},
		"spec":     map[string]any{"url": "oci://ghcr.io/someone/f:1"},
	}}
	if _, err := c.Dynamic().Resource(WasmPluginGVR).Namespace(ns).Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := &Plugin{Name: "theirs", Namespace: ns, Source: Source{Raw: "x/y:1", URL: "oci://x/y:1"}}
	obj, _ := WasmPlugin(p, Resolved{URL: "oci://x/y:1"}, "")
	want := "deploy: wasmplugin.extensions.istio.io " + ns + "/theirs exists and is not managed by wasmesh (no app.kubernetes.io/managed-by=wasmesh label): choose another --name"
	if _, err := c.Apply(ctx, WasmPluginGVR, obj); err == nil || err.Error() != want {
		t.Errorf("apply over a foreign object: %v", err)
	}
	if _, err := c.Undeploy(ctx, ns, "theirs"); err == nil || !strings.Contains(err.Error(), "not managed by wasmesh") {
		t.Errorf("undeploy of a foreign object: %v", err)
	}
	got, err := c.Dynamic().Resource(WasmPluginGVR).Namespace(ns).Get(ctx, "theirs", metav1.GetOptions{})
	if err != nil || got.GetGeneration() != 1 {
		t.Errorf("foreign object changed: %v %v", got, err)
	}
}

// TestCRDValidationApplies: the schema is really enforced (so the tests
// that pass through it mean something): a bad sha256 is refused.
func TestCRDValidationApplies(t *testing.T) {
	c, ns := k8sClient(t)
	p := &Plugin{Name: "bad", Namespace: ns, Source: Source{Raw: "x/y:1", URL: "oci://x/y:1"}}
	obj, _ := WasmPlugin(p, Resolved{URL: "oci://x/y:1", SHA256: "not-a-digest"}, "")
	_, err := c.Apply(context.Background(), WasmPluginGVR, obj)
	if err == nil || !strings.Contains(err.Error(), "spec.sha256") {
		t.Errorf("bad sha256 accepted: %v", err)
	}
	// A cluster without the CRD: the error says so.
	gvr := schema.GroupVersionResource{Group: "extensions.istio.io", Version: "v1alpha9", Resource: "wasmplugins"}
	_, err = c.Apply(context.Background(), gvr, obj)
	if err == nil || !strings.HasPrefix(err.Error(), "deploy: apply wasmplugin.extensions.istio.io "+ns+
		"/bad: the API server does not serve wasmplugins.extensions.istio.io (is Istio installed, with its CRDs?)") {
		t.Errorf("unserved resource: %v", err)
	}
}
