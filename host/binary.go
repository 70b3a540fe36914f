package host

import (
	"errors"
	"fmt"

	"github.com/wasmesh/wasmesh/internal/wasmbin"
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
	r := reader{B: b, Off: 8}
	for r.Off < len(r.B) {
		id, err := r.Byte()
		if err != nil {
			return info, err
		}
		size, err := r.U32()
		if err != nil {
			return info, err
		}
		end := r.Off + int(size)
		if end > len(r.B) || end < r.Off {
			return info, fmt.Errorf("section %d at offset %d overruns the module", id, r.Off)
		}
		sec := reader{B: r.B[:end], Off: r.Off}
		switch id {
		case 0: // custom
			name, err := sec.Name()
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
		r.Off = end
	}
	return info, nil
}

func parseExports(r *reader, info *binaryInfo) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.Name()
		if err != nil {
			return err
		}
		kind, err := r.Byte()
		if err != nil {
			return err
		}
		if _, err := r.U32(); err != nil {
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

// reader is the binary reader shared with internal/profiles.
type reader = wasmbin.Reader

var errTruncated = wasmbin.ErrTruncated
