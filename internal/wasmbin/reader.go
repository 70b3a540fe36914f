// Package wasmbin reads the WebAssembly binary format: LEB128 integers,
// names, value and block types, and every instruction's immediates, as the
// host's instrumentation and the compatibility profiles need.
package wasmbin

import (
	"errors"
	"fmt"
)

// ErrTruncated is returned when the input ends inside a value.
var ErrTruncated = errors.New("truncated")

// Reader reads from B at Off.
type Reader struct {
	B   []byte
	Off int
}

// Bytes reads n raw bytes.
func (r *Reader) Bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.B)-r.Off {
		return nil, ErrTruncated
	}
	b := r.B[r.Off : r.Off+n]
	r.Off += n
	return b, nil
}

func (r *Reader) Byte() (byte, error) {
	if r.Off >= len(r.B) {
		return 0, ErrTruncated
	}
	c := r.B[r.Off]
	r.Off++
	return c, nil
}

// u32 reads an unsigned LEB128 value of at most 32 bits.
func (r *Reader) U32() (uint32, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.Byte()
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

func (r *Reader) Name() (string, error) {
	n, err := r.U32()
	if err != nil {
		return "", err
	}
	if int(n) > len(r.B)-r.Off {
		return "", ErrTruncated
	}
	s := string(r.B[r.Off : r.Off+int(n)])
	r.Off += int(n)
	return s, nil
}

func (r *Reader) Limits() error {
	flags, err := r.Byte()
	if err != nil {
		return err
	}
	if _, err := r.U64(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.U64()
	}
	return err
}

// u64 reads an unsigned or signed LEB128 value of up to 64 bits (only its
// extent matters here).
func (r *Reader) U64() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		c, err := r.Byte()
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

func (r *Reader) Skip(n int) error {
	if n > len(r.B)-r.Off {
		return ErrTruncated
	}
	r.Off += n
	return nil
}

// valType skips a value type (numeric, vector, or reference type).
func (r *Reader) ValType() error {
	t, err := r.Byte()
	if err != nil {
		return err
	}
	if t == 0x63 || t == 0x64 { // (ref null? heaptype)
		_, err = r.U64()
	}
	return err
}

// blockType skips a block type: empty, a value type, or a type index.
func (r *Reader) BlockType() error {
	if r.Off >= len(r.B) {
		return ErrTruncated
	}
	switch c := r.B[r.Off]; {
	case c == 0x40 || c >= 0x6C && c <= 0x7F && c != 0x63 && c != 0x64:
		r.Off++
		return nil
	case c == 0x63 || c == 0x64:
		return r.ValType()
	}
	_, err := r.U64() // s33 type index
	return err
}

func (r *Reader) Memarg() error {
	align, err := r.U32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: explicit memory index
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	_, err = r.U64()
	return err
}

// immediates skips the immediates of an instruction.
func (r *Reader) Immediates(op byte) error {
	var err error
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06: // block loop if try
		err = r.BlockType()
	case op == 0x1F: // try_table
		if err = r.BlockType(); err != nil {
			return err
		}
		var n uint32
		if n, err = r.U32(); err != nil {
			return err
		}
		for i := uint32(0); i < n && err == nil; i++ {
			var kind byte
			if kind, err = r.Byte(); err != nil {
				return err
			}
			if kind < 2 {
				if _, err = r.U32(); err != nil {
					return err
				}
			}
			_, err = r.U32()
		}
	case op == 0x07 || op == 0x08 || op == 0x09 || op == 0x18 || // catch throw rethrow delegate
		op == 0x0C || op == 0x0D || op == 0x10 || op == 0x12 || op == 0x14 || op == 0x15 || // br br_if call return_call call_ref return_call_ref
		op >= 0x20 && op <= 0x26 || // local/global/table get/set
		op == 0x3F || op == 0x40 || op == 0xD2 || op == 0xD4 || op == 0xD6: // memory.size/grow ref.func br_on_(non_)null
		_, err = r.U32()
	case op == 0x0E: // br_table
		var n uint32
		if n, err = r.U32(); err != nil {
			return err
		}
		for i := uint32(0); i <= n && err == nil; i++ {
			_, err = r.U32()
		}
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		if _, err = r.U32(); err == nil {
			_, err = r.U32()
		}
	case op == 0x1C: // select t*
		var n uint32
		if n, err = r.U32(); err != nil {
			return err
		}
		for i := uint32(0); i < n && err == nil; i++ {
			err = r.ValType()
		}
	case op >= 0x28 && op <= 0x3E: // loads and stores
		err = r.Memarg()
	case op == 0x41 || op == 0x42: // i32.const i64.const
		_, err = r.U64()
	case op == 0x43:
		err = r.Skip(4)
	case op == 0x44:
		err = r.Skip(8)
	case op == 0xD0: // ref.null heaptype
		_, err = r.U64()
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

func (r *Reader) prefixFC() error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14: // memory.init memory.copy table.init table.copy
		if _, err := r.U32(); err != nil {
			return err
		}
		_, err = r.U32()
	case sub == 9 || sub == 11 || sub == 13 || sub >= 15 && sub <= 17:
		_, err = r.U32()
	default:
		err = fmt.Errorf("unknown 0xFC %d", sub)
	}
	return err
}

func (r *Reader) prefixFD() error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // v128 loads/stores
		return r.Memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		return r.Skip(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		return r.Skip(1)
	case sub >= 84 && sub <= 91: // load/store lane
		if err := r.Memarg(); err != nil {
			return err
		}
		return r.Skip(1)
	}
	return nil
}

func (r *Reader) prefixFE() error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	if sub == 3 { // atomic.fence
		return r.Skip(1)
	}
	return r.Memarg()
}
