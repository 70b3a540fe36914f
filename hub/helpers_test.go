package hub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// addHeaderWasm is the AssemblyScript AddHeader filter built in the repo.
const addHeaderWasm = "../examples/assemblyscript/addheader/filter.wasm"

const addHeaderReadme = "# AddHeader\n\n" +
	"Adds a **response header** to every HTTP stream, written in\n" +
	"[AssemblyScript](https://www.assemblyscript.org/).\n\n" +
	"## Configuration\n\n" +
	"```json\n{\"header\": \"x-wasm-filter\", \"value\": \"world\"}\n```\n\n" +
	"- works with Envoy and `wasmesh envoy`\n" +
	"- ABI 0.2.1\n\n" +
	"<script>document.title = 'owned'</script>\n"

// startHub runs a hub on a loopback port until the test ends and returns
// it with its host:port.
func startHub(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.Storage == "" {
		cfg.Storage = t.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return s, ln.Addr().String()
}

// wasmArtifact is the Wasm OCI artifact: the runtime config as the config
// blob, the raw module as a layer, the README as a second layer (Istio
// wants exactly two layers) and wasmesh's annotations.
func wasmArtifact(t *testing.T, readme string) v1.Image {
	t.Helper()
	wasm, err := os.ReadFile(addHeaderWasm)
	if err != nil {
		t.Fatal(err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mtWasmConfig)
	adds := []mutate.Addendum{{
		Layer:       static.NewLayer(wasm, mtWasmLayer),
		Annotations: map[string]string{annTitle: "filter.wasm"},
	}}
	if readme != "" {
		adds = append(adds, mutate.Addendum{
			Layer:       static.NewLayer([]byte(readme), mtDoc),
			Annotations: map[string]string{annTitle: "README.md"},
		})
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.Annotations(img, map[string]string{
		annABI:      "v0.2.1",
		annType:     "envoy_proxy",
		annLanguage: "assemblyscript",
		annRevision: "4f2c1e9",
	}).(v1.Image)
	cfg := `{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header"]}}`
	return withRawConfig(t, img, mtWasmConfig, []byte(cfg))
}

// withRawConfig replaces an image's config blob by raw bytes: ggcr's mutate
// only writes container configs.
func withRawConfig(t *testing.T, img v1.Image, mt types.MediaType, cfg []byte) v1.Image {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	m = m.DeepCopy()
	sum := sha256.Sum256(cfg)
	m.Config = v1.Descriptor{
		MediaType: mt,
		Size:      int64(len(cfg)),
		Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := partial.CompressedToImage(&rawConfigImage{base: img, config: cfg, configMT: mt, manifest: raw, configDigest: m.Config.Digest})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type rawConfigImage struct {
	base         v1.Image
	config       []byte
	configMT     types.MediaType
	configDigest v1.Hash
	manifest     []byte
}

func (r *rawConfigImage) RawConfigFile() ([]byte, error)      { return r.config, nil }
func (r *rawConfigImage) MediaType() (types.MediaType, error) { return r.base.MediaType() }
func (r *rawConfigImage) RawManifest() ([]byte, error)        { return r.manifest, nil }

func (r *rawConfigImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == r.configDigest {
		return static.NewLayer(r.config, r.configMT), nil
	}
	return r.base.LayerByDigest(h)
}

// compatLayer is a tar+gzip layer holding plugin.wasm and
// runtime-config.json. gzip without compression keeps its bytes, and so
// the digests in the golden file, the same across Go releases.
func compatLayer(t *testing.T, mt types.MediaType, runtimeConfig string) v1.Layer {
	t.Helper()
	wasm, err := os.ReadFile(addHeaderWasm)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	tw := tar.NewWriter(zw)
	files := []struct {
		name string
		data []byte
	}{{"plugin.wasm", wasm}, {"runtime-config.json", []byte(runtimeConfig)}}
	for _, f := range files {
		if f.name == "runtime-config.json" && runtimeConfig == "" {
			continue
		}
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(mt))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// compatImage is the OCI compat variant: one tar+gzip layer, the variant
// annotation, and a description annotation instead of a README.
func compatImage(t *testing.T) v1.Image {
	t.Helper()
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: compatLayer(t, types.OCILayer, `{"type":"envoy_proxy","abi_versions":["v0.2.0","v0.2.1"],"config":{"root_ids":["headers","metrics"]}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return mutate.Annotations(img, map[string]string{
		"module.wasm.image/variant": "compat",
		annDescription:              "Counts requests per route in shared data.",
		annLanguage:                 "go",
	}).(v1.Image)
}

// dockerImage is a Docker schema 2 image with plugin.wasm; its language and
// revision are config labels, its ABI version the singular spelling.
func dockerImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer: compatLayer(t, types.DockerLayer, `{"type":"envoy_proxy","abi_version":"v0.1.0","config":{"rootIds":["legacy"]}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Labels: map[string]string{
		annLanguage: "c",
		annRevision: "v0.9.0-3-gdeadbee",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img to host/repo with ggcr, over plain HTTP.
func push(t *testing.T, host, ref string, img v1.Image, auth authn.Authenticator) {
	t.Helper()
	if err := pushErr(host, ref, img, auth); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

func pushErr(host, ref string, img v1.Image, auth authn.Authenticator) error {
	tag, err := name.NewTag(host+"/"+ref, name.Insecure)
	if err != nil {
		return err
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	return remote.Write(tag, img, remote.WithAuth(auth))
}

// getJSON fetches an API path into v and returns the status code.
func getJSON(t *testing.T, host, path string, v any, hdr http.Header) int {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
	return resp.StatusCode
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./hub -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./hub -run %s -update to accept):\n%s", path, t.Name(), got)
	}
}
