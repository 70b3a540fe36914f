package cli

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wasmesh/wasmesh/deploy"
	"github.com/wasmesh/wasmesh/deploy/k8stest"
	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

// kubeRun runs a deploy command against the test cluster and logs the
// command and its output (docs/istio.md shows them).
func kubeRun(t *testing.T, env *k8stest.Env, args ...string) string {
	t.Helper()
	out, stderr, err := ociRun(t, "", append(args, "--kubeconfig", env.Kubeconfig)...)
	t.Logf("$ wasmesh %s\n%s%s", strings.Join(args, " "), stderr, out)
	if err != nil {
		t.Fatalf("wasmesh %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// pushTiny builds a tiny module image into store and pushes it to ref.
func pushTiny(t *testing.T, store, ref, name string) string {
	t.Helper()
	s, err := oci.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.NewImage(tinyWasm(name), oci.ImageMeta{ABIVersions: []string{"0.2.0"}, RootIDs: []string{"add_header"}}, oci.FormatOCI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ref, img); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := ociRun(t, "", "push", ref, "--store", store)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, stderr)
	}
	return strings.TrimSpace(out)
}

var ageColumn = regexp.MustCompile(`\s+\d+s\n`)

// TestDeployCommands: deploy istio, deploy list, a redeploy after the tag
// moved, undeploy istio; then the legacy path, through the commands.
func TestDeployCommands(t *testing.T) {
	env := k8stest.Require(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ns := env.Namespace(t, "cli")
	host := ocitest.NewRegistry(t)
	store := t.TempDir() + "/store"
	ref := host + "/filters/add-header:v1"
	d1 := pushTiny(t, store, ref, "v1")

	deployArgs := []string{"deploy", "istio", ref, "--name", "add-header", "-n", ns, "--selector", "app=httpbin",
		"--config", `{"header":"x-hello","value":"world"}`, "--phase", "STATS", "--store", store}
	out := kubeRun(t, env, deployArgs...)
	want := "wasmplugin.extensions.istio.io/add-header created (namespace " + ns + ", generation 1)\n" +
		"  url: oci://" + host + "/filters/add-header@" + d1 + "\n  sha256: " + d1[7:] + "\n  pluginName: add_header\n"
	if out != want {
		t.Errorf("deploy:\n%s\nwant\n%s", out, want)
	}
	if out := kubeRun(t, env, deployArgs...); !strings.HasPrefix(out, "wasmplugin.extensions.istio.io/add-header unchanged (namespace "+ns+", generation 1)") {
		t.Errorf("same deploy: %s", out)
	}

	d2 := pushTiny(t, store, ref, "v2")
	out = kubeRun(t, env, deployArgs...)
	if !strings.HasPrefix(out, "wasmplugin.extensions.istio.io/add-header configured (namespace "+ns+", generation 2)") ||
		!strings.Contains(out, "sha256: "+d2[7:]) {
		t.Errorf("redeploy after the tag moved (%s): %s", d2, out)
	}

	out = kubeRun(t, env, "deploy", "list", "-n", ns)
	table := ageColumn.ReplaceAllString(out, " AGE\n")
	wantRow := regexp.MustCompile(`(?m)^` + ns + `\s+add-header\s+WasmPlugin\s+app=httpbin\s+oci://` + regexp.QuoteMeta(host) +
		`/filters/add-header@sha256:` + d2[7:19] + `\s+` + d2[7:19] + `\s+STATS\s+2 AGE$`)
	if !wantRow.MatchString(table) {
		t.Errorf("deploy list:\n%s", out)
	}
	var items []deploy.Deployed
	if err := json.Unmarshal([]byte(kubeRun(t, env, "deploy", "list", "-A", "-o", "json")), &items); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range items {
		found = found || (it.Namespace == ns && it.Name == "add-header" && it.SHA256 == d2[7:] && it.Source == ref)
	}
	if !found {
		t.Errorf("deploy list -A -o json: %+v", items)
	}

	out = kubeRun(t, env, "undeploy", "istio", "add-header", "-n", ns)
	if out != "wasmplugin.extensions.istio.io/add-header deleted\n" {
		t.Errorf("undeploy: %q", out)
	}
	_, _, err := ociRun(t, "", "undeploy", "istio", "add-header", "-n", ns, "--kubeconfig", env.Kubeconfig)
	if err == nil || err.Error() != "deploy: undeploy add-header in namespace "+ns+": nothing deployed by wasmesh under that name" {
		t.Errorf("second undeploy: %v", err)
	}

	// Legacy: the module comes from the local store.
	dyn, _ := env.Dynamic()
	web := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": ns},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"},
					"annotations": map[string]any{deploy.AnnotationUserVolume: `[{"name":"certs","secret":{"secretName":"web-certs"}}]`}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx:1.27"}}},
			},
		},
	}}
	if _, err := dyn.Resource(deploy.DeploymentGVR).Namespace(ns).Create(context.Background(), web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out = kubeRun(t, env, "deploy", "istio", ref, "--name", "add-header", "-n", ns, "--selector", "app=web",
		"--legacy-envoyfilter", "--config", "world", "--store", store)
	if !strings.HasPrefix(out, "configmap/add-header-wasm created\ndeployment.apps/web configured\nenvoyfilter.networking.istio.io/add-header created\n") {
		t.Errorf("legacy deploy: %s", out)
	}
	kubeRun(t, env, "deploy", "list", "-n", ns)
	out = kubeRun(t, env, "undeploy", "istio", "add-header", "-n", ns)
	if out != "envoyfilter.networking.istio.io/add-header deleted\ndeployment.apps/web restored\nconfigmap/add-header-wasm deleted\n" {
		t.Errorf("legacy undeploy: %q", out)
	}
	got, err := dyn.Resource(deploy.DeploymentGVR).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ann, _, _ := unstructured.NestedStringMap(got.Object, "spec", "template", "metadata", "annotations")
	if len(ann) != 1 || ann[deploy.AnnotationUserVolume] != `[{"name":"certs","secret":{"secretName":"web-certs"}}]` || got.GetAnnotations() != nil {
		t.Errorf("not restored: %v %v", ann, got.GetAnnotations())
	}
}
