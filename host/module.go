package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Module is a compiled Proxy-Wasm module whose ABI version, imports and
// callback exports have been checked. Compile once, start many VMs.
type Module struct {
	rt       *Runtime
	compiled wazero.CompiledModule
	info     binaryInfo
	digest   [32]byte
	size     int

	allocator string // "proxy_on_memory_allocate" or "malloc"
	entry     []string
}

// LoadError is the error Compile returns for a module the host cannot run.
// It lists every problem found, so a user fixes them all at once.
type LoadError struct {
	ABI      ABIVersion
	Problems []string
}

func (e *LoadError) Error() string {
	if len(e.Problems) == 1 {
		return "host: " + e.Problems[0]
	}
	return fmt.Sprintf("host: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ErrNoABIVersion is wrapped by the error for a module without a Proxy-Wasm
// ABI marker export.
var ErrNoABIVersion = errors.New("missing or unknown Proxy-Wasm ABI version (no proxy_abi_version_0_1_0, _0_2_0 or _0_2_1 function export)")

// Compile checks and compiles a module. It fails, before anything runs, with
// one *LoadError listing every missing or mismatched import and every
// callback export of the wrong type.
func (r *Runtime) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	info, err := parseBinary(wasm)
	if err != nil {
		return nil, fmt.Errorf("host: parse module: %w", err)
	}
	if info.abi == ABIUnknown {
		return nil, fmt.Errorf("host: %w", ErrNoABIVersion)
	}
	code := wasm
	if r.deadlines {
		if code, err = instrument(wasm); err != nil {
			r.logger.Log(LogWarn, fmt.Sprintf("host: module cannot be instrumented for call deadlines (%v): a runaway loop in it will not be stopped", err))
			code = wasm
		}
	}
	compiled, err := r.wz.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("host: compile module: %w", err)
	}
	m := &Module{rt: r, compiled: compiled, info: info, digest: sha256.Sum256(wasm), size: len(wasm)}
	problems := CheckImports(info.abi, compiled.ImportedFunctions())
	problems = append(problems, checkOtherImports(compiled)...)
	problems = append(problems, checkExports(info.abi, compiled.ExportedFunctions())...)
	exports := compiled.ExportedFunctions()
	switch {
	case exports["proxy_on_memory_allocate"] != nil:
		m.allocator = "proxy_on_memory_allocate"
	case exports["malloc"] != nil:
		m.allocator = "malloc"
	default:
		problems = append(problems, "no allocator: the module exports neither proxy_on_memory_allocate nor malloc")
	}
	if _, ok := compiled.ExportedMemories()["memory"]; !ok {
		problems = append(problems, `no linear memory exported as "memory"`)
	}
	if len(problems) > 0 {
		_ = compiled.Close(ctx)
		return nil, &LoadError{ABI: info.abi, Problems: problems}
	}
	// Start-up entry points, in the reference host's order (doc §1.4).
	switch {
	case exports["_initialize"] != nil:
		m.entry = []string{"_initialize"}
		if exports["main"] != nil {
			m.entry = append(m.entry, "main")
		} else if exports["__main_void"] != nil {
			m.entry = append(m.entry, "__main_void")
		}
	case exports["_start"] != nil:
		m.entry = []string{"_start"}
	}
	return m, nil
}

// ABI returns the module's Proxy-Wasm ABI version.
func (m *Module) ABI() ABIVersion { return m.info.abi }

// Digest returns the SHA-256 of the module bytes.
func (m *Module) Digest() [32]byte { return m.digest }

// Size returns the module's size in bytes.
func (m *Module) Size() int { return m.size }

// Allocator returns the export the host allocates guest memory with.
func (m *Module) Allocator() string { return m.allocator }

// EntryPoints returns the start-up exports the host calls, in order. Empty
// means the module starts from its start section (AssemblyScript).
func (m *Module) EntryPoints() []string { return append([]string(nil), m.entry...) }

// Close releases the compiled code.
func (m *Module) Close(ctx context.Context) error { return m.compiled.Close(ctx) }

// CheckImports returns one line per import the host does not provide to a
// module of the given ABI: missing, offered only to other ABI versions, or
// of a different type. Nil means every function import links.
func CheckImports(abi ABIVersion, imports []api.FunctionDefinition) []string {
	var problems []string
	for _, def := range imports {
		mod, name, _ := def.Import()
		problems = append(problems, checkImport(abi, mod, name, def.ParamTypes(), def.ResultTypes())...)
	}
	return problems
}

func checkImport(abi ABIVersion, mod, name string, params, results []api.ValueType) []string {
	full := mod + "." + name
	spec, ok := lookupImport(mod, name)
	if !ok {
		return []string{"missing import " + full + signature(params, results) + ": not provided by this host"}
	}
	if !spec.abis.has(abi) {
		return []string{fmt.Sprintf("missing import %s: only provided to ABI %s modules, this module is ABI %s", full, spec.abis, abi)}
	}
	if !sameTypes(spec.params, params) || !sameTypes(spec.results, results) {
		return []string{fmt.Sprintf("import type mismatch %s: module wants %s, host provides %s",
			full, signature(params, results), signature(spec.params, spec.results))}
	}
	return nil
}

func checkOtherImports(c wazero.CompiledModule) []string {
	var problems []string
	for _, mem := range c.ImportedMemories() {
		mod, name, _ := mem.Import()
		problems = append(problems, "unsupported import "+mod+"."+name+": memory imports are not provided, export the memory instead")
	}
	return problems
}

// checkExports validates the type of every known callback export, as the
// reference host does at load time. Unknown exports are ignored.
func checkExports(abi ABIVersion, exports map[string]api.FunctionDefinition) []string {
	names := make([]string, 0, len(exports))
	for name := range exports {
		names = append(names, name)
	}
	sort.Strings(names)
	var problems []string
	for _, name := range names {
		want, ok := callbackType(abi, name)
		if !ok {
			continue
		}
		def := exports[name]
		if !sameTypes(want.params, def.ParamTypes()) || !sameTypes(want.results, def.ResultTypes()) {
			problems = append(problems, fmt.Sprintf("bad function signature for export %s: module has %s, ABI %s wants %s",
				name, signature(def.ParamTypes(), def.ResultTypes()), abi, signature(want.params, want.results)))
		}
	}
	return problems
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func signature(params, results []api.ValueType) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, t := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(api.ValueTypeName(t))
	}
	b.WriteString(")->(")
	for i, t := range results {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(api.ValueTypeName(t))
	}
	b.WriteByte(')')
	return b.String()
}
