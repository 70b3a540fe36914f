package host

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// headerMap resolves a map type for the active context (doc §3.5): the map
// (nil when not available now) and whether the guest may mutate it. During
// the last body callback a missing trailers map is created through the
// handler when create is set.
func (vm *VM) headerMap(mt MapType, create bool) (h *Headers, mutable bool) {
	c := vm.active()
	switch mt {
	case MapRequestHeaders, MapRequestTrailers, MapResponseHeaders, MapResponseTrailers:
		s := c.http
		if s == nil {
			return nil, false
		}
		h, mutable = s.mapFor(mt)
		if h == nil && create && !s.inLog && (mt == MapRequestTrailers || mt == MapResponseTrailers) {
			dir := StreamRequest
			if mt == MapResponseTrailers {
				dir = StreamResponse
			}
			if s.lastBody[dir] && s.handler != nil {
				h = s.handler.AddTrailers(dir)
				s.maps[mt] = h
				if mt == MapResponseTrailers {
					s.logMaps[mt] = h
				}
			}
		}
		return h, mutable && h != nil
	case MapGRPCInitialMetadata, MapGRPCTrailingMetadata:
		if vm.scope.grpcMetadataMap == mt {
			return vm.scope.grpcMetadata, false
		}
	case MapHTTPCallResponseHeaders:
		if r := vm.scope.httpResponse; r != nil {
			return r.Headers, false
		}
	case MapHTTPCallResponseTrailers:
		if r := vm.scope.httpResponse; r != nil {
			if r.Trailers == nil {
				return &emptyHeaders, false
			}
			return r.Trailers, false
		}
	}
	return nil, false
}

var emptyHeaders Headers

// mapAndBytes reads the arguments most map functions start with: the map
// type in stack[0] (BAD_ARGUMENT above 7, checked first) and a guest range
// in stack[1], stack[2] (INVALID_MEMORY_ACCESS when out of bounds).
func mapAndBytes(m api.Module, stack []uint64) (MapType, []byte, Status) {
	mt := MapType(uint32(stack[0]))
	if mt > maxMapType {
		return mt, nil, StatusBadArgument
	}
	b, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		return mt, nil, StatusInvalidMemoryAccess
	}
	return mt, b, StatusOK
}

func (vm *VM) inLog() bool {
	s := vm.active().http
	return s != nil && s.inLog
}

// proxy_get_header_map_value(map, key_ptr, key_size, out_ptr_ptr, out_size) -> status
//
// Copies the first value of key (case-insensitive) into the guest.
//
// Returns: OK; NOT_FOUND for a missing key (ABI 0.1.0: OK with an empty
// value), or for a map missing in proxy_on_log; BAD_ARGUMENT when map > 7
// or the map is not available now (e.g. request headers after the request
// continued); INVALID_MEMORY_ACCESS.
func proxyGetHeaderMapValue(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt, key, st := mapAndBytes(m, stack)
	if st != StatusOK {
		stack[0] = uint64(st)
		return
	}
	ptrPtr, sizePtr := uint32(stack[3]), uint32(stack[4])
	v010 := vm.mod.info.abi == ABI010
	h, _ := vm.headerMap(mt, false)
	if h == nil {
		switch {
		case vm.inLog() && v010:
			stack[0] = uint64(vm.copyOut(m, nil, ptrPtr, sizePtr))
		case vm.inLog():
			stack[0] = uint64(StatusNotFound)
		default:
			stack[0] = uint64(StatusBadArgument)
		}
		return
	}
	i := index(h, key)
	if i < 0 {
		if v010 {
			stack[0] = uint64(vm.copyOut(m, nil, ptrPtr, sizePtr))
		} else {
			stack[0] = uint64(StatusNotFound)
		}
		return
	}
	stack[0] = uint64(vm.copyOut(m, h.fields[i].value, ptrPtr, sizePtr))
}

// proxy_get_header_map_pairs(map, out_ptr_ptr, out_size) -> status
//
// Copies the whole map into the guest in the pairs serialization (doc §4.4),
// pseudo-headers first, names lower-case. An empty or unavailable map
// writes (0, 0).
//
// Returns: OK; BAD_ARGUMENT when map > 7; INVALID_MEMORY_ACCESS.
func proxyGetHeaderMapPairs(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt := MapType(uint32(stack[0]))
	if mt > maxMapType {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	h, _ := vm.headerMap(mt, false)
	n := 0
	if h != nil && h.Len() > 0 {
		n = pairsSize(h)
	}
	stack[0] = uint64(vm.writeOut(m, uint32(n), uint32(stack[1]), uint32(stack[2]), func(dst []byte) { encodePairs(dst, h) }))
}

// proxy_set_header_map_pairs(map, pairs_ptr, pairs_size) -> status
//
// Replaces every entry of the map with the serialized pairs, in order. A
// malformed serialization decodes as an empty map (clearing the headers),
// as in the reference host.
//
// Returns: OK; BAD_ARGUMENT when map > 7 or the map is not mutable now;
// INVALID_MEMORY_ACCESS.
func proxySetHeaderMapPairs(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt, b, st := mapAndBytes(m, stack)
	if st != StatusOK {
		stack[0] = uint64(st)
		return
	}
	h, mutable := vm.headerMap(mt, true)
	if !mutable {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	h.Reset()
	decodePairsInto(h, b)
	stack[0] = uint64(StatusOK)
}

// proxy_get_header_map_size(map, out_size) -> status
//
// Writes the map's total bytes of names and values (Envoy's byteSize), not
// its number of entries.
//
// Returns: OK; BAD_ARGUMENT when map > 7 or the map is not mutable now
// (Envoy answers only for mutable maps); INVALID_MEMORY_ACCESS.
func proxyGetHeaderMapSize(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt := MapType(uint32(stack[0]))
	if mt > maxMapType {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	h, mutable := vm.headerMap(mt, false)
	if !mutable {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	stack[0] = uint64(statusIf(writeU32(m, uint32(stack[1]), uint32(h.ByteSize()))))
}

type mapOp uint8

const (
	opAdd mapOp = iota
	opReplace
	opRemove
)

func mapMutation(ctx context.Context, m api.Module, stack []uint64, op mapOp) {
	vm := vmFrom(ctx)
	mt, key, st := mapAndBytes(m, stack)
	if st != StatusOK {
		stack[0] = uint64(st)
		return
	}
	var value []byte
	if op != opRemove {
		var ok bool
		if value, ok = read(m, uint32(stack[3]), uint32(stack[4])); !ok {
			stack[0] = uint64(StatusInvalidMemoryAccess)
			return
		}
	}
	h, mutable := vm.headerMap(mt, true)
	if !mutable {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	switch op {
	case opAdd:
		add(h, key, value)
	case opReplace:
		set(h, key, value)
	case opRemove:
		del(h, key)
	}
	stack[0] = uint64(StatusOK)
}

// proxy_add_header_map_value(map, key_ptr, key_size, value_ptr, value_size) -> status
//
// Appends an entry (the key lower-cased); an existing key gets another entry.
//
// Returns: OK; BAD_ARGUMENT when map > 7 or the map is not mutable now;
// INVALID_MEMORY_ACCESS.
func proxyAddHeaderMapValue(ctx context.Context, m api.Module, stack []uint64) {
	mapMutation(ctx, m, stack, opAdd)
}

// proxy_replace_header_map_value(map, key_ptr, key_size, value_ptr, value_size) -> status
//
// Sets key to one value, replacing every existing entry, or adds it.
//
// Returns: OK; BAD_ARGUMENT when map > 7 or the map is not mutable now;
// INVALID_MEMORY_ACCESS.
func proxyReplaceHeaderMapValue(ctx context.Context, m api.Module, stack []uint64) {
	mapMutation(ctx, m, stack, opReplace)
}

// proxy_remove_header_map_value(map, key_ptr, key_size) -> status
//
// Removes every entry of key; OK when there was none.
//
// Returns: OK; BAD_ARGUMENT when map > 7 or the map is not mutable now;
// INVALID_MEMORY_ACCESS.
func proxyRemoveHeaderMapValue(ctx context.Context, m api.Module, stack []uint64) {
	mapMutation(ctx, m, stack, opRemove)
}
