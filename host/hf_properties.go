package host

import (
	"bytes"
	"context"

	"github.com/tetratelabs/wazero/api"
)

// property resolves a property path for the active context: the plugin_*
// values the host knows, then the stream's provider, then the runtime's,
// then the filter state proxy_set_property wrote.
func (vm *VM) property(raw []byte) ([]byte, bool) {
	raw = bytes.TrimSuffix(raw, []byte{0})
	c := vm.active()
	switch string(raw) {
	case "plugin_root_id":
		if c.root == nil {
			return nil, true
		}
		return []byte(c.root.cfg.RootID), true
	case "plugin_name":
		if c.root == nil {
			return nil, true
		}
		return []byte(c.root.cfg.Name), true
	case "plugin_vm_id":
		return []byte(vm.cfg.ID), true
	}
	var props PropertyProvider
	var state *FilterState
	switch {
	case c.http != nil:
		props, state = c.http.props, c.http.state
	case c.tcp != nil:
		props, state = c.tcp.props, c.tcp.state
	}
	if props != nil || vm.rt.cfg.Properties != nil {
		path := splitPath(raw)
		if props != nil {
			if v, ok := props.Property(path); ok {
				return v, true
			}
		}
		if p := vm.rt.cfg.Properties; p != nil {
			if v, ok := p.Property(path); ok {
				return v, true
			}
		}
	}
	if state != nil {
		return state.Get(string(raw))
	}
	return nil, false
}

func splitPath(raw []byte) []string {
	parts := bytes.Split(raw, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// proxy_get_property(path_ptr, path_size, out_value_ptr_ptr, out_value_size) -> status
//
// Copies the value of a property (path segments joined by NUL; a trailing
// NUL is accepted). Values use the encodings of doc §4.6. plugin_name,
// plugin_root_id and plugin_vm_id are answered in every context.
//
// Returns: OK (an empty value writes (0, 0)); NOT_FOUND for an unknown path
// or a value that does not exist in this context; INVALID_MEMORY_ACCESS.
func proxyGetProperty(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	path, ok := read(m, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	v, found := vm.property(path)
	if !found {
		stack[0] = uint64(StatusNotFound)
		return
	}
	stack[0] = uint64(vm.copyOut(m, v, uint32(stack[2]), uint32(stack[3])))
}

// proxy_set_property(path_ptr, path_size, value_ptr, value_size) -> status
//
// Stores a value in the stream's filter state under the path, where this
// and other plugins on the stream read it with proxy_get_property.
//
// Returns: OK; NOT_FOUND outside a stream context; INVALID_MEMORY_ACCESS.
func proxySetProperty(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	path, ok1 := read(m, uint32(stack[0]), uint32(stack[1]))
	value, ok2 := read(m, uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	c := vm.active()
	var state **FilterState
	switch {
	case c.http != nil:
		state = &c.http.state
	case c.tcp != nil:
		state = &c.tcp.state
	default:
		stack[0] = uint64(StatusNotFound)
		return
	}
	if *state == nil {
		*state = &FilterState{}
	}
	(*state).Set(string(bytes.TrimSuffix(path, []byte{0})), append([]byte(nil), value...))
	stack[0] = uint64(StatusOK)
}
