package proxywasm

import (
	"unsafe"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
)

// Shared data and shared queues. Both are shared by every VM with the same
// vm_id in the process (all worker threads), not only by this VM.

// GetSharedData returns the value stored under key and its CAS token. Pass
// the token to SetSharedData to update the value only if nobody changed it
// meanwhile. It calls proxy_get_shared_data; a missing key gives
// types.ErrorStatusNotFound.
func GetSharedData(key string) (value []byte, cas uint32, err error) {
	var raw *byte
	var size uint32
	st := abi.ProxyGetSharedData(stringPtr(key), uint32(len(key)), unsafe.Pointer(&raw), &size, &cas)
	if err := statusToError(st); err != nil {
		return nil, 0, err
	}
	return unsafe.Slice(raw, size), cas, nil
}

// SetSharedData stores data under key. With cas 0 the write is
// unconditional; otherwise it only succeeds if the key's CAS token still
// equals cas, and types.ErrorStatusCasMismatch means another VM wrote first:
// read again and retry. (A key that does not exist yet is always written.)
// It calls proxy_set_shared_data.
func SetSharedData(key string, data []byte, cas uint32) error {
	return statusToError(abi.ProxySetSharedData(stringPtr(key), uint32(len(key)),
		bytesPtr(data), uint32(len(data)), cas))
}

// RegisterSharedQueue creates or opens the queue name of this vm_id and makes
// the calling plugin context the one whose OnQueueReady is called for each
// enqueued item (the last registration wins). It returns the queue id for
// EnqueueSharedQueue and DequeueSharedQueue. It calls
// proxy_register_shared_queue.
func RegisterSharedQueue(name string) (queueID uint32, err error) {
	st := abi.ProxyRegisterSharedQueue(stringPtr(name), uint32(len(name)), &queueID)
	if err := statusToError(st); err != nil {
		return 0, err
	}
	return queueID, nil
}

// ResolveSharedQueue returns the id of the queue queueName registered by a
// VM with vm_id vmID ("" means this VM's vm_id). It calls
// proxy_resolve_shared_queue; an unregistered queue gives
// types.ErrorStatusNotFound.
func ResolveSharedQueue(vmID, queueName string) (queueID uint32, err error) {
	st := abi.ProxyResolveSharedQueue(stringPtr(vmID), uint32(len(vmID)),
		stringPtr(queueName), uint32(len(queueName)), &queueID)
	if err := statusToError(st); err != nil {
		return 0, err
	}
	return queueID, nil
}

// EnqueueSharedQueue appends data to the queue. It calls
// proxy_enqueue_shared_queue; an unknown queue gives
// types.ErrorStatusNotFound.
func EnqueueSharedQueue(queueID uint32, data []byte) error {
	return statusToError(abi.ProxyEnqueueSharedQueue(queueID, bytesPtr(data), uint32(len(data))))
}

// DequeueSharedQueue removes and returns the oldest item of the queue. It
// calls proxy_dequeue_shared_queue; an empty queue gives
// types.ErrorStatusEmpty, an unknown one types.ErrorStatusNotFound.
func DequeueSharedQueue(queueID uint32) ([]byte, error) {
	var raw *byte
	var size uint32
	if err := statusToError(abi.ProxyDequeueSharedQueue(queueID, unsafe.Pointer(&raw), &size)); err != nil {
		return nil, err
	}
	return unsafe.Slice(raw, size), nil
}
