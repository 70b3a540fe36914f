// Package profiles describes, as data, what each target host links for a
// Proxy-Wasm module: the function imports it provides (module, name, wasm
// type), which ABI versions each is offered to, and which ABI markers it
// recognises. Check tells whether a module links on a target and lists every
// reason it does not.
//
// Targets: "wasmesh" (this project's host, read from host.Imports() at run
// time), "envoy-1.20" … "envoy-1.40" and "istio-1.20" … "istio-1.31" (the
// Envoy each Istio release ships). The Envoy tables and their sources are in
// envoy.go.
package profiles

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ABI versions, as the marker exports spell them.
const (
	ABI010 = "0.1.0"
	ABI020 = "0.2.0"
	ABI021 = "0.2.1"
)

// Func is one function import a target provides.
type Func struct {
	Module, Name string
	Type         FuncType
	// ABIs lists the ABI versions the function is linked for; nil means
	// every version the profile recognises.
	ABIs []string
}

// Profile is one target host.
type Profile struct {
	// Name is the target name used on the command line, e.g. "envoy-1.28".
	Name string
	// Description says what the target is, e.g. "Envoy 1.28".
	Description string
	// ABIs are the ABI versions whose marker the target recognises.
	ABIs []string
	// Funcs are the function imports the target provides.
	Funcs []Func
	// MemoryImport is true when a module may import its linear memory.
	MemoryImport bool
	// Source says where the table comes from.
	Source string

	once  sync.Once
	index map[string]*Func
}

func (p *Profile) lookup(mod, name string) *Func {
	p.once.Do(func() {
		p.index = make(map[string]*Func, len(p.Funcs))
		for i := range p.Funcs {
			f := &p.Funcs[i]
			p.index[f.Module+"."+f.Name] = f
		}
	})
	return p.index[mod+"."+name]
}

// Problem kinds.
const (
	ProblemABI         = "unrecognised-abi"
	ProblemMissing     = "missing-import"
	ProblemABIGated    = "abi-gated-import"
	ProblemMismatch    = "signature-mismatch"
	ProblemUnsupported = "unsupported-import"
	ProblemParse       = "invalid-module"
	ProblemExport      = "missing-export"
)

// Problem is one reason a module does not link on a target.
type Problem struct {
	Kind string `json:"kind"`
	// Import is "module.name" for import problems.
	Import string `json:"import,omitempty"`
	// Module is the module's own signature for the import; Target is the
	// one the target provides, when it provides one.
	Module string `json:"module_signature,omitempty"`
	Target string `json:"target_signature,omitempty"`
	// Message is the problem as one line.
	Message string `json:"message"`
}

// String returns the problem as one line.
func (p Problem) String() string { return p.Message }

// Check parses a module and lists every reason it does not link on the
// profile's target: an unrecognised ABI, a missing allocator (or, for
// wasmesh, memory) export, then every import problem in import order. Nil
// means it links.
func Check(p *Profile, wasm []byte) []Problem {
	m, err := Parse(wasm)
	if err != nil {
		return []Problem{{Kind: ProblemParse, Message: err.Error()}}
	}
	return CheckModule(p, m)
}

// CheckModule is Check for a parsed module.
func CheckModule(p *Profile, m *Module) []Problem {
	var problems []Problem
	marker, abi := m.Marker()
	known := slices.Contains(p.ABIs, abi)
	switch {
	case marker == "":
		problems = append(problems, Problem{Kind: ProblemABI, Message: fmt.Sprintf(
			"unrecognised ABI: no %s* function export; %s recognises %s", ABIMarkerPrefix, p.Name, strings.Join(p.ABIs, ", "))})
	case !known:
		problems = append(problems, Problem{Kind: ProblemABI, Message: fmt.Sprintf(
			"unrecognised ABI marker %s: %s recognises %s", marker, p.Name, strings.Join(p.ABIs, ", "))})
	}
	// Both hosts allocate guest memory through an export (doc §1.3;
	// cpp-host: "Wasm module is missing malloc function"), and wasmesh
	// needs the memory itself exported.
	if !hasFunc(m, "proxy_on_memory_allocate") && !hasFunc(m, "malloc") {
		problems = append(problems, Problem{Kind: ProblemExport, Message: fmt.Sprintf(
			"no allocator: the module exports neither proxy_on_memory_allocate nor malloc, which %s needs", p.Name)})
	}
	if e, ok := m.Export("memory"); !p.MemoryImport && (!ok || e.Kind != KindMemory) {
		problems = append(problems, Problem{Kind: ProblemExport, Message: fmt.Sprintf(
			`no linear memory exported as "memory", which %s needs`, p.Name)})
	}
	for _, imp := range m.Imports {
		full := imp.Module + "." + imp.Name
		switch imp.Kind {
		case KindFunc:
		case KindMemory:
			if !p.MemoryImport {
				problems = append(problems, Problem{Kind: ProblemUnsupported, Import: full, Message: fmt.Sprintf(
					"unsupported import %s (memory): %s does not provide memory, export it instead", full, p.Name)})
			}
			continue
		default:
			problems = append(problems, Problem{Kind: ProblemUnsupported, Import: full, Message: fmt.Sprintf(
				"unsupported import %s (%s): %s provides only functions", full, KindName(imp.Kind), p.Name)})
			continue
		}
		want := imp.Type.String()
		f := p.lookup(imp.Module, imp.Name)
		switch {
		case f == nil:
			problems = append(problems, Problem{Kind: ProblemMissing, Import: full, Module: want, Message: fmt.Sprintf(
				"missing import %s %s: not provided by %s", full, want, p.Name)})
		case known && f.ABIs != nil && !slices.Contains(f.ABIs, abi):
			problems = append(problems, Problem{Kind: ProblemABIGated, Import: full, Module: want, Target: f.Type.String(),
				Message: fmt.Sprintf("missing import %s %s: %s provides it only to ABI %s modules, this module is ABI %s",
					full, want, p.Name, strings.Join(f.ABIs, "/"), abi)})
		case f.Type.String() != want:
			problems = append(problems, Problem{Kind: ProblemMismatch, Import: full, Module: want, Target: f.Type.String(),
				Message: fmt.Sprintf("import type mismatch %s: module wants %s, %s provides %s", full, want, p.Name, f.Type)})
		}
	}
	return problems
}

func hasFunc(m *Module, name string) bool {
	e, ok := m.Export(name)
	return ok && e.Kind == KindFunc
}

var (
	registryOnce sync.Once
	registry     []*Profile
	byName       map[string]*Profile
)

func load() {
	registryOnce.Do(func() {
		registry = append([]*Profile{wasmeshProfile()}, envoyProfiles()...)
		registry = append(registry, istioProfiles()...)
		byName = make(map[string]*Profile, len(registry))
		for _, p := range registry {
			byName[p.Name] = p
		}
	})
}

// All returns every profile: wasmesh, then Envoy and Istio by version.
func All() []*Profile {
	load()
	return append([]*Profile(nil), registry...)
}

// Names returns every profile name, in All's order.
func Names() []string {
	load()
	names := make([]string, len(registry))
	for i, p := range registry {
		names[i] = p.Name
	}
	return names
}

// Lookup returns the profile called name.
func Lookup(name string) (*Profile, error) {
	load()
	if p, ok := byName[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("profiles: unknown target %q (known: %s)", name, Summarize(Names()))
}

// Passing returns the names of the profiles a module links on, in All's
// order.
func Passing(m *Module) []string {
	var names []string
	for _, p := range All() {
		if len(CheckModule(p, m)) == 0 {
			names = append(names, p.Name)
		}
	}
	return names
}

// Summarize joins profile names, folding runs of consecutive versions of
// one family: "wasmesh, envoy-1.33..envoy-1.40, istio-1.25..istio-1.31".
func Summarize(names []string) string {
	var out []string
	for i := 0; i < len(names); {
		fam, v, ok := splitVersion(names[i])
		j := i + 1
		for ok && j < len(names) {
			f2, v2, ok2 := splitVersion(names[j])
			if !ok2 || f2 != fam || v2 != v+(j-i) {
				break
			}
			j++
		}
		if j-i > 1 {
			out = append(out, names[i]+".."+names[j-1])
		} else {
			out = append(out, names[i])
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// splitVersion splits "envoy-1.28" into ("envoy", 28).
func splitVersion(name string) (family string, minor int, ok bool) {
	fam, ver, found := strings.Cut(name, "-1.")
	if !found {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(ver, "%d", &minor); err != nil || fmt.Sprint(minor) != ver {
		return "", 0, false
	}
	return fam, minor, true
}
