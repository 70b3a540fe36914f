package host

import (
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"
)

// read returns a view of guest memory [ptr, ptr+size). A zero-length range
// is valid at any in-bounds pointer, including 0. The view is only valid
// until the next call into the guest (the allocator may grow memory).
func read(m api.Module, ptr, size uint32) ([]byte, bool) {
	mem := m.Memory()
	if uint64(ptr)+uint64(size) > uint64(mem.Size()) {
		return nil, false
	}
	if size == 0 {
		return nil, true
	}
	return mem.Read(ptr, size)
}

func writeU32(m api.Module, ptr, v uint32) bool { return m.Memory().WriteUint32Le(ptr, v) }

func writeU64(m api.Module, ptr uint32, v uint64) bool { return m.Memory().WriteUint64Le(ptr, v) }

// writable reports whether n bytes at ptr are inside guest memory.
func writable(m api.Module, ptr, n uint32) bool {
	return uint64(ptr)+uint64(n) <= uint64(m.Memory().Size())
}

// copyOut hands data to the guest as the ABI prescribes (doc §4.7): empty
// data writes (0, 0) without allocating; otherwise the guest allocator
// provides the block, the bytes are copied, then the pointer and the size
// are written.
func (vm *VM) copyOut(m api.Module, data []byte, ptrPtr, sizePtr uint32) Status {
	return vm.writeOut(m, uint32(len(data)), ptrPtr, sizePtr, func(dst []byte) { copy(dst, data) })
}

// writeOut is copyOut for data produced straight into guest memory by fill.
func (vm *VM) writeOut(m api.Module, n uint32, ptrPtr, sizePtr uint32, fill func(dst []byte)) Status {
	if !writable(m, ptrPtr, 4) || !writable(m, sizePtr, 4) {
		return StatusInvalidMemoryAccess
	}
	if n == 0 {
		writeU32(m, ptrPtr, 0)
		writeU32(m, sizePtr, 0)
		return StatusOK
	}
	p := vm.allocate(n)
	if p == 0 {
		return StatusInvalidMemoryAccess
	}
	dst, ok := m.Memory().Read(p, n)
	if !ok {
		return StatusInvalidMemoryAccess
	}
	fill(dst)
	if !writeU32(m, ptrPtr, p) || !writeU32(m, sizePtr, n) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// Encode helpers for property values (doc §4.6).

// EncodeInt64 encodes an int property: 8 bytes little-endian.
func EncodeInt64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

// EncodeUint64 encodes a uint property: 8 bytes little-endian.
func EncodeUint64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// EncodeBool encodes a bool property: one byte.
func EncodeBool(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}
