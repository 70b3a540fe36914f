package profiles

import (
	"errors"
	"fmt"
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

var errTruncated = errors.New("truncated")

// Parse reads a WebAssembly binary's sections. It validates only what it
// reads; code bodies are skipped.
func Parse(b []byte) (*Module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" || b[4] != 1 || b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return nil, errors.New("profiles: not a WebAssembly binary (bad magic or version)")
	}
	m := &Module{}
	var types []FuncType
	var funcTypes []uint32 // type index of every function, imports first
	r := reader{b: b, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("profiles: section %d: %w", id, err)
		}
		end := r.off + int(size)
		if end > len(r.b) || end < r.off {
			return nil, fmt.Errorf("profiles: section %d at offset %d overruns the module", id, r.off)
		}
		s := &reader{b: r.b[:end], off: r.off}
		switch id {
		case 0:
			err = parseCustom(s, m)
		case 1:
			types, err = parseTypes(s)
		case 2:
			err = parseImports(s, m, types, &funcTypes)
		case 3:
			err = vec(s, func() error {
				t, err := s.u32()
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
		r.off = end
	}
	return m, nil
}

func parseCustom(s *reader, m *Module) error {
	name, err := s.name()
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
	for s.off < len(s.b) {
		id, err := s.byte()
		if err != nil {
			return nil
		}
		size, err := s.u32()
		if err != nil || s.off+int(size) > len(s.b) {
			return nil
		}
		if id != 1 {
			s.off += int(size)
			continue
		}
		sub := &reader{b: s.b[:s.off+int(size)], off: s.off}
		var names []string
		_ = vec(sub, func() error {
			if _, err := sub.u32(); err != nil {
				return err
			}
			n, err := sub.name()
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
		form, err := s.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type form 0x%x is not a function type", form)
		}
		var t FuncType
		if t.Params, err = s.valueTypes(); err != nil {
			return err
		}
		if t.Results, err = s.valueTypes(); err != nil {
			return err
		}
		types = append(types, t)
		return nil
	})
	return types, err
}

func parseImports(s *reader, m *Module, types []FuncType, funcTypes *[]uint32) error {
	return vec(s, func() error {
		mod, err := s.name()
		if err != nil {
			return err
		}
		name, err := s.name()
		if err != nil {
			return err
		}
		kind, err := s.byte()
		if err != nil {
			return err
		}
		imp := Import{Module: mod, Name: name, Kind: kind}
		switch kind {
		case KindFunc:
			idx, err := s.u32()
			if err != nil {
				return err
			}
			if int(idx) >= len(types) {
				return fmt.Errorf("import %s.%s: type index %d out of range", mod, name, idx)
			}
			imp.Type = types[idx]
			*funcTypes = append(*funcTypes, idx)
		case KindTable:
			if _, err := s.byte(); err != nil { // element type
				return err
			}
			err = s.limits()
		case KindMemory:
			err = s.limits()
		case KindGlobal:
			_, err = s.bytes(2) // value type, mutability
		default:
			return fmt.Errorf("import %s.%s: unknown kind %d", mod, name, kind)
		}
		m.Imports = append(m.Imports, imp)
		return err
	})
}

func parseExports(s *reader, m *Module, types []FuncType, funcTypes []uint32) error {
	return vec(s, func() error {
		name, err := s.name()
		if err != nil {
			return err
		}
		kind, err := s.byte()
		if err != nil {
			return err
		}
		idx, err := s.u32()
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
	n, err := s.u32()
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

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errTruncated
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}

// u32 reads an unsigned LEB128 value of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("bad LEB128 integer")
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	return string(b), err
}

func (r *reader) valueTypes() ([]api.ValueType, error) {
	var ts []api.ValueType
	err := vec(r, func() error {
		t, err := r.byte()
		ts = append(ts, t)
		return err
	})
	return ts, err
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u32()
	}
	return err
}
