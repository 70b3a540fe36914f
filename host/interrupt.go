package host

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Deadlines are enforced by instrumenting the module when it is loaded: a
// mutable i32 global, exported as interruptExport, is tested at the entry
// of every function and at the head of every loop; when the watchdog sets
// it, the guest executes unreachable and the call traps. Every long-running
// path goes through a loop header or a call, so this bounds how long a
// guest runs after its deadline, at the cost of a load and a branch, where
// wazero's own termination support costs a goroutine per call and an exit
// to Go at every loop back-edge (RATIONALE.md).

const interruptExport = "wasmesh.interrupt"

// sectionOrder is the order the spec requires of non-custom sections.
var sectionOrder = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

// instrument returns a copy of wasm with the interrupt checks added.
func instrument(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 {
		return nil, errNotWasm
	}
	type section struct {
		id   byte
		body []byte
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
	var importedGlobals, definedGlobals uint32
	for _, s := range secs {
		var err error
		switch s.id {
		case 2:
			importedGlobals, err = countImportedGlobals(s.body)
		case 6:
			definedGlobals, err = (&reader{b: s.body}).u32()
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
	}
	global := importedGlobals + definedGlobals
	check := append([]byte{0x23}, binary.AppendUvarint(nil, uint64(global))...)
	check = append(check, 0x04, 0x40, 0x00, 0x0B) // global.get; if; unreachable; end

	var out []section
	haveGlobal, haveExport := false, false
	insertMissing := func(beforeOrder int) {
		if !haveGlobal && beforeOrder > sectionOrder[6] {
			out = append(out, section{6, appendGlobal(binary.AppendUvarint(nil, 1))})
			haveGlobal = true
		}
		if !haveExport && beforeOrder > sectionOrder[7] {
			out = append(out, section{7, appendExport(binary.AppendUvarint(nil, 1), global)})
			haveExport = true
		}
	}
	for _, s := range secs {
		if s.id != 0 {
			insertMissing(sectionOrder[s.id])
		}
		switch s.id {
		case 6:
			body, err := bumpCount(s.body)
			if err != nil {
				return nil, err
			}
			out = append(out, section{6, appendGlobal(body)})
			haveGlobal = true
		case 7:
			body, err := bumpCount(s.body)
			if err != nil {
				return nil, err
			}
			out = append(out, section{7, appendExport(body, global)})
			haveExport = true
		case 10:
			body, err := instrumentCode(s.body, check)
			if err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
			out = append(out, section{10, body})
		default:
			out = append(out, s)
		}
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

func appendGlobal(body []byte) []byte {
	return append(body, 0x7F, 0x01, 0x41, 0x00, 0x0B) // mut i32 = i32.const 0
}

func appendExport(body []byte, global uint32) []byte {
	body = binary.AppendUvarint(body, uint64(len(interruptExport)))
	body = append(body, interruptExport...)
	body = append(body, 0x03) // global
	return binary.AppendUvarint(body, uint64(global))
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

func countImportedGlobals(body []byte) (uint32, error) {
	r := reader{b: body}
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	var globals uint32
	for i := uint32(0); i < n; i++ {
		if _, err := r.name(); err != nil {
			return 0, err
		}
		if _, err := r.name(); err != nil {
			return 0, err
		}
		kind, err := r.byte()
		if err != nil {
			return 0, err
		}
		switch kind {
		case 0: // func: type index
			_, err = r.u32()
		case 1: // table: reftype, limits
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case 2: // memory: limits
			err = r.limits()
		case 3: // global: valtype, mutability
			globals++
			if _, err = r.byte(); err == nil {
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
			return 0, err
		}
	}
	return globals, nil
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

// instrumentCode inserts check at the start of every function body and
// after the block type of every loop.
func instrumentCode(body []byte, check []byte) ([]byte, error) {
	r := reader{b: body}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(n))
	var fn []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		if int(size) > len(r.b)-r.off {
			return nil, errTruncated
		}
		fn, err = instrumentFunc(r.b[r.off:r.off+int(size)], check, fn[:0])
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		r.off += int(size)
		out = binary.AppendUvarint(out, uint64(len(fn)))
		out = append(out, fn...)
	}
	return out, nil
}

func instrumentFunc(body, check, out []byte) ([]byte, error) {
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
	out = append(out, body[:r.off]...)
	out = append(out, check...)
	for r.off < len(r.b) {
		start := r.off
		op, _ := r.byte()
		if err := r.immediates(op); err != nil {
			return nil, fmt.Errorf("opcode 0x%02x at %d: %w", op, start, err)
		}
		out = append(out, body[start:r.off]...)
		if op == 0x03 { // loop
			out = append(out, check...)
		}
	}
	return out, nil
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
