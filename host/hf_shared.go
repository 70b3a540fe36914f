package host

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// proxy_get_shared_data(key_ptr, key_size, out_value_ptr_ptr, out_value_size, out_cas) -> status
//
// Copies the value stored under key in this VM's vm_id partition, and its
// CAS (u32). A stored empty value writes (0, 0).
//
// Returns: OK; NOT_FOUND for a missing key; INVALID_MEMORY_ACCESS.
func proxyGetSharedData(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	key, ok := read(m, uint32(stack[0]), uint32(stack[1]))
	if !ok || !writable(m, uint32(stack[4]), 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	var cas uint32
	found := vm.rt.shared.get(vm.cfg.ID, key, func(data []byte, c uint32) {
		vm.scratch = append(vm.scratch[:0], data...)
		cas = c
	})
	if !found {
		stack[0] = uint64(StatusNotFound)
		return
	}
	st := vm.copyOut(m, vm.scratch, uint32(stack[2]), uint32(stack[3]))
	if st == StatusOK && !writeU32(m, uint32(stack[4]), cas) {
		st = StatusInvalidMemoryAccess
	}
	stack[0] = uint64(st)
}

// proxy_set_shared_data(key_ptr, key_size, value_ptr, value_size, cas) -> status
//
// Stores value under key. cas 0 writes unconditionally; otherwise an
// existing key must still have that CAS. A missing key is written whatever
// cas says. Every write assigns a new CAS from one process-wide counter.
//
// Returns: OK; CAS_MISMATCH; INVALID_MEMORY_ACCESS.
func proxySetSharedData(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	key, ok1 := read(m, uint32(stack[0]), uint32(stack[1]))
	value, ok2 := read(m, uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	stack[0] = uint64(vm.rt.shared.set(vm.cfg.ID, key, value, uint32(stack[4])))
}

// proxy_register_shared_queue(name_ptr, name_size, out_queue_id) -> status
//
// Creates or opens the queue (this VM's vm_id, name) and makes the calling
// root context the one notified (proxy_on_queue_ready) of new items; the
// last registration wins.
//
// Returns: OK; INVALID_MEMORY_ACCESS.
func proxyRegisterSharedQueue(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	name, ok := read(m, uint32(stack[0]), uint32(stack[1]))
	if !ok || !writable(m, uint32(stack[2]), 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	id := vm.rt.queues.register(vm.cfg.ID, name, vm.active().root)
	writeU32(m, uint32(stack[2]), id)
	stack[0] = uint64(StatusOK)
}

// proxy_resolve_shared_queue(vm_id_ptr, vm_id_size, name_ptr, name_size, out_queue_id) -> status
//
// Looks up the queue (vm_id, name); an empty vm_id means this VM's.
//
// Returns: OK; NOT_FOUND when not registered; INVALID_MEMORY_ACCESS.
func proxyResolveSharedQueue(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	vmID, ok1 := read(m, uint32(stack[0]), uint32(stack[1]))
	name, ok2 := read(m, uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 || !writable(m, uint32(stack[4]), 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	id := vm.cfg.ID
	if len(vmID) > 0 {
		id = string(vmID)
	}
	qid, found := vm.rt.queues.resolve(id, name)
	if !found {
		stack[0] = uint64(StatusNotFound)
		return
	}
	writeU32(m, uint32(stack[4]), qid)
	stack[0] = uint64(StatusOK)
}

// proxy_enqueue_shared_queue(queue_id, value_ptr, value_size) -> status
//
// Appends an item and schedules one proxy_on_queue_ready on the registered
// root context, asynchronously (never inside this call).
//
// Returns: OK; NOT_FOUND for an unknown queue; INVALID_MEMORY_ACCESS.
func proxyEnqueueSharedQueue(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	value, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	stack[0] = uint64(vm.rt.queues.enqueue(uint32(stack[0]), value))
}

// proxy_dequeue_shared_queue(queue_id, out_value_ptr_ptr, out_value_size) -> status
//
// Pops the front item (FIFO) into the guest.
//
// Returns: OK; EMPTY when nothing is queued; NOT_FOUND for an unknown
// queue; INVALID_MEMORY_ACCESS.
func proxyDequeueSharedQueue(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	ptrPtr, sizePtr := uint32(stack[1]), uint32(stack[2])
	if !writable(m, ptrPtr, 4) || !writable(m, sizePtr, 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	st := vm.rt.queues.dequeue(uint32(stack[0]), func(item []byte) { vm.scratch = append(vm.scratch[:0], item...) })
	if st == StatusOK {
		st = vm.copyOut(m, vm.scratch, ptrPtr, sizePtr)
	}
	stack[0] = uint64(st)
}
