package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/wasmesh/wasmesh/deploy"
	"github.com/wasmesh/wasmesh/deploy/k8stest"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

// TestMain stops the API server the deploy tests start.
func TestMain(m *testing.M) { os.Exit(k8stest.Main(m)) }

// TestDeployDryRunGolden: the dry-run output needs no cluster and no
// registry with --no-pin.
func TestDeployDryRunGolden(t *testing.T) {
	out, stderr, err := ociRun(t, "", "deploy", "istio", "ghcr.io/acme/add-header:v1", "--name", "add-header",
		"-n", "apps", "--selector", "app=httpbin,version=v1", "--config", `{"header":"x-hello","value":"world"}`,
		"--root-id", "add_header", "--phase", "STATS", "--priority", "10", "--fail-strategy", "FAIL_OPEN",
		"--env", "MODE=strict", "--env", "POD_NAME", "--no-pin", "--dry-run", "--kubeconfig", "/nonexistent")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	ociGolden(t, "deploy_dryrun", out)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"x/y:1", "--name", "f", "--phase", "LAST"}, `deploy: --phase "LAST": want one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE`},
		{[]string{"x/y:1", "--name", "f", "--config", "[1]"}, `deploy: --config: pluginConfig must be a JSON object, like '{"header":"x-a"}'`},
		{[]string{"x/y:1", "--name", "f", "--selector", "app"}, `deploy: --selector "app": want key=value`},
		{[]string{"x/y:1", "--name", "f", "--target-ref", "Pod/p"}, `deploy: --target-ref "Pod/p": want Kind/name, Kind one of Gateway, GatewayClass, Service, ServiceEntry (Deployment with --legacy-envoyfilter)`},
		{[]string{"x/y:1", "--name", "f", "--legacy-envoyfilter"}, "deploy: --legacy-envoyfilter needs the workload: --selector k=v or --target-ref Deployment/name"},
		{[]string{"x/y:1"}, `required flag(s) "name" not set`},
		{[]string{"x/y:1", "--name", "f", "--target-ref", "Deployment/web"}, "deploy: --target-ref Deployment/web: a WasmPlugin selects pods with --selector (Deployment targets are for --legacy-envoyfilter)"},
	} {
		_, _, err := ociRun(t, "", append([]string{"deploy", "istio", "--dry-run", "--no-pin"}, c.args...)...)
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: %v, want %s", c.args, err, c.want)
		}
	}
}

// TestDeployDryRunAcceptedByCRD creates what --dry-run prints in the real
// API server, with strict field validation: the schema accepts it.
func TestDeployDryRunAcceptedByCRD(t *testing.T) {
	env := k8stest.Require(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ns := env.Namespace(t, "dryrun")
	host := ocitest.NewRegistry(t)
	store := goldenStore(t)
	if _, _, err := ociRun(t, "", "tag", "localhost:5000/addheader:v1", host+"/acme/addheader:v1", "--store", store); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ociRun(t, "", "push", host+"/acme/addheader:v1", "--store", store); err != nil {
		t.Fatal(err)
	}
	cases := [][]string{
		{host + "/acme/addheader:v1", "--name", "pinned", "--selector", "app=httpbin", "--root-id", "add_header",
			"--config", `{"header":"x-hello","n":3,"list":[1,"a"]}`, "--phase", "AUTHZ", "--priority", "-5",
			"--fail-strategy", "FAIL_RELOAD", "--pull-policy", "Always", "--pull-secret", "ghcr", "--env", "A=1", "--env", "B"},
		{"oci://" + host + "/acme/addheader:v1", "--name", "gw", "--target-ref", "Gateway/public",
			"--target-ref", "Service/web", "--type", "NETWORK", "--root-id", "stats"},
		{"https://example.com/filters/f.wasm", "--name", "http", "--no-pin"},
		{"file:///opt/filters/f.wasm", "--name", "file", "--root-id", "f"},
	}
	dyn, err := env.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range cases {
		out, stderr, err := ociRun(t, "", append([]string{"deploy", "istio", "--dry-run", "-o", "yaml", "-n", ns, "--store", store}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		if args[2] == "pinned" {
			t.Logf("deploy istio --dry-run -o yaml:\n%s", out)
		}
		createAll(t, dyn, out)
	}

	// The legacy dry-run: a ConfigMap and an EnvoyFilter.
	out, stderr, err := ociRun(t, "", "deploy", "istio", "localhost:5000/addheader:v1", "--name", "legacy", "-n", ns,
		"--store", store, "--selector", "app=web", "--legacy-envoyfilter", "--config", "world", "--root-id", "add_header",
		"--priority", "3", "--fail-strategy", "FAIL_OPEN", "--dry-run")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	t.Logf("legacy --dry-run:\n%s", out)
	if got := createAll(t, dyn, out); got != "ConfigMap/legacy-wasm EnvoyFilter/legacy" {
		t.Errorf("legacy dry-run objects: %s", got)
	}
}

// createAll creates every document of a YAML stream with strict field
// validation and returns "Kind/name ...".
func createAll(t *testing.T, dyn dynamic.Interface, stream string) string {
	t.Helper()
	gvrs := map[string]schema.GroupVersionResource{"WasmPlugin": deploy.WasmPluginGVR,
		"EnvoyFilter": deploy.EnvoyFilterGVR, "ConfigMap": deploy.ConfigMapGVR}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var names []string
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode: %v\n%s", err, stream)
		}
		if obj.Object == nil {
			continue
		}
		_, err := dyn.Resource(gvrs[obj.GetKind()]).Namespace(obj.GetNamespace()).Create(context.Background(), obj,
			metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Errorf("the API server refuses %s %s: %v\n%s", obj.GetKind(), obj.GetName(), err, stream)
		}
		names = append(names, obj.GetKind()+"/"+obj.GetName())
	}
	return strings.Join(names, " ")
}
