package host

import "sync"

// sharedData is the process-wide key/value store of proxy_get_shared_data
// and proxy_set_shared_data, partitioned by vm_id (doc §6.4).
type sharedData struct {
	mu    sync.Mutex
	byVM  map[string]map[string]*sharedValue
	nextC uint32
}

type sharedValue struct {
	data []byte
	cas  uint32
}

func (d *sharedData) init() {
	d.byVM = map[string]map[string]*sharedValue{}
	d.nextC = 1
}

// get calls fn with the value and its CAS while holding the lock (so the
// value is copied into the guest without a Go allocation).
func (d *sharedData) get(vmID string, key []byte, fn func(data []byte, cas uint32)) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.byVM[vmID][string(key)]
	if !ok {
		return false
	}
	fn(v.data, v.cas)
	return true
}

// set stores value. cas 0 writes unconditionally; otherwise an existing key
// must have that CAS. A missing key is always written.
func (d *sharedData) set(vmID string, key, value []byte, cas uint32) Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	part := d.byVM[vmID]
	if part == nil {
		part = map[string]*sharedValue{}
		d.byVM[vmID] = part
	}
	v, ok := part[string(key)]
	if ok && cas != 0 && cas != v.cas {
		return StatusCASMismatch
	}
	if !ok {
		v = &sharedValue{}
		part[string(key)] = v
	}
	v.data = append(v.data[:0:0], value...)
	v.cas = d.nextC
	d.nextC++
	if d.nextC == 0 {
		d.nextC = 1
	}
	return StatusOK
}

func (d *sharedData) dropVMID(vmID string) {
	d.mu.Lock()
	delete(d.byVM, vmID)
	d.mu.Unlock()
}

// SharedData returns a copy of the value stored under key for vm_id, for
// embedders and tests.
func (r *Runtime) SharedData(vmID, key string) (value []byte, cas uint32, ok bool) {
	ok = r.shared.get(vmID, []byte(key), func(d []byte, c uint32) {
		value, cas = append([]byte(nil), d...), c
	})
	return value, cas, ok
}

// sharedQueues are the process-wide queues keyed by (vm_id, name) (doc
// §6.5). Only the last registrant is notified, once per enqueued item,
// asynchronously.
type sharedQueues struct {
	mu     sync.Mutex
	byName map[queueKey]*sharedQueue
	byID   map[uint32]*sharedQueue
	nextID uint32
}

type queueKey struct{ vmID, name string }

type sharedQueue struct {
	id     uint32
	key    queueKey
	items  [][]byte
	target *Root // notified on enqueue
}

func (q *sharedQueues) init() {
	q.byName = map[queueKey]*sharedQueue{}
	q.byID = map[uint32]*sharedQueue{}
	q.nextID = 1
}

func (q *sharedQueues) register(vmID string, name []byte, root *Root) uint32 {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := queueKey{vmID, string(name)}
	sq := q.byName[k]
	if sq == nil {
		sq = &sharedQueue{id: q.nextID, key: k}
		q.nextID++
		q.byName[k] = sq
		q.byID[sq.id] = sq
	}
	sq.target = root
	return sq.id
}

func (q *sharedQueues) resolve(vmID string, name []byte) (uint32, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	sq := q.byName[queueKey{vmID, string(name)}]
	if sq == nil {
		return 0, false
	}
	return sq.id, true
}

func (q *sharedQueues) enqueue(id uint32, value []byte) Status {
	q.mu.Lock()
	sq := q.byID[id]
	if sq == nil {
		q.mu.Unlock()
		return StatusNotFound
	}
	sq.items = append(sq.items, append([]byte(nil), value...))
	target := sq.target
	q.mu.Unlock()
	if target != nil {
		target.vm.post(func() { target.deliverQueueReady(id) })
	}
	return StatusOK
}

func (q *sharedQueues) dequeue(id uint32, fn func([]byte)) Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	sq := q.byID[id]
	if sq == nil {
		return StatusNotFound
	}
	if len(sq.items) == 0 {
		return StatusEmpty
	}
	item := sq.items[0]
	sq.items[0] = nil
	sq.items = sq.items[1:]
	fn(item)
	return StatusOK
}

func (q *sharedQueues) dropVMID(vmID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, sq := range q.byName {
		if k.vmID == vmID {
			delete(q.byName, k)
			delete(q.byID, sq.id)
		}
	}
}

// forgetVM stops notifying roots of a closed VM.
func (q *sharedQueues) forgetVM(vm *VM) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, sq := range q.byName {
		if sq.target != nil && sq.target.vm == vm {
			sq.target = nil
		}
	}
}
