package host

import (
	"errors"
	"fmt"
)

// binaryInfo is what the host reads from the raw module bytes before
// compiling: the things wazero's CompiledModule does not expose (export order,
// start section).
type binaryInfo struct {
	abi            ABIVersion
	marker         string
	hasStart       bool
	customSections []string
}

var errNotWasm = errors.New("not a WebAssembly binary (bad magic or version)")

// parseBinary walks the module's sections. Like the reference host, the ABI is
// the first function export, in export order, whose name is a known marker.
func parseBinary(b []byte) (binaryInfo, error) {
	var info binaryInfo
	if len(b) < 8 || string(b[:4]) != "\x00asm" || b[4] != 1 || b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return info, errNotWasm
	}
	r := reader{b: b, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return info, err
		}
		size, err := r.u32()
		if err != nil {
			return info, err
		}
		end := r.off + int(size)
		if end > len(r.b) || end < r.off {
			return info, fmt.Errorf("section %d at offset %d overruns the module", id, r.off)
		}
		sec := reader{b: r.b[:end], off: r.off}
		switch id {
		case 0: // custom
			name, err := sec.name()
			if err != nil {
				return info, fmt.Errorf("custom section: %w", err)
			}
			info.customSections = append(info.customSections, name)
		case 7: // export
			if err := parseExports(&sec, &info); err != nil {
				return info, fmt.Errorf("export section: %w", err)
			}
		case 8: // start
			info.hasStart = true
		}
		r.off = end
	}
	return info, nil
}

func parseExports(r *reader, info *binaryInfo) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		if _, err := r.u32(); err != nil {
			return err
		}
		if kind != 0 || info.abi != ABIUnknown { // 0 = function
			continue
		}
		if v, ok := abiMarkers[name]; ok {
			info.abi, info.marker = v, name
		}
	}
	return nil
}

type reader struct {
	b   []byte
	off int
}

var errTruncated = errors.New("truncated")

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
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
	if int(n) > len(r.b)-r.off {
		return "", errTruncated
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}
