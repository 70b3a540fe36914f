package oci_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/wasmesh/wasmesh/oci"
)

// TestExtractWasmFollowsIstio runs ExtractWasm and a transcription of
// Istio's agent over images of every layout, and wants the same verdict
// and the same module from both.
func TestExtractWasmFollowsIstio(t *testing.T) {
	wasm := testWasm(t)
	other := append([]byte("\x00asm\x01\x00\x00\x00"), "other module"...)
	withReadme := testMeta
	withReadme.Readme = []byte("# readme")
	ociCfg := blob{mt: oci.MediaTypeWasmConfig, data: []byte(`{"type":"envoy_proxy"}`)}
	imgCfg := blob{mt: types.OCIConfigJSON, data: []byte(`{"architecture":"amd64","os":"linux"}`)}
	wasmLayer := func(b []byte) blob { return blob{mt: oci.MediaTypeWasmLayer, data: b} }
	tarLayer := func(mt types.MediaType, files ...string) blob { return blob{mt: mt, data: tarGz(t, files...)} }

	cases := []struct {
		name    string
		img     v1.Image
		want    []byte // nil: rejected
		wantErr string // substring of the error
	}{
		{name: "oci format", img: mustImage(t, wasm, testMeta, oci.FormatOCI), want: wasm},
		{name: "oci format with readme", img: mustImage(t, wasm, withReadme, oci.FormatOCI), want: wasm},
		{name: "compat format", img: mustImage(t, wasm, testMeta, oci.FormatCompat), want: wasm},
		{name: "compat format with readme", img: mustImage(t, wasm, withReadme, oci.FormatCompat), want: wasm},
		{name: "wasme artifact", img: wasmeImage(t, wasm), want: wasm},
		{name: "docker schema2", img: dockerImage(t, "plugin.wasm", string(wasm)), want: wasm},
		{name: "docker schema2, plugin.wasm in a folder", img: dockerImage(t, "etc/plugin.wasm", string(wasm)), want: wasm},
		{
			name:    "docker schema2 never falls back to the artifact",
			img:     buildImage(t, types.DockerManifestSchema2, imgCfg, []blob{ociCfg, wasmLayer(wasm)}, nil),
			wantErr: "docker image: last layer is application/vnd.module.wasm.content.layer.v1+wasm",
		},
		{
			name: "compat is tried before the artifact",
			img:  buildImage(t, types.OCIManifestSchema1, ociCfg, []blob{wasmLayer(other), tarLayer(types.OCILayer, "plugin.wasm", string(wasm))}, nil),
			want: wasm,
		},
		{
			name: "artifact when the last layer is not tar+gzip",
			img:  buildImage(t, types.OCIManifestSchema1, ociCfg, []blob{tarLayer(types.OCILayer, "plugin.wasm", string(other)), wasmLayer(wasm)}, nil),
			want: wasm,
		},
		{
			name:    "artifact needs exactly two layers",
			img:     buildImage(t, types.OCIManifestSchema1, ociCfg, []blob{ociCfg, wasmLayer(wasm), {mt: oci.MediaTypeReadme, data: []byte("x")}}, nil),
			wantErr: "is not a Wasm module: 3 layers of types [application/vnd.module.wasm.config.v1+json application/vnd.module.wasm.content.layer.v1+wasm application/vnd.module.wasm.doc.v1+markdown]",
		},
		{
			name:    "container image",
			img:     buildImage(t, types.OCIManifestSchema1, imgCfg, []blob{tarLayer(types.OCILayer, "bin/sh", "x"), tarLayer(types.OCILayer, "etc/passwd", "root")}, nil),
			wantErr: "oci: image is not a Wasm module: 2 layers of types [application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip] (compat variant: no plugin.wasm in the last layer; oci artifact: no layer of type application/vnd.module.wasm.content.layer.v1+wasm)",
		},
		{
			name:    "not wasm bytes",
			img:     buildImage(t, types.OCIManifestSchema1, ociCfg, []blob{ociCfg, wasmLayer([]byte("MZ\x90\x00"))}, nil),
			wantErr: "does not start with the Wasm magic number",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := oci.ExtractWasm(tc.img)
			istio, istioErr := istioExtract(tc.img)
			if (err == nil) != (istioErr == nil) || !bytes.Equal(got, istio) {
				t.Errorf("ExtractWasm (%d bytes, %v) disagrees with Istio (%d bytes, %v)", len(got), err, len(istio), istioErr)
			}
			if tc.want != nil {
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
				}
				return
			}
			var fe *oci.FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a *FormatError containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestExtractWasmRuntimeConfigOfWasme(t *testing.T) {
	_, rc, err := oci.ExtractWasm(wasmeImage(t, testWasm(t)))
	if err != nil {
		t.Fatal(err)
	}
	if rc == nil || len(rc.ABIVersions) != 1 || !strings.HasPrefix(rc.ABIVersions[0], "v0-4689a3") || rc.RootIDs[0] != "add_header" {
		t.Errorf("runtime config %+v", rc)
	}
	_, rc, err = oci.ExtractWasm(dockerImage(t, "plugin.wasm", string(testWasm(t))))
	if err != nil || rc != nil {
		t.Errorf("docker image without runtime-config.json: %+v, %v", rc, err)
	}
}
