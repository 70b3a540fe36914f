package profiles

import (
	"errors"
	"fmt"
	"github.com/wasmesh/wasmesh/internal/wasmbin"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// Extern kinds of imports and exports, as the binary format numbers them.
const (
	KindFunc   byte = 0
	KindTable  byte = 1
	KindMemory byte = 2
	KindGlobal byte = 3
)

// KindName returns "func", "table", "memory" or "global".
func KindName(k byte) string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	}
	return fmt.Sprintf("kind%d", k)
}

// FuncType is a function signature.
type FuncType struct {
	Params, Results []api.ValueType
}

// String renders the type as "(i32,i64)->(i32)", the form host.LoadError uses.
func (t FuncType) String() string {
	return Signature(t.Params, t.Results)
}

// Signature renders parameter and result types as "(i32,i64)->(i32)".
func Signature(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ",")
	}
	return "(" + names(params) + ")->(" + names(results) + ")"
}

// Import is one import of a module. Type is set for function imports.
type Import struct {
	Module, Name string
	Kind         byte
	Type         FuncType
}

// Export is one export of a module. Type is set for function exports.
type Export struct {
	Name string
	Kind byte
	Type FuncType
}

// Module is what inspect and the profile checks read from a module's bytes:
// imports and exports in binary order, custom section names, function names
// from the "name" section, and whether it has a start section.
type Module struct {
	Imports        []Import
	Exports        []Export
	CustomSections []string
	FunctionNames  []string
	HasStart       bool
}

// ABIMarkerPrefix starts every Proxy-Wasm ABI marker export name.
const ABIMarkerPrefix = "proxy_abi_version_"

// Marker returns the ABI marker the way the reference host picks it (the
// first function export, in export order, named proxy_abi_version_*), and
// the version it spells, e.g. "0.2.1" ("" when there is no marker).
func (m *Module) Marker() (marker, version string) {
	for _, e := range m.Exports {
		if e.Kind == KindFunc && strings.HasPrefix(e.Name, ABIMarkerPrefix) {
			v := strings.ReplaceAll(strings.TrimPrefix(e.Name, ABIMarkerPrefix), "_", ".")
			return e.Name, v
		}
	}
	return "", ""
}

// Export returns the export named name.
func (m *Module) Export(name string) (Export, bool) {
	for _, e := range m.Exports {
		if e.Name == name {
			return e, true
		}
	}
	return Export{}, false
}

// Parse reads a WebAssembly binary's sections. It validates only what it
// reads; code bodies are skipped.
func Parse(b []byte) (*Module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" || b[4] != 1 || b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return nil, errors.New("profiles: not a WebAssembly binary (bad magic or version)")
	}
	m := &Module{}
	var types []FuncType
	var funcTypes []uint32 // type index of every function, imports first
	r := reader{B: b, Off: 8}
	for r.Off < len(r.B) {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("profiles: section %d: %w", id, err)
		}
		end := r.Off + int(size)
		if end > len(r.B) || end < r.Off {
			return nil, fmt.Errorf("profiles: section %d at offset %d overruns the module", id, r.Off)
		}
		s := &reader{B: r.B[:end], Off: r.Off}
		switch id {
		case 0:
			err = parseCustom(s, m)
		case 1:
			types, err = parseTypes(s)
		case 2:
			err = parseImports(s, m, types, &funcTypes)
		case 3:
			err = vec(s, func() error {
				t, err := s.U32()
				funcTypes = append(funcTypes, t)
				return err
			})
		case 7:
			err = parseExports(s, m, types, funcTypes)
		case 8:
			m.HasStart = true
		}
		if err != nil {
			return nil, fmt.Errorf("profiles: section %d: %w", id, err)
		}
		r.Off = end
	}
	return m, nil
}

func parseCustom(s *reader, m *Module) error {
	name, err := s.Name()
	if err != nil {
		return err
	}
	m.CustomSections = append(m.CustomSections, name)
	if name == "name" {
		// Function names are a convenience for the language guess: a
		// malformed name section is ignored, as engines do.
		m.FunctionNames = parseNames(s)
	}
	return nil
}

// parseNames reads subsection 1 (function names) of a "name" section.
func parseNames(s *reader) []string {
	for s.Off < len(s.B) {
		id, err := s.Byte()
		if err != nil {
			return nil
		}
		size, err := s.U32()
		if err != nil || s.Off+int(size) > len(s.B) {
			return nil
		}
		if id != 1 {
			s.Off += int(size)
			continue
		}
		sub := &reader{B: s.B[:s.Off+int(size)], Off: s.Off}
		var names []string
		_ = vec(sub, func() error {
			if _, err := sub.U32(); err != nil {
				return err
			}
			n, err := sub.Name()
			names = append(names, n)
			return err
		})
		return names
	}
	return nil
}

func parseTypes(s *reader) ([]FuncType, error) {
	var types []FuncType
	err := vec(s, func() error {
		form, err := s.Byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type form 0x%x is not a function type", form)
		}
		var t FuncType
		if t.Params, err = readValueTypes(s); err != nil {
			return err
		}
		if t.Results, err = readValueTypes(s); err != nil {
			return err
		}
		types = append(types, t)
		return nil
	})
	return types, err
}

func parseImports(s *reader, m *Module, types []FuncType, funcTypes *[]uint32) error {
	return vec(s, func() error {
		mod, err := s.Name()
		if err != nil {
			return err
		}
		name, err := s.Name()
		if err != nil {
			return err
		}
		kind, err := s.Byte()
		if err != nil {
			return err
		}
		imp := Import{Module: mod, Name: name, Kind: kind}
		switch kind {
		case KindFunc:
			idx, err := s.U32()
			if err != nil {
				return err
			}
			if int(idx) >= len(types) {
				return fmt.Errorf("import %s.%s: type index %d out of range", mod, name, idx)
			}
			imp.Type = types[idx]
			*funcTypes = append(*funcTypes, idx)
		case KindTable:
			if _, err := s.Byte(); err != nil { // element type
				return err
			}
			err = s.Limits()
		case KindMemory:
			err = s.Limits()
		case KindGlobal:
			_, err = s.Bytes(2) // value type, mutability
		default:
			return fmt.Errorf("import %s.%s: unknown kind %d", mod, name, kind)
		}
		m.Imports = append(m.Imports, imp)
		return err
	})
}

func parseExports(s *reader, m *Module, types []FuncType, funcTypes []uint32) error {
	return vec(s, func() error {
		name, err := s.Name()
		if err != nil {
			return err
		}
		kind, err := s.Byte()
		if err != nil {
			return err
		}
		idx, err := s.U32()
		if err != nil {
			return err
		}
		e := Export{Name: name, Kind: kind}
		if kind == KindFunc {
			if int(idx) >= len(funcTypes) || int(funcTypes[idx]) >= len(types) {
				return fmt.Errorf("export %s: function index %d out of range", name, idx)
			}
			e.Type = types[funcTypes[idx]]
		}
		m.Exports = append(m.Exports, e)
		return nil
	})
}

// vec reads a count, then calls item that many times.
func vec(s *reader, item func() error) error {
	n, err := s.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := item(); err != nil {
			return err
		}
	}
	return nil
}

// reader is the binary reader shared with the host.
type reader = wasmbin.Reader

// readValueTypes reads a vector of value types.
func readValueTypes(r *reader) ([]api.ValueType, error) {
	var ts []api.ValueType
	err := vec(r, func() error {
		t, err := r.Byte()
		ts = append(ts, t)
		return err
	})
	return ts, err
}
