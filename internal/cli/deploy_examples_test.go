package cli

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/wasmesh/wasmesh/deploy"
	"github.com/wasmesh/wasmesh/deploy/k8stest"
	"github.com/wasmesh/wasmesh/internal/casetest"
)

// examplesDir is examples/istio, from this package's directory.
var examplesDir = filepath.Join("..", "..", "examples", "istio")

// TestIstioLegacyExampleIsToolOutput: examples/istio/legacy/add-header.yaml
// is exactly what deploy --legacy-envoyfilter --dry-run prints for the
// committed AssemblyScript AddHeader module (-update rewrites it).
func TestIstioLegacyExampleIsToolOutput(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	ref := "ghcr.io/your-org/add-header-as:v1"
	wasm := filepath.Join("..", "..", "examples", "assemblyscript", "addheader", "filter.wasm")
	if _, stderr, err := ociRun(t, "", "build", "precompiled", wasm, "-t", ref, "--root-id", "add_header", "--store", store); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out, stderr, err := ociRun(t, "", "deploy", "istio", ref, "--name", "add-header", "-n", "default",
		"--selector", "app=httpbin", "--legacy-envoyfilter", "--config", "world", "--dry-run", "--store", store)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	path := filepath.Join(examplesDir, "legacy", "add-header.yaml")
	if ociUpdateGolden() || os.Getenv("WASMESH_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := casetest.Diff(string(want), out); d != "" {
		t.Errorf("%s is not what deploy --dry-run prints (go test ./internal/cli -run %s -update rewrites it):\n%s", path, t.Name(), d)
	}

	// legacy/deployment-patch.yaml holds the annotations deploy writes.
	data, err := os.ReadFile(filepath.Join(examplesDir, "legacy", "deployment-patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var patch struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &patch); err != nil {
		t.Fatal(err)
	}
	ann, _ := deploy.PodAnnotations("add-header", "")
	delete(ann, "wasmesh.io/module-add-header")
	if got := patch.Spec.Template.Metadata.Annotations; !maps.Equal(got, ann) {
		t.Errorf("deployment-patch.yaml annotations %v, want %v", got, ann)
	}
}

// TestIstioExamplesAcceptedByCRD creates every example object in the
// real API server, with strict field validation.
func TestIstioExamplesAcceptedByCRD(t *testing.T) {
	env := k8stest.Require(t)
	dyn, err := env.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(examplesDir, "legacy", "add-header.yaml"))
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The examples name the namespace "default"; each file gets its own.
		ns := env.Namespace(t, "example")
		got := createAll(t, dyn, strings.ReplaceAll(string(data), "namespace: default", "namespace: "+ns))
		t.Logf("%s: %s", filepath.Base(f), got)
	}
}
