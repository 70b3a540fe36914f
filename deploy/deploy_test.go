package deploy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/oci"
	"github.com/wasmesh/wasmesh/oci/ocitest"
)

// tinyWasm is a valid empty module with a custom section naming it, so
// two names give two digests.
func tinyWasm(name string) []byte {
	sec := append([]byte{byte(len(name))}, name...)
	return append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 0, byte(len(sec))}, sec...)
}

// pushImage pushes a module named name to ref and returns the digest hex.
func pushImage(t *testing.T, ref, name string, format oci.Format, rootIDs ...string) string {
	t.Helper()
	img, err := oci.NewImage(tinyWasm(name), oci.ImageMeta{ABIVersions: []string{"0.2.1"}, RootIDs: rootIDs}, format)
	if err != nil {
		t.Fatal(err)
	}
	d, err := oci.Push(context.Background(), img, ref, oci.Options{Keychain: noCreds{}})
	if err != nil {
		t.Fatal(err)
	}
	return d.Hex
}

func TestParseSource(t *testing.T) {
	for _, c := range []struct {
		in     string
		scheme Scheme
		ref    string
		url    string
		err    string
	}{
		{in: "ghcr.io/acme/f:v1", scheme: SchemeOCI, ref: "ghcr.io/acme/f:v1", url: "oci://ghcr.io/acme/f:v1"},
		{in: "oci://ghcr.io/acme/f:v1", scheme: SchemeOCI, ref: "ghcr.io/acme/f:v1", url: "oci://ghcr.io/acme/f:v1"},
		{in: "https://example.com/f.wasm", scheme: SchemeHTTPS, url: "https://example.com/f.wasm"},
		{in: "file:///opt/filters/f.wasm", scheme: SchemeFile, url: "file:///opt/filters/f.wasm"},
		{in: "ftp://x/y", err: `deploy: "ftp://x/y": unsupported scheme "ftp" (want oci, http, https or file)`},
		{in: "oci://", err: `deploy: "oci://": no image reference after oci://`},
		{in: "file://host/x", err: `deploy: "file://host/x" is not a file URL (want file:///absolute/path.wasm)`},
		{in: "", err: "deploy: empty module reference"},
	} {
		s, err := ParseSource(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil || s.Scheme != c.scheme || s.Ref != c.ref || s.URL != c.url {
			t.Errorf("%q: %+v, %v", c.in, s, err)
		}
	}
}

func TestValidateNamesTheFlag(t *testing.T) {
	base := func() *Plugin {
		return &Plugin{Name: "f", Namespace: "default", Source: Source{Raw: "x", URL: "oci://x"}}
	}
	for _, c := range []struct {
		edit func(*Plugin)
		want string
	}{
		{func(p *Plugin) { p.Name = "Bad_Name" }, `deploy: --name "Bad_Name"`},
		{func(p *Plugin) { p.Phase = "LATE" }, `deploy: --phase "LATE": want one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE`},
		{func(p *Plugin) { p.FailStrategy = "OPEN" }, `deploy: --fail-strategy "OPEN"`},
		{func(p *Plugin) { p.PullPolicy = "Never" }, `deploy: --pull-policy "Never"`},
		{func(p *Plugin) { p.Type = "TCP" }, `deploy: --type "TCP"`},
		{func(p *Plugin) {
			p.Selector = map[string]string{"app": "x"}
			p.TargetRefs = []TargetRef{{Kind: "Gateway", Name: "g"}}
		}, "deploy: --selector and --target-ref are mutually exclusive"},
		{func(p *Plugin) { p.Selector = map[string]string{"app": "a*b"} }, `deploy: --selector app="a*b"`},
		{func(p *Plugin) { p.Env = []EnvVar{{Name: "1X"}} }, `deploy: --env "1X": the name must be a C identifier`},
	} {
		p := base()
		c.edit(p)
		if err := p.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want prefix %s", err, c.want)
		}
	}
	p := base()
	p.Selector = map[string]string{"app": "x"}
	if err := p.ValidateLegacy(); err != nil {
		t.Errorf("legacy: %v", err)
	}
	p.Name = strings.Repeat("a", 55)
	if err := p.ValidateLegacy(); err == nil || !strings.Contains(err.Error(), "at most 54 characters") {
		t.Errorf("long legacy name: %v", err)
	}
	if _, err := ParseTargetRef("Pod/x"); err == nil || !strings.HasPrefix(err.Error(), `deploy: --target-ref "Pod/x": want Kind/name`) {
		t.Errorf("target ref: %v", err)
	}
}

func TestWasmPluginObject(t *testing.T) {
	prio := int32(10)
	p := &Plugin{Name: "add-header", Namespace: "apps", Source: Source{Raw: "r/x:1", URL: "oci://r/x:1"},
		TargetRefs: []TargetRef{{Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: "gw"}},
		Config:     map[string]any{"n": float64(3), "s": "v"}, Phase: "STATS", Priority: &prio, Type: "HTTP",
		Env: []EnvVar{{Name: "A", Value: "1"}, {Name: "POD_NAME", FromHost: true}}}
	obj, err := WasmPlugin(p, Resolved{URL: "oci://r/x@sha256:" + strings.Repeat("a", 64), SHA256: strings.Repeat("a", 64)}, "add_header")
	if err != nil {
		t.Fatal(err)
	}
	spec := obj.Object["spec"].(map[string]any)
	want := map[string]any{
		"url": "oci://r/x@sha256:" + strings.Repeat("a", 64), "sha256": strings.Repeat("a", 64),
		"pluginName": "add_header", "phase": "STATS", "priority": int64(10), "type": "HTTP",
		"pluginConfig": map[string]any{"n": int64(3), "s": "v"},
		"targetRefs":   []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}},
		"vmConfig": map[string]any{"env": []any{
			map[string]any{"name": "A", "valueFrom": "INLINE", "value": "1"},
			map[string]any{"name": "POD_NAME", "valueFrom": "HOST"}}},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("spec:\n%#v\nwant\n%#v", spec, want)
	}
	if obj.GetLabels()[LabelManagedBy] != "wasmesh" || obj.GetAnnotations()[AnnotationSource] != "r/x:1" {
		t.Errorf("metadata: %v %v", obj.GetLabels(), obj.GetAnnotations())
	}
	if _, err := PickRootID("", []string{"a", "b"}); err == nil || err.Error() != "deploy: the image registers root ids a, b: choose one with --root-id" {
		t.Errorf("two root ids: %v", err)
	}
}

// TestResolve pins OCI tags through the in-process registry (both image
// formats) and http modules by their hash.
func TestResolve(t *testing.T) {
	host := ocitest.NewRegistry(t)
	r := &Resolver{Registry: oci.Options{Keychain: noCreds{}}}
	ctx := context.Background()
	for _, f := range []oci.Format{oci.FormatOCI, oci.FormatCompat} {
		ref := host + "/acme/f:" + f.String()
		digest := pushImage(t, ref, "f-"+f.String(), f, "my_root")
		src, _ := ParseSource(ref)
		res, err := r.Resolve(ctx, &Plugin{Source: src})
		if err != nil {
			t.Fatal(err)
		}
		want := Resolved{URL: "oci://" + host + "/acme/f@sha256:" + digest, SHA256: digest, RootIDs: []string{"my_root"}}
		if !reflect.DeepEqual(res, want) {
			t.Errorf("%s: %+v, want %+v", f, res, want)
		}
		res, err = r.Resolve(ctx, &Plugin{Source: src, NoPin: true})
		if err != nil || res.URL != "oci://"+ref || res.SHA256 != "" || len(res.RootIDs) != 1 {
			t.Errorf("%s unpinned: %+v %v", f, res, err)
		}
	}
	src, _ := ParseSource(host + "/acme/missing:1")
	if _, err := r.Resolve(ctx, &Plugin{Source: src}); err == nil || !strings.Contains(err.Error(), "deploy: resolve "+host+"/acme/missing:1: ") ||
		!strings.HasSuffix(err.Error(), "(--no-pin deploys the reference as is)") {
		t.Errorf("missing tag: %v", err)
	}

	wasm := tinyWasm("http")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/f.wasm" {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write(wasm)
	}))
	defer srv.Close()
	src, _ = ParseSource(srv.URL + "/f.wasm")
	if res, err := r.Resolve(ctx, &Plugin{Source: src}); err != nil || res.SHA256 != sha256Hex(wasm) || res.URL != srv.URL+"/f.wasm" {
		t.Errorf("http: %+v %v", res, err)
	}
	src, _ = ParseSource(srv.URL + "/nope.wasm")
	if _, err := r.Resolve(ctx, &Plugin{Source: src}); err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Errorf("http 404: %v", err)
	}

	// FetchModule: the store first, then the registry; local files.
	store, err := oci.OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	img, _ := oci.NewImage(tinyWasm("local"), oci.ImageMeta{RootIDs: []string{"local_root"}}, oci.FormatOCI)
	if _, err := store.Put(host+"/acme/f:oci", img); err != nil {
		t.Fatal(err)
	}
	r.Store = store
	src, _ = ParseSource(host + "/acme/f:oci")
	if m, err := r.FetchModule(ctx, src); err != nil || string(m.Wasm) != string(tinyWasm("local")) || m.Origin != host+"/acme/f:oci (local store)" {
		t.Errorf("from store: %+v %v", m, err)
	}
	src, _ = ParseSource(host + "/acme/f:compat")
	if m, err := r.FetchModule(ctx, src); err != nil || string(m.Wasm) != string(tinyWasm("f-compat")) ||
		!strings.HasPrefix(m.Origin, host+"/acme/f@sha256:") || m.RootIDs[0] != "my_root" {
		t.Errorf("from registry: %+v %v", m, err)
	}
	path := filepath.Join(t.TempDir(), "f.wasm")
	_ = os.WriteFile(path, wasm, 0o644)
	src, _ = ParseSource("file://" + path)
	if m, err := r.FetchModule(ctx, src); err != nil || m.SHA256 != sha256Hex(wasm) {
		t.Errorf("from file: %+v %v", m, err)
	}
}
