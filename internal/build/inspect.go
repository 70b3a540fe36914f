package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/wasmesh/wasmesh/internal/profiles"
)

// Named is one import or export with its type.
type Named struct {
	Name string `json:"name"`
	// Kind is "func", "memory", "table" or "global".
	Kind string `json:"kind"`
	// Signature is set for functions, e.g. "(i32,i32)->(i32)".
	Signature string `json:"signature,omitempty"`
}

// ImportGroup is the imports from one module.
type ImportGroup struct {
	Module  string  `json:"module"`
	Imports []Named `json:"imports"`
}

// Report is what wasmesh inspect shows about a module.
type Report struct {
	// Source is the file or image reference inspected.
	Source string `json:"source"`
	Size   int    `json:"size"`
	// Digest is the module's "sha256:<hex>".
	Digest string `json:"digest"`
	// ABI is the version the marker spells ("" without one).
	ABI    string `json:"abi"`
	Marker string `json:"abi_marker"`
	// Language is the guess: go, tinygo, assemblyscript, cpp, rust or c;
	// LanguageEvidence says what it is based on.
	Language         string `json:"language"`
	LanguageEvidence string `json:"language_evidence"`
	// EntryPoint is what the host calls at start-up: "_initialize",
	// "_initialize, main", "_start", "start section" or "none".
	EntryPoint string `json:"entry_point"`
	// Allocator is the export the host allocates with, or "none".
	Allocator string `json:"allocator"`
	// RootIDs come from an image's runtime configuration; nil means
	// unknown (a raw .wasm carries none).
	RootIDs   []string      `json:"root_ids"`
	Imports   []ImportGroup `json:"imports"`
	Callbacks []Named       `json:"callbacks"`
	Exports   []Named       `json:"other_exports"`
	// RunsOn lists the profiles the module links on (see internal/profiles).
	RunsOn []string `json:"runs_on"`
}

// Inspect describes a module. source names it in the report.
func Inspect(source string, wasm []byte) (*Report, error) {
	m, err := profiles.Parse(wasm)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(wasm)
	r := &Report{Source: source, Size: len(wasm), Digest: "sha256:" + hex.EncodeToString(sum[:]), RunsOn: profiles.Passing(m)}
	r.Marker, r.ABI = m.Marker()
	r.Language, r.LanguageEvidence = GuessLanguage(m)
	r.EntryPoint = entryPoint(m)
	r.Allocator = "none"
	for _, a := range []string{"proxy_on_memory_allocate", "malloc"} {
		if e, ok := m.Export(a); ok && e.Kind == profiles.KindFunc {
			r.Allocator = a
			break
		}
	}
	for _, imp := range m.Imports {
		n := Named{Name: imp.Name, Kind: profiles.KindName(imp.Kind)}
		if imp.Kind == profiles.KindFunc {
			n.Signature = imp.Type.String()
		}
		i := slices.IndexFunc(r.Imports, func(g ImportGroup) bool { return g.Module == imp.Module })
		if i < 0 {
			i = len(r.Imports)
			r.Imports = append(r.Imports, ImportGroup{Module: imp.Module})
		}
		g := &r.Imports[i]
		g.Imports = append(g.Imports, n)
	}
	for _, e := range m.Exports {
		n := Named{Name: e.Name, Kind: profiles.KindName(e.Kind)}
		if e.Kind == profiles.KindFunc {
			n.Signature = e.Type.String()
		}
		if e.Kind == profiles.KindFunc && isCallback(e.Name) {
			r.Callbacks = append(r.Callbacks, n)
		} else {
			r.Exports = append(r.Exports, n)
		}
	}
	return r, nil
}

// isCallback reports whether an export is a callback the host calls
// (doc §2.1, plus Envoy's envoy_on_resolve_dns).
func isCallback(name string) bool {
	return name != "proxy_on_memory_allocate" && strings.HasPrefix(name, "proxy_on_") ||
		name == "proxy_validate_configuration" || name == "envoy_on_resolve_dns"
}

func entryPoint(m *profiles.Module) string {
	has := func(n string) bool { e, ok := m.Export(n); return ok && e.Kind == profiles.KindFunc }
	switch {
	case has("_initialize") && has("main"):
		return "_initialize, main"
	case has("_initialize") && has("__main_void"):
		return "_initialize, __main_void"
	case has("_initialize"):
		return "_initialize"
	case has("_start"):
		return "_start"
	case m.HasStart:
		return "start section"
	}
	return "none"
}

// GuessLanguage tells, from markers toolchains leave, which language a
// module was written in, and on what evidence:
//
//	go              a go:buildid custom section (the gc toolchain)
//	tinygo          runtime.* function names without go:buildid
//	assemblyscript  __alloc, __retain, __new or __pin exports
//	cpp             emscripten_notify_memory_growth import or stackSave export (emscripten)
//	rust            a .rustc custom section or __rust* function names
//	c               none of the above
func GuessLanguage(m *profiles.Module) (lang, evidence string) {
	if slices.Contains(m.CustomSections, "go:buildid") {
		return string(Go), "go:buildid custom section"
	}
	if slices.ContainsFunc(m.FunctionNames, func(n string) bool { return strings.HasPrefix(n, "runtime.") }) {
		return string(TinyGo), "runtime.* function names without a go:buildid section"
	}
	for _, n := range []string{"__alloc", "__retain", "__new", "__pin"} {
		if _, ok := m.Export(n); ok {
			return string(AssemblyScript), n + " export"
		}
	}
	for _, imp := range m.Imports {
		if imp.Name == "emscripten_notify_memory_growth" {
			return string(Cpp), "emscripten_notify_memory_growth import (emscripten)"
		}
	}
	if _, ok := m.Export("stackSave"); ok {
		return string(Cpp), "stackSave export (emscripten)"
	}
	if slices.Contains(m.CustomSections, ".rustc") {
		return string(Rust), ".rustc custom section"
	}
	if slices.ContainsFunc(m.FunctionNames, func(n string) bool { return strings.HasPrefix(n, "__rust") }) {
		return string(Rust), "__rust* function names"
	}
	return string(C), "default: no Go, AssemblyScript, emscripten or Rust markers"
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	abi := "none (no proxy_abi_version_* export)"
	if r.Marker != "" {
		abi = fmt.Sprintf("%s (%s)", r.ABI, r.Marker)
	}
	roots := "unknown (a raw .wasm carries no runtime config)"
	if r.RootIDs != nil {
		roots = strings.Join(r.RootIDs, ", ")
		if len(r.RootIDs) == 0 {
			roots = "none (the image's runtime config lists no root ids)"
		}
	}
	runsOn := profiles.Summarize(r.RunsOn)
	if runsOn == "" {
		runsOn = "none of the known targets (wasmesh validate --target T lists why)"
	}
	for _, kv := range [][2]string{
		{"source", r.Source},
		{"size", fmt.Sprintf("%d bytes", r.Size)},
		{"digest", r.Digest},
		{"abi", abi},
		{"language", fmt.Sprintf("%s (%s)", r.Language, r.LanguageEvidence)},
		{"entry point", r.EntryPoint},
		{"allocator", r.Allocator},
		{"root ids", roots},
		{"runs on", runsOn},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	n := 0
	for _, g := range r.Imports {
		n += len(g.Imports)
	}
	fmt.Fprintf(tw, "\nimports (%d):\n", n)
	for _, g := range r.Imports {
		fmt.Fprintf(tw, "  %s\n", g.Module)
		writeNamed(tw, "    ", g.Imports)
	}
	fmt.Fprintf(tw, "\ncallbacks (%d):\n", len(r.Callbacks))
	writeNamed(tw, "  ", r.Callbacks)
	fmt.Fprintf(tw, "\nother exports (%d):\n", len(r.Exports))
	writeNamed(tw, "  ", r.Exports)
	return tw.Flush()
}

func writeNamed(w io.Writer, indent string, items []Named) {
	for _, it := range items {
		desc := it.Signature
		if it.Kind != "func" {
			desc = it.Kind
		}
		fmt.Fprintf(w, "%s%s\t%s\n", indent, it.Name, desc)
	}
}
