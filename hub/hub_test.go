package hub

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// pushAll pushes the three formats and returns their digests by ref.
func pushAll(t *testing.T, host string) map[string]v1.Hash {
	t.Helper()
	images := []struct {
		ref string
		img v1.Image
	}{
		{"filters/addheader:v1", wasmArtifact(t, addHeaderReadme)},
		{"filters/addheader:latest", wasmArtifact(t, addHeaderReadme)},
		{"team/counter:0.3.0", compatImage(t)},
		{"legacy/cfilter:1.0", dockerImage(t)},
	}
	digests := map[string]v1.Hash{}
	for _, im := range images {
		push(t, host, im.ref, im.img, nil)
		d, err := im.img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests[im.ref] = d
	}
	return digests
}

func TestPushListPull(t *testing.T) {
	_, host := startHub(t, Config{})
	digests := pushAll(t, host)

	var list ModuleList
	if code := getJSON(t, host, "/api/modules", &list, nil); code != 200 {
		t.Fatalf("GET /api/modules: %d", code)
	}
	var names []string
	for _, m := range list.Modules {
		names = append(names, m.Name)
	}
	if want := []string{"filters/addheader", "legacy/cfilter", "team/counter"}; !slices.Equal(names, want) {
		t.Fatalf("modules %v, want %v", names, want)
	}
	ah := list.Modules[0]
	if ah.LatestTag != "latest" || ah.Digest != digests["filters/addheader:latest"].String() || ah.Format != formatOCI ||
		!slices.Equal(ah.ABIVersions, []string{"v0.2.1"}) || !slices.Equal(ah.RootIDs, []string{"add_header"}) ||
		ah.Language != "assemblyscript" || !strings.HasPrefix(ah.Description, "Adds a response header to every HTTP stream") ||
		ah.Updated.IsZero() || ah.Pull != "wasmesh pull "+host+"/filters/addheader:latest" || len(ah.Tags) != 2 {
		t.Errorf("addheader summary: %+v", ah)
	}
	counter := list.Modules[2]
	if counter.Format != formatCompat || !slices.Equal(counter.ABIVersions, []string{"v0.2.0", "v0.2.1"}) ||
		!slices.Equal(counter.RootIDs, []string{"headers", "metrics"}) || counter.Description != "Counts requests per route in shared data." ||
		counter.WasmSize == 0 {
		t.Errorf("counter summary: %+v", counter)
	}
	cf := list.Modules[1]
	if cf.Format != formatDocker || !slices.Equal(cf.ABIVersions, []string{"v0.1.0"}) || cf.Language != "c" {
		t.Errorf("cfilter summary: %+v", cf)
	}

	for q, want := range map[string][]string{
		"ADDH":           {"filters/addheader"},
		"add_header":     {"filters/addheader"},
		"assemblyscript": {"filters/addheader"},
		"shared data":    {"team/counter"},
		"metrics":        {"team/counter"},
		"zzz":            nil,
	} {
		var l ModuleList
		getJSON(t, host, "/api/modules?q="+strings.ReplaceAll(q, " ", "+"), &l, nil)
		var got []string
		for _, m := range l.Modules {
			got = append(got, m.Name)
		}
		if !slices.Equal(got, want) || l.Query != q {
			t.Errorf("q=%q: %v, want %v", q, got, want)
		}
	}

	var d ModuleDetail
	if code := getJSON(t, host, "/api/modules/filters/addheader", &d, nil); code != 200 {
		t.Fatalf("GET module: %d", code)
	}
	if len(d.Tags) != 2 {
		t.Fatalf("tags %+v", d.Tags)
	}
	v1tag := d.Tags[slices.IndexFunc(d.Tags, func(x Tag) bool { return x.Tag == "v1" })]
	dg := digests["filters/addheader:v1"].String()
	if v1tag.Digest != dg || v1tag.Readme != addHeaderReadme || v1tag.ReadmeSource != "layer" ||
		v1tag.Revision != "4f2c1e9" || v1tag.RuntimeType != "envoy_proxy" || v1tag.ConfigMediaType != mtWasmConfig ||
		v1tag.MediaType != string(types.OCIManifestSchema1) || len(v1tag.Layers) != 2 || v1tag.Layers[0].Title != "filter.wasm" {
		t.Errorf("v1 tag: %+v", v1tag)
	}
	wantDeploy := "wasmesh deploy istio oci://" + host + "/filters/addheader@" + dg + " --name addheader"
	if v1tag.Pull != "wasmesh pull "+host+"/filters/addheader:v1" || v1tag.Deploy != wantDeploy ||
		!strings.Contains(v1tag.WasmPlugin, "url: oci://"+host+"/filters/addheader@"+dg) ||
		!strings.Contains(v1tag.WasmPlugin, `pluginName: "add_header"`) {
		t.Errorf("commands: %q %q\n%s", v1tag.Pull, v1tag.Deploy, v1tag.WasmPlugin)
	}
	wasm, _ := os.ReadFile(addHeaderWasm)
	if v1tag.WasmSize != int64(len(wasm)) {
		t.Errorf("wasm size %d, want %d", v1tag.WasmSize, len(wasm))
	}
	if code := getJSON(t, host, "/api/modules/nope/nothing", nil, nil); code != 404 {
		t.Errorf("unknown module: %d", code)
	}

	// Pull every image back through the registry and compare.
	for ref, want := range digests {
		r, err := name.ParseReference(host+"/"+ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(r)
		if err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		got, err := img.Digest()
		if err != nil || got != want {
			t.Errorf("pull %s: digest %v (%v), pushed %v", ref, got, err, want)
		}
	}
	r, _ := name.ParseReference(host+"/filters/addheader:v1", name.Insecure)
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != string(wasm) {
		t.Error("pulled wasm layer differs from filter.wasm")
	}
}

// TestModulesGolden pins GET /api/modules, update times normalized.
func TestModulesGolden(t *testing.T) {
	_, host := startHub(t, Config{})
	pushAll(t, host)
	req, _ := http.NewRequest("GET", "http://"+host+"/api/modules", nil)
	req.Host = "hub.example:5000"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	var list ModuleList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Modules {
		if time.Since(m.Updated) > time.Hour || m.Updated.After(time.Now().Add(time.Minute)) {
			t.Errorf("%s updated %v", m.Name, m.Updated)
		}
	}
	norm := regexp.MustCompile(`"updated": "[^"]+"`).ReplaceAll(body, []byte(`"updated": "2006-01-02T15:04:05Z"`))
	golden(t, "modules.json", norm)
}

// TestReferrerReadme attaches a README as an OCI referrer (ggcr keeps the
// referrers tag schema on a registry without the referrers API) and finds
// it on the module page, with the sha256-... tag hidden.
func TestReferrerReadme(t *testing.T) {
	_, host := startHub(t, Config{})
	subject := wasmArtifact(t, "")
	push(t, host, "filters/bare:v1", subject, nil)
	desc, err := partial.Descriptor(subject)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), "application/vnd.oci.empty.v1+json"),
		mutate.Addendum{Layer: static.NewLayer([]byte("Attached later.\n"), mtDoc)})
	if err != nil {
		t.Fatal(err)
	}
	ref := mutate.Subject(doc, *desc).(v1.Image)
	dg, _ := ref.Digest()
	r, _ := name.NewDigest(host+"/filters/bare@"+dg.String(), name.Insecure)
	if err := remote.Write(r, ref); err != nil {
		t.Fatal(err)
	}
	var d ModuleDetail
	getJSON(t, host, "/api/modules/filters/bare", &d, nil)
	if len(d.Tags) != 1 || d.Tags[0].Readme != "Attached later.\n" || d.Tags[0].ReadmeSource != "referrer" || d.Description != "Attached later." {
		t.Errorf("detail: %+v", d)
	}
}

// TestIndex describes a multi-platform index by its wasip1/wasm manifest.
func TestIndex(t *testing.T) {
	_, host := startHub(t, Config{})
	wasmImg := wasmArtifact(t, addHeaderReadme)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: dockerImage(t), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: wasmImg, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "wasip1", Architecture: "wasm"}}},
	)
	tag, _ := name.NewTag(host+"/multi/addheader:v1", name.Insecure)
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	var d ModuleDetail
	getJSON(t, host, "/api/modules/multi/addheader", &d, nil)
	if len(d.Tags) != 1 {
		t.Fatalf("detail: %+v", d)
	}
	got := d.Tags[0]
	if got.Digest != want.String() || got.MediaType != string(types.OCIImageIndex) || got.Format != formatOCI ||
		!slices.Equal(got.RootIDs, []string{"add_header"}) || got.Readme != addHeaderReadme {
		t.Errorf("index tag: %+v", got)
	}
}

func TestRuntimeConfigSpellings(t *testing.T) {
	for in, want := range map[string]runtimeConfig{
		`{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["a","b"]}}`: {"envoy_proxy", []string{"v0.2.1"}, []string{"a", "b"}},
		`{"abi_versions":["v0.2.0"],"config":{"root_ids":["x"]}}`:                        {"", []string{"v0.2.0"}, []string{"x"}},
		`{"abi_version":"v0-097b7f2e, v0.2.1","root_ids":["top"]}`:                       {"", []string{"v0-097b7f2e", "v0.2.1"}, []string{"top"}},
	} {
		got := parseRuntimeConfig([]byte(in))
		if got == nil || got.typ != want.typ || !slices.Equal(got.abi, want.abi) || !slices.Equal(got.rootIDs, want.rootIDs) {
			t.Errorf("%s: %+v, want %+v", in, got, want)
		}
	}
	if parseRuntimeConfig([]byte(`[1]`)) != nil {
		t.Error("an array is no runtime config")
	}
}

func TestDescribe(t *testing.T) {
	for in, want := range map[string]string{
		"# Title\n\n[![ci](x.svg)](y)\n\nFirst *para*\nwith [a link](http://x).\n\nSecond.": "First para with a link.",
		"```\ncode\n```\nText after code.":                                                  "Text after code.",
		"":                                                                                  "",
		strings.Repeat("word ", 60):                                                         strings.TrimSpace(strings.Repeat("word ", 39)) + "…",
	} {
		if got := describe(in); got != want {
			t.Errorf("describe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPluginName(t *testing.T) {
	for in, want := range map[string]string{"filters/add_header": "add-header", "A.B": "a-b", "__": "wasm-plugin"} {
		if got := pluginName(in); got != want {
			t.Errorf("pluginName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPageAndErrors(t *testing.T) {
	_, host := startHub(t, Config{Title: "Team <hub>"})
	resp, err := http.Get("http://" + host + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<title>Team &lt;hub&gt;</title>") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("page: %d %s", resp.StatusCode, body)
	}
	for path, want := range map[string]int{"/app.js": 200, "/md.js": 200, "/style.css": 200, "/nothing": 404, "/api/nothing": 404} {
		resp, err := http.Get("http://" + host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	var list ModuleList
	if getJSON(t, host, "/api/modules", &list, nil); list.Modules == nil || len(list.Modules) != 0 {
		t.Errorf("empty hub: %+v", list)
	}
	if _, err := New(Config{}); err == nil || !strings.HasPrefix(err.Error(), "hub: ") {
		t.Errorf("no storage: %v", err)
	}
	if _, err := New(Config{Storage: t.TempDir(), Htpasswd: "/nonexistent/htpasswd"}); err == nil || !strings.HasPrefix(err.Error(), "hub: ") {
		t.Errorf("missing htpasswd: %v", err)
	}
}
