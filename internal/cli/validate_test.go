package cli

import (
	"strings"
	"testing"
)

func TestValidateGolden(t *testing.T) {
	for _, tc := range []struct {
		name, file, target, format string
		code                       int
	}{
		{"recorder_envoy-1.20", fixRecorder, "envoy-1.20", "text", 0},
		{"recorder_istio-1.31", fixRecorder, "istio-1.31", "json", 0},
		{"assemblyscript_istio-1.20", fixAS, "istio-1.20", "text", 0},
		{"abi010_wasmesh", fixABI010, "wasmesh", "text", 0},
		{"abi010_envoy-1.36", fixABI010, "envoy-1.36", "json", 0},
		{"envoy_lacks_wasmesh", fixEnvoyLacks, "wasmesh", "text", 0},
		{"envoy_lacks_envoy-1.28", fixEnvoyLacks, "envoy-1.28", "text", 1},
		{"envoy_lacks_envoy-1.28", fixEnvoyLacks, "envoy-1.28", "json", 1},
		{"envoy_lacks_istio-1.25", fixEnvoyLacks, "istio-1.25", "text", 1},
		{"envoy_lacks_envoy-1.39", fixEnvoyLacks, "envoy-1.39", "text", 1},
		{"mismatch_envoy-1.36", fixMismatch, "envoy-1.36", "text", 1},
		{"mismatch_envoy-1.36", fixMismatch, "envoy-1.36", "json", 1},
		{"mismatch_wasmesh", fixMismatch, "wasmesh", "text", 1},
	} {
		t.Run(tc.name+"/"+tc.format, func(t *testing.T) {
			out, stderr, code := devRun(t, nil, "validate", tc.file, "--target", tc.target, "-o", tc.format)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if code == 1 && !strings.Contains(stderr, "validate: "+tc.file+" does not link on "+tc.target) {
				t.Errorf("stderr: %s", stderr)
			}
			devGolden(t, "validate", tc.name+"."+tc.format, out)
		})
	}
}

func TestValidateErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", fixRecorder}, "validate: --target is required (wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31)"},
		{[]string{"validate", fixRecorder, "--target", "envoy-1.9"}, `validate: profiles: unknown target "envoy-1.9"`},
		{[]string{"validate", "nope.wasm", "--target", "wasmesh", "--store", t.TempDir()}, "validate: nope.wasm: no such file or image"},
		{[]string{"validate", fixRecorder, "--target", "wasmesh", "-o", "xml"}, `validate: -o "xml": must be text or json`},
	} {
		_, stderr, code := devRun(t, nil, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}
