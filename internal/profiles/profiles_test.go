package profiles

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// encodeModule builds a module with the given function imports (and one
// memory import when memImport), a "memory" export unless memImport, and
// the marker and "malloc" as an empty exported function (marker "" for none).
func encodeModule(marker string, imports []Import, memImport bool) []byte {
	u := func(v uint32) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	str := func(s string) []byte { return append(u(uint32(len(s))), s...) }
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, u(uint32(len(body)))...), body...)
	}
	vec := func(items [][]byte) []byte {
		b := u(uint32(len(items)))
		for _, it := range items {
			b = append(b, it...)
		}
		return b
	}
	types := [][]byte{{0x60, 0, 0}} // type 0: ()->()
	var imps [][]byte
	for _, imp := range imports {
		t := append([]byte{0x60}, u(uint32(len(imp.Type.Params)))...)
		t = append(t, imp.Type.Params...)
		t = append(append(t, u(uint32(len(imp.Type.Results)))...), imp.Type.Results...)
		types = append(types, t)
		imps = append(imps, append(append(str(imp.Module), str(imp.Name)...), 0, byte(len(types)-1)))
	}
	if memImport {
		imps = append(imps, append(append(str("env"), str("memory")...), 2, 0, 1))
	}
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = append(out, section(1, vec(types))...)
	out = append(out, section(2, vec(imps))...)
	out = append(out, section(3, vec([][]byte{{0}}))...)
	if !memImport {
		out = append(out, section(5, vec([][]byte{{0, 1}}))...)
	}
	exps := [][]byte{append(str("malloc"), 0, byte(len(imports)))}
	if marker != "" {
		exps = append(exps, append(str(marker), 0, byte(len(imports))))
	}
	if !memImport {
		exps = append(exps, append(str("memory"), 2, 0))
	}
	out = append(out, section(7, vec(exps))...)
	out = append(out, section(10, vec([][]byte{{2, 0, 0x0b}}))...)
	return out
}

func fn(mod, name string, params, results []api.ValueType) Import {
	return Import{Module: mod, Name: name, Kind: KindFunc, Type: FuncType{params, results}}
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func TestCheckTable(t *testing.T) {
	log := fn("env", "proxy_log", []api.ValueType{i32, i32, i32}, []api.ValueType{i32})
	tests := []struct {
		name     string
		marker   string
		imports  []Import
		memory   bool
		profile  string
		problems []string // prefixes, in order
	}{
		{"minimal links everywhere", "proxy_abi_version_0_2_1", []Import{log}, false, "envoy-1.20", nil},
		{"minimal on wasmesh", "proxy_abi_version_0_2_0", []Import{log}, false, "wasmesh", nil},
		{"no marker", "", []Import{log}, false, "envoy-1.30", []string{"unrecognised ABI: no proxy_abi_version_"}},
		{"vNEXT marker", "proxy_abi_version_0_x_x", nil, false, "wasmesh", []string{"unrecognised ABI marker proxy_abi_version_0_x_x"}},
		{"get_log_level gated to 0.2.1", "proxy_abi_version_0_2_0",
			[]Import{fn("env", "proxy_get_log_level", []api.ValueType{i32}, []api.ValueType{i32})}, false, "envoy-1.28",
			[]string{"missing import env.proxy_get_log_level (i32)->(i32): envoy-1.28 provides it only to ABI 0.2.1 modules"}},
		{"get_configuration is 0.1.0 only", "proxy_abi_version_0_2_1",
			[]Import{fn("env", "proxy_get_configuration", []api.ValueType{i32, i32}, []api.ValueType{i32})}, false, "wasmesh",
			[]string{"missing import env.proxy_get_configuration (i32,i32)->(i32): wasmesh provides it only to ABI 0.1.0"}},
		{"signature mismatch names both", "proxy_abi_version_0_2_1",
			[]Import{fn("env", "proxy_log", []api.ValueType{i32, i32}, []api.ValueType{i32})}, false, "istio-1.24",
			[]string{"import type mismatch env.proxy_log: module wants (i32,i32)->(i32), istio-1.24 provides (i32,i32,i32)->(i32)"}},
		{"env.abort is a wasmesh extension", "proxy_abi_version_0_2_0",
			[]Import{fn("env", "abort", []api.ValueType{i32, i32, i32, i32}, nil)}, false, "envoy-1.40",
			[]string{"missing import env.abort (i32,i32,i32,i32)->(): not provided by envoy-1.40"}},
		{"env.abort on wasmesh", "proxy_abi_version_0_2_0",
			[]Import{fn("env", "abort", []api.ValueType{i32, i32, i32, i32}, nil)}, false, "wasmesh", nil},
		{"Go runtime WASI before 1.33", "proxy_abi_version_0_2_0",
			[]Import{fn("wasi_snapshot_preview1", "sched_yield", nil, []api.ValueType{i32}),
				fn("wasi_snapshot_preview1", "fd_prestat_get", []api.ValueType{i32, i32}, []api.ValueType{i32})}, false, "envoy-1.32",
			[]string{"missing import wasi_snapshot_preview1.sched_yield ()->(i32): not provided by envoy-1.32"}},
		{"Go runtime WASI on 1.33", "proxy_abi_version_0_2_0",
			[]Import{fn("wasi_snapshot_preview1", "sched_yield", nil, []api.ValueType{i32})}, false, "envoy-1.33", nil},
		{"preopens missing on 1.20", "proxy_abi_version_0_2_0",
			[]Import{fn("wasi_unstable", "fd_prestat_get", []api.ValueType{i32, i32}, []api.ValueType{i32})}, false, "envoy-1.20",
			[]string{"missing import wasi_unstable.fd_prestat_get (i32,i32)->(i32): not provided by envoy-1.20"}},
		{"fd_readdir from 1.39", "proxy_abi_version_0_2_1",
			[]Import{fn("wasi_snapshot_preview1", "fd_readdir", []api.ValueType{i32, i32, i32, i64, i32}, []api.ValueType{i32})}, false, "istio-1.31", nil},
		{"fd_readdir before 1.39", "proxy_abi_version_0_2_1",
			[]Import{fn("wasi_snapshot_preview1", "fd_readdir", []api.ValueType{i32, i32, i32, i64, i32}, []api.ValueType{i32})}, false, "istio-1.30",
			[]string{"missing import wasi_snapshot_preview1.fd_readdir"}},
		{"imported memory on envoy", "proxy_abi_version_0_2_1", nil, true, "envoy-1.30", nil},
		{"imported memory on wasmesh", "proxy_abi_version_0_2_1", nil, true, "wasmesh", []string{`no linear memory exported as "memory", which wasmesh needs`, "unsupported import env.memory (memory)"}},
		{"every problem listed", "proxy_abi_version_0_2_0", []Import{
			fn("env", "proxy_foo", nil, nil),
			fn("env", "proxy_log", nil, nil),
			fn("env", "proxy_get_log_level", []api.ValueType{i32}, []api.ValueType{i32}),
		}, false, "wasmesh", []string{"missing import env.proxy_foo ()->(): not provided by wasmesh", "import type mismatch env.proxy_log", "missing import env.proxy_get_log_level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Lookup(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			got := Check(p, encodeModule(tt.marker, tt.imports, tt.memory))
			if len(got) != len(tt.problems) {
				t.Fatalf("got %d problems %q, want %d %q", len(got), got, len(tt.problems), tt.problems)
			}
			for i, want := range tt.problems {
				if !strings.HasPrefix(got[i].Message, want) {
					t.Errorf("problem %d = %q, want prefix %q", i, got[i].Message, want)
				}
			}
		})
	}
}

func TestCheckExports(t *testing.T) {
	p, _ := Lookup("envoy-1.30")
	b := encodeModule("proxy_abi_version_0_2_1", nil, false)
	b = []byte(strings.Replace(string(b), "malloc", "mallox", 1))
	got := Check(p, b)
	if len(got) != 1 || got[0].Kind != ProblemExport || !strings.HasPrefix(got[0].Message, "no allocator") {
		t.Fatalf("got %v", got)
	}
}

func TestCheckInvalidModule(t *testing.T) {
	p, _ := Lookup("wasmesh")
	got := Check(p, []byte("not wasm"))
	if len(got) != 1 || got[0].Kind != ProblemParse {
		t.Fatalf("got %v", got)
	}
	if _, err := Parse(encodeModule("x", nil, false)[:20]); err == nil {
		t.Error("a truncated module must not parse")
	}
}

// The Envoy tables and the wasmesh host must agree on every type: the host
// mirrors cpp-host's signatures, so a difference is a typo on one side.
func TestEnvoySignaturesMatchHost(t *testing.T) {
	w, _ := Lookup("wasmesh")
	e, _ := Lookup("envoy-1.40")
	for _, f := range e.Funcs {
		h := w.lookup(f.Module, f.Name)
		if h == nil {
			t.Errorf("%s.%s is in the Envoy table but not in the wasmesh host", f.Module, f.Name)
			continue
		}
		if h.Type.String() != f.Type.String() || !reflect.DeepEqual(h.ABIs, f.ABIs) {
			t.Errorf("%s.%s: envoy %s %v, wasmesh %s %v", f.Module, f.Name, f.Type, f.ABIs, h.Type, h.ABIs)
		}
	}
	// Envoy >= 1.39 links all of WASI preview1 as the host does; the only
	// import the host adds is env.abort.
	var extra []string
	for _, f := range w.Funcs {
		if e.lookup(f.Module, f.Name) == nil {
			extra = append(extra, f.Module+"."+f.Name)
		}
	}
	if !reflect.DeepEqual(extra, []string{"env.abort"}) {
		t.Errorf("wasmesh provides beyond envoy-1.40: %v", extra)
	}
}

func TestProfilesTable(t *testing.T) {
	names := Names()
	if names[0] != "wasmesh" || Summarize(names) != "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31" {
		t.Fatalf("profiles: %s", Summarize(names))
	}
	counts := map[string]int{"envoy-1.20": 12, "envoy-1.21": 15, "envoy-1.32": 15, "envoy-1.33": 18, "envoy-1.38": 18, "envoy-1.39": 45, "istio-1.24": 15, "istio-1.25": 18}
	for name, want := range counts {
		p, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range p.Funcs {
			if f.Module == "wasi_unstable" {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d WASI functions, want %d", name, n, want)
		}
		if p.Source == "" || p.Description == "" {
			t.Errorf("%s: no source or description", name)
		}
	}
	if p, _ := Lookup("istio-1.25"); p.Description != "Istio 1.25 (Envoy 1.33)" {
		t.Errorf("istio-1.25: %s", p.Description)
	}
	if _, err := Lookup("envoy-1.9"); err == nil || !strings.HasPrefix(err.Error(), "profiles: unknown target \"envoy-1.9\"") {
		t.Errorf("unknown target: %v", err)
	}
}

func TestSummarize(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "",
		"wasmesh":                              "wasmesh",
		"envoy-1.20 envoy-1.22":                "envoy-1.20, envoy-1.22",
		"envoy-1.20 envoy-1.21 envoy-1.22 x-1": "envoy-1.20..envoy-1.22, x-1",
		"istio-1.30 istio-1.31":                "istio-1.30..istio-1.31",
	} {
		if got := Summarize(strings.Fields(in)); got != want {
			t.Errorf("Summarize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFixtures(t *testing.T) {
	for file, want := range map[string]string{
		"../../host/testdata/recorder/filter.wasm":            "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31",
		"../../examples/assemblyscript/addheader/filter.wasm": "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31",
		"../../host/testdata/abi010/filter.wasm":              "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31",
		"../../host/testdata/trampoline/abi021.wasm":          "wasmesh",
		"../cli/testdata/validate/envoy_lacks.wasm":           "wasmesh",
		"../cli/testdata/validate/mismatch.wasm":              "",
		"../../host/testdata/trampoline/abi010.wasm":          "wasmesh",
		"../../host/testdata/hostcall/hostcall.wasm":          "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31",
		"../../examples/c/addheader/filter.wasm":              "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31",
		"../../host/testdata/as_v010/filter.wasm":             "wasmesh, envoy-1.20..envoy-1.40, istio-1.20..istio-1.31",
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if m, err := Parse(b); err == nil {
			got = Summarize(Passing(m))
		}
		if got != want {
			t.Errorf("%s runs on %q, want %q", file, got, want)
		}
	}
}
