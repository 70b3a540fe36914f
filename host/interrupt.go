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
	r := reader{b: wasm, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		end := r.off + int(size)
		if end > len(r.b) || end < r.off {
			return nil, errTruncated
		}
		secs = append(secs, section{id, r.b[r.off:end]})
		r.off = end
	}
	var types, importedFuncs, importedGlobals, definedGlobals uint32
	for _, s := range secs {
		var err error
		switch s.id {
		case 1:
			types, err = (&reader{b: s.body}).u32()
		case 2:
			importedFuncs, importedGlobals, err = countImports(s.body)
		case 6:
			definedGlobals, err = (&reader{b: s.body}).u32()
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
			start := r.off
			if err := r.valType(); err != nil {
				return nil, err
			}
			if _, err := r.byte(); err != nil {
				return nil, err
			}
			out = append(out, r.b[start:r.off]...)
			return rw.expr(r, out)
		})
		if err != nil {
			return nil, err
		}
		body, err = bumpCount(body)
		return appendGlobal(body), err
	case 7: // export: function indices
		return rw.vector(s.body, func(r *reader, out []byte) ([]byte, error) {
			start := r.off
			if _, err := r.name(); err != nil {
				return nil, err
			}
			kind, err := r.byte()
			if err != nil {
				return nil, err
			}
			idx, err := r.u32()
			if err != nil {
				return nil, err
			}
			out = append(out, r.b[start:r.off-lebLen(idx)]...)
			if kind == 0 {
				idx = rw.fn(idx)
			}
			return binary.AppendUvarint(out, uint64(idx)), nil
		})
	case 8: // start
		idx, err := (&reader{b: s.body}).u32()
		return binary.AppendUvarint(nil, uint64(rw.fn(idx))), err
	case 9:
		return rw.vector(s.body, rw.element)
	case 10:
		return rw.vector(s.body, func(r *reader, out []byte) ([]byte, error) {
			size, err := r.u32()
			if err != nil {
				return nil, err
			}
			if int(size) > len(r.b)-r.off {
				return nil, errTruncated
			}
			fn, err := rw.function(r.b[r.off : r.off+int(size)])
			if err != nil {
				return nil, err
			}
			r.off += int(size)
			return append(binary.AppendUvarint(out, uint64(len(fn))), fn...), nil
		})
	case 0:
		return rw.custom(s.body)
	}
	return s.body, nil
}

// vector rewrites each element of a vector section with f.
func (rw *rewriter) vector(body []byte, f func(*reader, []byte) ([]byte, error)) ([]byte, error) {
	r := reader{b: body}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(n))
	for i := uint32(0); i < n; i++ {
		if out, err = f(&r, out); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	if r.off != len(r.b) {
		return nil, errors.New("trailing bytes")
	}
	return out, nil
}

func lebLen(v uint32) int { return len(binary.AppendUvarint(nil, uint64(v))) }

// element rewrites an element segment (all eight encodings).
func (rw *rewriter) element(r *reader, out []byte) ([]byte, error) {
	flags, err := r.u32()
	if err != nil {
		return nil, err
	}
	out = binary.AppendUvarint(out, uint64(flags))
	if flags > 7 {
		return nil, fmt.Errorf("unknown element segment flags %d", flags)
	}
	if flags&2 != 0 && flags&1 == 0 { // explicit table index
		t, err := r.u32()
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
		b, err := r.byte()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	n, err := r.u32()
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
		idx, err := r.u32()
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
		start := r.off
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		if op == 0xD2 {
			idx, err := r.u32()
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(append(out, op), uint64(rw.fn(idx)))
			continue
		}
		if err := r.immediates(op); err != nil {
			return nil, err
		}
		out = append(out, r.b[start:r.off]...)
		if op == 0x0B {
			return out, nil
		}
	}
}

// custom rewrites the function indices of the "name" section; other custom
// sections are kept as they are.
func (rw *rewriter) custom(body []byte) ([]byte, error) {
	r := reader{b: body}
	name, err := r.name()
	if err != nil || name != "name" {
		return body, nil
	}
	out := append([]byte(nil), body[:r.off]...)
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil || int(size) > len(r.b)-r.off {
			return body, nil // malformed names: keep them, wazero ignores them
		}
		sub := r.b[r.off : r.off+int(size)]
		r.off += int(size)
		if id == 1 || id == 2 { // function names, local names: keyed by function index
			if rewritten, err := rw.vector(sub, func(sr *reader, o []byte) ([]byte, error) {
				idx, err := sr.u32()
				if err != nil {
					return nil, err
				}
				start := sr.off
				if id == 1 {
					_, err = sr.name()
				} else {
					err = skipNameMap(sr)
				}
				if err != nil {
					return nil, err
				}
				return append(binary.AppendUvarint(o, uint64(rw.fn(idx))), sr.b[start:sr.off]...), nil
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
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.u32(); err != nil {
			return err
		}
		if _, err := r.name(); err != nil {
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
	r := reader{b: body}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(n)+1)
	return append(out, body[r.off:]...), nil
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u64(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u64()
	}
	return err
}

// u64 reads an unsigned or signed LEB128 value of up to 64 bits (only its
// extent matters here).
func (r *reader) u64() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("bad LEB128 integer")
}

func (r *reader) skip(n int) error {
	if n > len(r.b)-r.off {
		return errTruncated
	}
	r.off += n
	return nil
}

// valType skips a value type (numeric, vector, or reference type).
func (r *reader) valType() error {
	t, err := r.byte()
	if err != nil {
		return err
	}
	if t == 0x63 || t == 0x64 { // (ref null? heaptype)
		_, err = r.u64()
	}
	return err
}

// blockType skips a block type: empty, a value type, or a type index.
func (r *reader) blockType() error {
	if r.off >= len(r.b) {
		return errTruncated
	}
	switch c := r.b[r.off]; {
	case c == 0x40 || c >= 0x6C && c <= 0x7F && c != 0x63 && c != 0x64:
		r.off++
		return nil
	case c == 0x63 || c == 0x64:
		return r.valType()
	}
	_, err := r.u64() // s33 type index
	return err
}

func (r *reader) memarg() error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: explicit memory index
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	_, err = r.u64()
	return err
}

// immediates skips the immediates of an instruction.
func (r *reader) immediates(op byte) error {
	var err error
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06: // block loop if try
		err = r.blockType()
	case op == 0x1F: // try_table
		if err = r.blockType(); err != nil {
			return err
		}
		var n uint32
		if n, err = r.u32(); err != nil {
			return err
		}
		for i := uint32(0); i < n && err == nil; i++ {
			var kind byte
			if kind, err = r.byte(); err != nil {
				return err
			}
			if kind < 2 {
				if _, err = r.u32(); err != nil {
					return err
				}
			}
			_, err = r.u32()
		}
	case op == 0x07 || op == 0x08 || op == 0x09 || op == 0x18 || // catch throw rethrow delegate
		op == 0x0C || op == 0x0D || op == 0x10 || op == 0x12 || op == 0x14 || op == 0x15 || // br br_if call return_call call_ref return_call_ref
		op >= 0x20 && op <= 0x26 || // local/global/table get/set
		op == 0x3F || op == 0x40 || op == 0xD2 || op == 0xD4 || op == 0xD6: // memory.size/grow ref.func br_on_(non_)null
		_, err = r.u32()
	case op == 0x0E: // br_table
		var n uint32
		if n, err = r.u32(); err != nil {
			return err
		}
		for i := uint32(0); i <= n && err == nil; i++ {
			_, err = r.u32()
		}
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
	case op == 0x1C: // select t*
		var n uint32
		if n, err = r.u32(); err != nil {
			return err
		}
		for i := uint32(0); i < n && err == nil; i++ {
			err = r.valType()
		}
	case op >= 0x28 && op <= 0x3E: // loads and stores
		err = r.memarg()
	case op == 0x41 || op == 0x42: // i32.const i64.const
		_, err = r.u64()
	case op == 0x43:
		err = r.skip(4)
	case op == 0x44:
		err = r.skip(8)
	case op == 0xD0: // ref.null heaptype
		_, err = r.u64()
	case op == 0xFC:
		err = r.prefixFC()
	case op == 0xFD:
		err = r.prefixFD()
	case op == 0xFE:
		err = r.prefixFE()
	case op <= 0x01 || op == 0x05 || op == 0x0A || op == 0x0B || op == 0x0F || op == 0x19 ||
		op == 0x1A || op == 0x1B || op >= 0x45 && op <= 0xC4 || op == 0xD1 || op == 0xD3:
		// no immediates
	default:
		err = errors.New("unknown opcode")
	}
	return err
}

func (r *reader) prefixFC() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14: // memory.init memory.copy table.init table.copy
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
	case sub == 9 || sub == 11 || sub == 13 || sub >= 15 && sub <= 17:
		_, err = r.u32()
	default:
		err = fmt.Errorf("unknown 0xFC %d", sub)
	}
	return err
}

func (r *reader) prefixFD() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // v128 loads/stores
		return r.memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		return r.skip(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		return r.skip(1)
	case sub >= 84 && sub <= 91: // load/store lane
		if err := r.memarg(); err != nil {
			return err
		}
		return r.skip(1)
	}
	return nil
}

func (r *reader) prefixFE() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	if sub == 3 { // atomic.fence
		return r.skip(1)
	}
	return r.memarg()
}

// countImports returns how many functions and globals a module imports.
func countImports(body []byte) (funcs, globals uint32, err error) {
	r := reader{b: body}
	n, err := r.u32()
	if err != nil {
		return 0, 0, err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.name(); err != nil {
			return 0, 0, err
		}
		if _, err := r.name(); err != nil {
			return 0, 0, err
		}
		kind, err := r.byte()
		if err != nil {
			return 0, 0, err
		}
		switch kind {
		case 0: // func: type index
			funcs++
			_, err = r.u32()
		case 1: // table: reftype, limits
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case 2: // memory: limits
			err = r.limits()
		case 3: // global: valtype, mutability
			globals++
			if err = r.valType(); err == nil {
				_, err = r.byte()
			}
		case 4: // tag: attribute, type index
			if _, err = r.byte(); err == nil {
				_, err = r.u32()
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
	r := reader{b: body}
	groups, err := r.u32()
	if err != nil {
		return nil, err
	}
	for i := uint32(0); i < groups; i++ {
		if _, err := r.u32(); err != nil {
			return nil, err
		}
		if err := r.valType(); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, len(body)+len(body)/8+len(rw.check))
	out = append(out, body[:r.off]...)
	out = append(out, rw.check...)
	for r.off < len(r.b) {
		start := r.off
		op, _ := r.byte()
		switch op {
		case 0x10, 0x12, 0xD2: // call, return_call, ref.func
			idx, err := r.u32()
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(append(out, op), uint64(rw.fn(idx)))
			continue
		}
		if err := r.immediates(op); err != nil {
			return nil, fmt.Errorf("opcode 0x%02x at %d: %w", op, start, err)
		}
		out = append(out, body[start:r.off]...)
		if op == 0x03 { // loop
			out = append(out, rw.check...)
		}
	}
	return out, nil
}
