package host

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Deadlines are enforced by instrumenting the module when it is loaded.
// A mutable i32 global counts down at every function entry and loop
// header; when it reaches zero the guest calls the host function
// wasmesh.yield and refills it. yield is where the deadline is checked
// (the guest traps if its call ran past it), and, being Go code, it is a
// point where the Go scheduler can preempt the goroutine: compiled Wasm
// cannot be preempted, so without it a guest spinning in a loop would also
// block the garbage collector's stop-the-world, and with it the whole
// process. Every long path goes through a loop header or a call, so the
// guest reaches yield every fuelPerYield steps (~10 us of tight loop); the
// cost in between is a few instructions, where wazero's own termination
// support costs a goroutine per call and an exit to Go at every loop
// back-edge (RATIONALE.md).

const (
	yieldModule  = "wasmesh"
	yieldName    = "yield"
	fuelPerYield = 10000
)

// sectionOrder is the order the spec requires of non-custom sections.
var sectionOrder = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

type section struct {
	id   byte
	body []byte
}

// instrument returns a copy of wasm with the fuel checks added. The new
// function import shifts every defined function's index by one, so every
// reference to a function index is rewritten (calls, ref.func, exports,
// the start function, element segments, function names).
func instrument(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 {
		return nil, errNotWasm
	}
	var secs []section
	r := reader{B: wasm, Off: 8}
	for r.Off < len(r.B) {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		end := r.Off + int(size)
		if end > len(r.B) || end < r.Off {
			return nil, errTruncated
		}
		secs = append(secs, section{id, r.B[r.Off:end]})
		r.Off = end
	}
	var types, importedFuncs, importedGlobals, definedGlobals uint32
	for _, s := range secs {
		var err error
		switch s.id {
		case 1:
			types, err = (&reader{B: s.body}).U32()
		case 2:
			importedFuncs, importedGlobals, err = countImports(s.body)
		case 6:
			definedGlobals, err = (&reader{B: s.body}).U32()
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
	}
	rw := &rewriter{yield: importedFuncs, fuel: importedGlobals + definedGlobals}
	// The check: fuel -= 1; if fuel == 0 { yield(); fuel = fuelPerYield }.
	g := binary.AppendUvarint(nil, uint64(rw.fuel))
	c := append([]byte{0x23}, g...)               // global.get fuel
	c = append(c, 0x41, 0x7F, 0x6A, 0x24)         // i32.const -1; i32.add; global.set
	c = append(c, g...)                           //   fuel
	c = append(c, 0x23)                           // global.get
	c = append(c, g...)                           //   fuel
	c = append(c, 0x45, 0x04, 0x40, 0x10)         // i32.eqz; if; call
	c = binary.AppendUvarint(c, uint64(rw.yield)) //   yield
	c = append(c, 0x41)                           // i32.const
	c = binary.AppendVarint(c, fuelPerYield)      //   fuelPerYield
	c = append(c, 0x24)                           // global.set
	c = append(append(c, g...), 0x0B)             //   fuel; end
	rw.check = c

	var out []section
	have := map[byte]bool{}
	insertMissing := func(beforeOrder int) {
		for _, id := range []byte{1, 2, 6} {
			if !have[id] && beforeOrder > sectionOrder[id] {
				out = append(out, rw.newSection(id, types))
				have[id] = true
			}
		}
	}
	for _, s := range secs {
		if s.id != 0 {
			insertMissing(sectionOrder[s.id])
		}
		body, err := rw.section(s, types)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
		have[s.id] = true
		out = append(out, section{s.id, body})
	}
	insertMissing(1 << 30)
	res := append([]byte(nil), wasm[:8]...)
	for _, s := range out {
		res = append(res, s.id)
		res = binary.AppendUvarint(res, uint64(len(s.body)))
		res = append(res, s.body...)
	}
	return res, nil
}

// rewriter holds what instrumenting needs: the new import's function index
// (every defined function at or above it moves up by one), the fuel
// global's index and the check sequence.
type rewriter struct {
	yield, fuel uint32
	check       []byte
}

func (rw *rewriter) fn(idx uint32) uint32 {
	if idx >= rw.yield {
		return idx + 1
	}
	return idx
}

var yieldImport = func() []byte {
	b := binary.AppendUvarint(nil, uint64(len(yieldModule)))
	b = append(b, yieldModule...)
	b = binary.AppendUvarint(b, uint64(len(yieldName)))
	return append(b, yieldName...)
}()

// newSection creates a type, import or global section the module lacks.
func (rw *rewriter) newSection(id byte, types uint32) section {
	switch id {
	case 1:
		return section{1, []byte{1, 0x60, 0, 0}}
	case 2:
		b := append([]byte{1}, yieldImport...)
		return section{2, append(append(b, 0x00), binary.AppendUvarint(nil, uint64(types))...)}
	}
	return section{6, appendGlobal([]byte{1})}
}

func (rw *rewriter) section(s section, types uint32) ([]byte, error) {
	switch s.id {
	case 1: // type: add () -> ()
		body, err := bumpCount(s.body)
		return append(body, 0x60, 0, 0), err
	case 2: // import: add wasmesh.yield
		body, err := bumpCount(s.body)
		body = append(append(body, yieldImport...), 0x00)
		return binary.AppendUvarint(body, uint64(types)), err
	case 6: // global: add the fuel counter, rewrite init expressions
		body, err := rw.vector(s.body, func(r *reader, out []byte) ([]byte, error) {
			start := r.Off
			if err := r.ValType(); err != nil {
				return nil, err
			}
			if _, err := r.Byte(); err != nil {
				return nil, err
			}
			out = append(out, r.B[start:r.Off]...)
			return rw.expr(r, out)
		})
		if err != nil {
			return nil, err
		}
		body, err = bumpCount(body)
		return appendGlobal(body), err
	case 7: // export: function indices
		return rw.vector(s.body, func(r *reader, out []byte) ([]byte, error) {
			start := r.Off
			if _, err := r.Name(); err != nil {
				return nil, err
			}
			kind, err := r.Byte()
			if err != nil {
				return nil, err
			}
			idx, err := r.U32()
			if err != nil {
				return nil, err
			}
			out = append(out, r.B[start:r.Off-lebLen(idx)]...)
			if kind == 0 {
				idx = rw.fn(idx)
			}
			return binary.AppendUvarint(out, uint64(idx)), nil
		})
	case 8: // start
		idx, err := (&reader{B: s.body}).U32()
		return binary.AppendUvarint(nil, uint64(rw.fn(idx))), err
	case 9:
		return rw.vector(s.body, rw.element)
	case 10:
		return rw.vector(s.body, func(r *reader, out []byte) ([]byte, error) {
			size, err := r.U32()
			if err != nil {
				return nil, err
			}
			if int(size) > len(r.B)-r.Off {
				return nil, errTruncated
			}
			fn, err := rw.function(r.B[r.Off : r.Off+int(size)])
			if err != nil {
				return nil, err
			}
			r.Off += int(size)
			return append(binary.AppendUvarint(out, uint64(len(fn))), fn...), nil
		})
	case 0:
		return rw.custom(s.body)
	}
	return s.body, nil
}

// vector rewrites each element of a vector section with f.
func (rw *rewriter) vector(body []byte, f func(*reader, []byte) ([]byte, error)) ([]byte, error) {
	r := reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(n))
	for i := uint32(0); i < n; i++ {
		if out, err = f(&r, out); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	if r.Off != len(r.B) {
		return nil, errors.New("trailing bytes")
	}
	return out, nil
}

func lebLen(v uint32) int { return len(binary.AppendUvarint(nil, uint64(v))) }

// element rewrites an element segment (all eight encodings).
func (rw *rewriter) element(r *reader, out []byte) ([]byte, error) {
	flags, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = binary.AppendUvarint(out, uint64(flags))
	if flags > 7 {
		return nil, fmt.Errorf("unknown element segment flags %d", flags)
	}
	if flags&2 != 0 && flags&1 == 0 { // explicit table index
		t, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(t))
	}
	if flags&1 == 0 { // active: offset expression
		if out, err = rw.expr(r, out); err != nil {
			return nil, err
		}
	}
	if flags&3 != 0 { // elemkind or reftype byte
		b, err := r.Byte()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = binary.AppendUvarint(out, uint64(n))
	for i := uint32(0); i < n; i++ {
		if flags&4 != 0 {
			if out, err = rw.expr(r, out); err != nil {
				return nil, err
			}
			continue
		}
		idx, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(rw.fn(idx)))
	}
	return out, nil
}

// expr copies a constant expression up to its end, rewriting ref.func.
func (rw *rewriter) expr(r *reader, out []byte) ([]byte, error) {
	for {
		start := r.Off
		op, err := r.Byte()
		if err != nil {
			return nil, err
		}
		if op == 0xD2 {
			idx, err := r.U32()
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(append(out, op), uint64(rw.fn(idx)))
			continue
		}
		if err := r.Immediates(op); err != nil {
			return nil, err
		}
		out = append(out, r.B[start:r.Off]...)
		if op == 0x0B {
			return out, nil
		}
	}
}

// custom rewrites the function indices of the "name" section; other custom
// sections are kept as they are.
func (rw *rewriter) custom(body []byte) ([]byte, error) {
	r := reader{B: body}
	name, err := r.Name()
	if err != nil || name != "name" {
		return body, nil
	}
	out := append([]byte(nil), body[:r.Off]...)
	for r.Off < len(r.B) {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil || int(size) > len(r.B)-r.Off {
			return body, nil // malformed names: keep them, wazero ignores them
		}
		sub := r.B[r.Off : r.Off+int(size)]
		r.Off += int(size)
		if id == 1 || id == 2 { // function names, local names: keyed by function index
			if rewritten, err := rw.vector(sub, func(sr *reader, o []byte) ([]byte, error) {
				idx, err := sr.U32()
				if err != nil {
					return nil, err
				}
				start := sr.Off
				if id == 1 {
					_, err = sr.Name()
				} else {
					err = skipNameMap(sr)
				}
				if err != nil {
					return nil, err
				}
				return append(binary.AppendUvarint(o, uint64(rw.fn(idx))), sr.B[start:sr.Off]...), nil
			}); err == nil {
				sub = rewritten
			}
		}
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(sub)))
		out = append(out, sub...)
	}
	return out, nil
}

func skipNameMap(r *reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.U32(); err != nil {
			return err
		}
		if _, err := r.Name(); err != nil {
			return err
		}
	}
	return nil
}

// appendGlobal appends the fuel counter: mut i32 = fuelPerYield.
func appendGlobal(body []byte) []byte {
	b := append(body, 0x7F, 0x01, 0x41)
	return append(binary.AppendVarint(b, fuelPerYield), 0x0B)
}

// bumpCount rewrites a vector section with its count plus one.
func bumpCount(body []byte) ([]byte, error) {
	r := reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(n)+1)
	return append(out, body[r.Off:]...), nil
}

// countImports returns how many functions and globals a module imports.
func countImports(body []byte) (funcs, globals uint32, err error) {
	r := reader{B: body}
	n, err := r.U32()
	if err != nil {
		return 0, 0, err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.Name(); err != nil {
			return 0, 0, err
		}
		if _, err := r.Name(); err != nil {
			return 0, 0, err
		}
		kind, err := r.Byte()
		if err != nil {
			return 0, 0, err
		}
		switch kind {
		case 0: // func: type index
			funcs++
			_, err = r.U32()
		case 1: // table: reftype, limits
			if _, err = r.Byte(); err == nil {
				err = r.Limits()
			}
		case 2: // memory: limits
			err = r.Limits()
		case 3: // global: valtype, mutability
			globals++
			if err = r.ValType(); err == nil {
				_, err = r.Byte()
			}
		case 4: // tag: attribute, type index
			if _, err = r.Byte(); err == nil {
				_, err = r.U32()
			}
		default:
			err = fmt.Errorf("unknown import kind %d", kind)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return funcs, globals, nil
}

// function rewrites one function body: the fuel check at entry and after
// every loop's block type; calls and ref.func renumbered.
func (rw *rewriter) function(body []byte) ([]byte, error) {
	r := reader{B: body}
	groups, err := r.U32()
	if err != nil {
		return nil, err
	}
	for i := uint32(0); i < groups; i++ {
		if _, err := r.U32(); err != nil {
			return nil, err
		}
		if err := r.ValType(); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, len(body)+len(body)/8+len(rw.check))
	out = append(out, body[:r.Off]...)
	out = append(out, rw.check...)
	for r.Off < len(r.B) {
		start := r.Off
		op, _ := r.Byte()
		switch op {
		case 0x10, 0x12, 0xD2: // call, return_call, ref.func
			idx, err := r.U32()
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(append(out, op), uint64(rw.fn(idx)))
			continue
		}
		if err := r.Immediates(op); err != nil {
			return nil, fmt.Errorf("opcode 0x%02x at %d: %w", op, start, err)
		}
		out = append(out, body[start:r.Off]...)
		if op == 0x03 { // loop
			out = append(out, rw.check...)
		}
	}
	return out, nil
}
