package deploy

import (
	"maps"
	"testing"
)

// TestLegacyAnnotationsRoundTrip: existing values are kept, merged and
// restored exactly, in the list and the map forms.
func TestLegacyAnnotationsRoundTrip(t *testing.T) {
	for _, orig := range []map[string]string{
		{},
		{"other": "x"},
		{AnnotationUserVolume: `[{"name":"certs","secret":{"secretName":"c"}}]`,
			AnnotationUserVolumeMount: `[{"name":"certs","mountPath":"/etc/c"}]`},
		{AnnotationUserVolume: `{"certs": {"secret": {"secretName": "c"}}}`},
	} {
		tmpl := maps.Clone(orig)
		rec, err := applyLegacyAnnotations(tmpl, "f", "abc", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl[moduleKey("f")] != "abc" {
			t.Errorf("%v: module annotation: %v", orig, tmpl)
		}
		// A second deploy keeps the first originals and the other entries.
		rec, err = applyLegacyAnnotations(tmpl, "f", "def", rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := restoreLegacyAnnotations(tmpl, "f", rec); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(tmpl, orig) {
			t.Errorf("restored %v, want %v", tmpl, orig)
		}
	}

	tmpl := map[string]string{AnnotationUserVolume: `[{"name":"certs"}]`}
	rec, _ := applyLegacyAnnotations(tmpl, "f", "abc", nil)
	want := `[{"name":"certs"},{"configMap":{"name":"f-wasm"},"name":"wasm-f"}]`
	if tmpl[AnnotationUserVolume] != want {
		t.Errorf("merged list %s, want %s", tmpl[AnnotationUserVolume], want)
	}
	if tmpl[AnnotationUserVolumeMount] != `[{"mountPath":"/var/local/wasm/f","name":"wasm-f","readOnly":true}]` {
		t.Errorf("mount %s", tmpl[AnnotationUserVolumeMount])
	}
	// Someone else added a volume since: only wasmesh's entry goes.
	tmpl[AnnotationUserVolume] = `[{"name":"certs"},{"configMap":{"name":"f-wasm"},"name":"wasm-f"},{"name":"late"}]`
	if err := restoreLegacyAnnotations(tmpl, "f", rec); err != nil {
		t.Fatal(err)
	}
	if tmpl[AnnotationUserVolume] != `[{"name":"certs"},{"name":"late"}]` {
		t.Errorf("after a foreign change: %s", tmpl[AnnotationUserVolume])
	}
	if _, ok := tmpl[AnnotationUserVolumeMount]; ok {
		t.Errorf("mount annotation left: %v", tmpl)
	}

	bad := map[string]string{AnnotationUserVolume: `not json`}
	if _, err := applyLegacyAnnotations(bad, "f", "abc", nil); err == nil ||
		err.Error() != "deploy: pod template annotation sidecar.istio.io/userVolume: not JSON: invalid character 'o' in literal null (expecting 'u')" {
		t.Errorf("bad annotation: %v", err)
	}
}
