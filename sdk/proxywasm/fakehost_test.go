//go:build !wasip1

package proxywasm

import (
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// fakeHost implements the raw ABI in Go, roughly as Envoy behaves, and
// records what the SDK asked for. Results are written through the pointers
// the way a real host writes guest memory: (nil, 0) for empty values.
type fakeHost struct {
	abi.UnimplementedHost

	logs       []string // "level: message"
	effective  []uint32
	continued  []types.StreamType
	closed     []types.StreamType
	tickPeriod uint32
	logLevel   uint32
	doneCalls  int

	maps    map[types.MapType][][2]string
	buffers map[types.BufferType][]byte

	shared  map[string]sharedEntry
	nextCas uint32

	queues map[uint32][][]byte
	names  map[string]uint32

	metrics    map[uint32]uint64
	nextMetric uint32

	properties map[string][]byte

	httpCalls  []fakeHTTPCall
	grpcCalls  []fakeGrpcCall
	nextCallID uint32

	localReplies []fakeReply

	statusCode    uint32
	statusMessage string

	foreign map[string]func([]byte) ([]byte, abi.Status)
}

type sharedEntry struct {
	value []byte
	cas   uint32
}

type fakeHTTPCall struct {
	cluster  string
	headers  [][2]string
	body     string
	trailers []byte
	timeout  uint32
}

type fakeGrpcCall struct {
	service, serviceName, method string
	metadata                     [][2]string
	message                      string
	stream                       bool
}

type fakeReply struct {
	status  uint32
	details string
	headers [][2]string
	body    string
	grpc    int32
}

// newFakeHost installs a fake host and a fresh VM state for one test.
func newFakeHost(t *testing.T) *fakeHost {
	t.Helper()
	h := &fakeHost{
		maps:       map[types.MapType][][2]string{},
		buffers:    map[types.BufferType][]byte{},
		shared:     map[string]sharedEntry{},
		nextCas:    1,
		queues:     map[uint32][][]byte{},
		names:      map[string]uint32{},
		metrics:    map[uint32]uint64{},
		properties: map[string][]byte{},
		foreign:    map[string]func([]byte) ([]byte, abi.Status){},
	}
	t.Cleanup(abi.SetHost(h))
	prev := vm
	vm = newVMState()
	t.Cleanup(func() { vm = prev })
	return h
}

func read(p *byte, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return slices.Clone(unsafe.Slice(p, n))
}

func readString(p *byte, n uint32) string { return string(read(p, n)) }

// write hands b to the guest: a fresh copy (the "allocation"), or (nil, 0).
func write(retData unsafe.Pointer, retSize *uint32, b []byte) {
	if len(b) == 0 {
		*(**byte)(retData) = nil
		*retSize = 0
		return
	}
	c := slices.Clone(b)
	*(**byte)(retData) = &c[0]
	*retSize = uint32(len(c))
}

func (h *fakeHost) hasLog(sub string) bool {
	for _, l := range h.logs {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func (h *fakeHost) ProxyLog(level uint32, msg *byte, n uint32) abi.Status {
	if level > 5 {
		return abi.StatusBadArgument
	}
	h.logs = append(h.logs, types.LogLevel(level).String()+": "+readString(msg, n))
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetLogLevel(ret *uint32) abi.Status {
	*ret = h.logLevel
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetCurrentTimeNanoseconds(ret *uint64) abi.Status {
	*ret = 1_700_000_000_000_000_000
	return abi.StatusOK
}

func (h *fakeHost) ProxySetTickPeriodMilliseconds(p uint32) abi.Status {
	h.tickPeriod = p
	return abi.StatusOK
}

func (h *fakeHost) ProxySetEffectiveContext(id uint32) abi.Status {
	h.effective = append(h.effective, id)
	return abi.StatusOK
}

func (h *fakeHost) ProxyDone() abi.Status {
	h.doneCalls++
	return abi.StatusNotFound
}

func (h *fakeHost) ProxyCallForeignFunction(name *byte, nameSize uint32, args *byte, argsSize uint32,
	ret unsafe.Pointer, retSize *uint32,
) abi.Status {
	f, ok := h.foreign[readString(name, nameSize)]
	if !ok {
		return abi.StatusNotFound
	}
	out, st := f(read(args, argsSize))
	write(ret, retSize, out)
	return st
}

func (h *fakeHost) ProxyGetBufferBytes(bt, start, maxSize uint32, ret unsafe.Pointer, retSize *uint32) abi.Status {
	if bt > 8 {
		return abi.StatusBadArgument
	}
	if uint64(start)+uint64(maxSize) > 1<<32-1 {
		return abi.StatusBadArgument
	}
	b := h.buffers[types.BufferType(bt)]
	start = min(start, uint32(len(b)))
	end := min(uint64(start)+uint64(maxSize), uint64(len(b)))
	write(ret, retSize, b[start:end])
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetBufferStatus(bt uint32, size, flags *uint32) abi.Status {
	*size = uint32(len(h.buffers[types.BufferType(bt)]))
	*flags = 0
	return abi.StatusOK
}

// ProxySetBufferBytes follows Envoy: start 0 drains size bytes and
// prepends, start >= length appends, anything else is BAD_ARGUMENT.
func (h *fakeHost) ProxySetBufferBytes(bt, start, size uint32, data *byte, n uint32) abi.Status {
	b := h.buffers[types.BufferType(bt)]
	d := read(data, n)
	switch {
	case start == 0:
		drop := min(int(size), len(b))
		h.buffers[types.BufferType(bt)] = append(d, b[drop:]...)
	case int(start) >= len(b):
		h.buffers[types.BufferType(bt)] = append(b, d...)
	default:
		return abi.StatusBadArgument
	}
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetHeaderMapSize(mt uint32, ret *uint32) abi.Status {
	n := 0
	for _, p := range h.maps[types.MapType(mt)] {
		n += len(p[0]) + len(p[1])
	}
	*ret = uint32(n)
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetHeaderMapPairs(mt uint32, ret unsafe.Pointer, retSize *uint32) abi.Status {
	m := h.maps[types.MapType(mt)]
	if len(m) == 0 {
		write(ret, retSize, nil)
		return abi.StatusOK
	}
	write(ret, retSize, serializeMap(m))
	return abi.StatusOK
}

func (h *fakeHost) ProxySetHeaderMapPairs(mt uint32, data *byte, n uint32) abi.Status {
	pairs, err := deserializeMap(read(data, n))
	if err != nil {
		pairs = nil // the reference host silently decodes garbage as empty
	}
	h.maps[types.MapType(mt)] = pairs
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetHeaderMapValue(mt uint32, key *byte, keySize uint32, ret unsafe.Pointer, retSize *uint32) abi.Status {
	k := strings.ToLower(readString(key, keySize))
	for _, p := range h.maps[types.MapType(mt)] {
		if p[0] == k {
			write(ret, retSize, []byte(p[1]))
			return abi.StatusOK
		}
	}
	return abi.StatusNotFound
}

func (h *fakeHost) ProxyAddHeaderMapValue(mt uint32, key *byte, keySize uint32, val *byte, valSize uint32) abi.Status {
	k := strings.ToLower(readString(key, keySize))
	h.maps[types.MapType(mt)] = append(h.maps[types.MapType(mt)], [2]string{k, readString(val, valSize)})
	return abi.StatusOK
}

func (h *fakeHost) ProxyReplaceHeaderMapValue(mt uint32, key *byte, keySize uint32, val *byte, valSize uint32) abi.Status {
	h.ProxyRemoveHeaderMapValue(mt, key, keySize)
	return h.ProxyAddHeaderMapValue(mt, key, keySize, val, valSize)
}

func (h *fakeHost) ProxyRemoveHeaderMapValue(mt uint32, key *byte, keySize uint32) abi.Status {
	k := strings.ToLower(readString(key, keySize))
	h.maps[types.MapType(mt)] = slices.DeleteFunc(h.maps[types.MapType(mt)], func(p [2]string) bool { return p[0] == k })
	return abi.StatusOK
}

func (h *fakeHost) ProxyContinueStream(st uint32) abi.Status {
	if st > 3 {
		return abi.StatusBadArgument
	}
	if types.StreamType(st) == types.StreamTypeUpstream {
		return abi.StatusUnimplemented
	}
	h.continued = append(h.continued, types.StreamType(st))
	return abi.StatusOK
}

func (h *fakeHost) ProxyCloseStream(st uint32) abi.Status {
	h.closed = append(h.closed, types.StreamType(st))
	return abi.StatusOK
}

func (h *fakeHost) ProxySendLocalResponse(code uint32, details *byte, detailsSize uint32, body *byte, bodySize uint32,
	headers *byte, headersSize uint32, grpc int32,
) abi.Status {
	hs, _ := deserializeMap(read(headers, headersSize))
	h.localReplies = append(h.localReplies, fakeReply{code, readString(details, detailsSize), hs, readString(body, bodySize), grpc})
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetStatus(code *uint32, msg unsafe.Pointer, msgSize *uint32) abi.Status {
	*code = h.statusCode
	write(msg, msgSize, []byte(h.statusMessage))
	return abi.StatusOK
}

func (h *fakeHost) callID() uint32 {
	h.nextCallID += 4
	return h.nextCallID
}

func (h *fakeHost) ProxyHttpCall(up *byte, upSize uint32, hd *byte, hdSize uint32, body *byte, bodySize uint32,
	tr *byte, trSize uint32, timeout uint32, ret *uint32,
) abi.Status {
	*ret = 0
	hs, _ := deserializeMap(read(hd, hdSize))
	cluster := readString(up, upSize)
	if cluster == "unknown" {
		return abi.StatusBadArgument
	}
	h.httpCalls = append(h.httpCalls, fakeHTTPCall{cluster, hs, readString(body, bodySize), read(tr, trSize), timeout})
	*ret = h.callID()
	return abi.StatusOK
}

func (h *fakeHost) ProxyGrpcCall(svc *byte, svcSize uint32, name *byte, nameSize uint32, method *byte, methodSize uint32,
	md *byte, mdSize uint32, msg *byte, msgSize uint32, timeout uint32, ret *uint32,
) abi.Status {
	mds, _ := deserializeMap(read(md, mdSize))
	h.grpcCalls = append(h.grpcCalls, fakeGrpcCall{readString(svc, svcSize), readString(name, nameSize),
		readString(method, methodSize), mds, readString(msg, msgSize), false})
	*ret = h.callID() + 1
	return abi.StatusOK
}

func (h *fakeHost) ProxyGrpcStream(svc *byte, svcSize uint32, name *byte, nameSize uint32, method *byte, methodSize uint32,
	md *byte, mdSize uint32, ret *uint32,
) abi.Status {
	mds, _ := deserializeMap(read(md, mdSize))
	h.grpcCalls = append(h.grpcCalls, fakeGrpcCall{readString(svc, svcSize), readString(name, nameSize),
		readString(method, methodSize), mds, "", true})
	*ret = h.callID() + 2
	return abi.StatusOK
}

func (h *fakeHost) ProxyGrpcSend(id uint32, msg *byte, msgSize uint32, eos uint32) abi.Status {
	return abi.StatusOK
}

func (h *fakeHost) ProxyGrpcCancel(id uint32) abi.Status { return abi.StatusOK }

func (h *fakeHost) ProxyGrpcClose(id uint32) abi.Status { return abi.StatusOK }

func (h *fakeHost) ProxyGetSharedData(key *byte, keySize uint32, ret unsafe.Pointer, retSize *uint32, cas *uint32) abi.Status {
	e, ok := h.shared[readString(key, keySize)]
	if !ok {
		return abi.StatusNotFound
	}
	write(ret, retSize, e.value)
	*cas = e.cas
	return abi.StatusOK
}

func (h *fakeHost) ProxySetSharedData(key *byte, keySize uint32, val *byte, valSize uint32, cas uint32) abi.Status {
	k := readString(key, keySize)
	if e, ok := h.shared[k]; ok && cas != 0 && cas != e.cas {
		return abi.StatusCasMismatch
	}
	h.shared[k] = sharedEntry{read(val, valSize), h.nextCas}
	h.nextCas++
	return abi.StatusOK
}

func (h *fakeHost) ProxyRegisterSharedQueue(name *byte, nameSize uint32, ret *uint32) abi.Status {
	n := readString(name, nameSize)
	id, ok := h.names[n]
	if !ok {
		id = uint32(len(h.names) + 1)
		h.names[n] = id
	}
	*ret = id
	return abi.StatusOK
}

func (h *fakeHost) ProxyResolveSharedQueue(vmID *byte, vmIDSize uint32, name *byte, nameSize uint32, ret *uint32) abi.Status {
	id, ok := h.names[readString(name, nameSize)]
	if !ok {
		return abi.StatusNotFound
	}
	*ret = id
	return abi.StatusOK
}

func (h *fakeHost) ProxyEnqueueSharedQueue(id uint32, val *byte, valSize uint32) abi.Status {
	if id == 0 || id > uint32(len(h.names)) {
		return abi.StatusNotFound
	}
	h.queues[id] = append(h.queues[id], read(val, valSize))
	return abi.StatusOK
}

func (h *fakeHost) ProxyDequeueSharedQueue(id uint32, ret unsafe.Pointer, retSize *uint32) abi.Status {
	if id == 0 || id > uint32(len(h.names)) {
		return abi.StatusNotFound
	}
	q := h.queues[id]
	if len(q) == 0 {
		return abi.StatusEmpty
	}
	write(ret, retSize, q[0])
	h.queues[id] = q[1:]
	return abi.StatusOK
}

// Metric ids carry the type in their low two bits, as in the reference host.
func (h *fakeHost) ProxyDefineMetric(mt uint32, name *byte, nameSize uint32, ret *uint32) abi.Status {
	if mt > 2 {
		return abi.StatusBadArgument
	}
	h.nextMetric += 4
	*ret = h.nextMetric | mt
	h.metrics[*ret] = 0
	return abi.StatusOK
}

func (h *fakeHost) ProxyIncrementMetric(id uint32, delta int64) abi.Status {
	v, ok := h.metrics[id]
	switch {
	case !ok:
		return abi.StatusNotFound
	case id&3 == 2, id&3 == 0 && delta <= 0:
		return abi.StatusBadArgument
	}
	h.metrics[id] = uint64(int64(v) + delta)
	return abi.StatusOK
}

func (h *fakeHost) ProxyRecordMetric(id uint32, value uint64) abi.Status {
	if _, ok := h.metrics[id]; !ok {
		return abi.StatusNotFound
	}
	switch id & 3 {
	case 0:
		h.metrics[id] += value
	default:
		h.metrics[id] = value
	}
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetMetric(id uint32, ret *uint64) abi.Status {
	v, ok := h.metrics[id]
	switch {
	case !ok:
		return abi.StatusNotFound
	case id&3 == 2:
		return abi.StatusBadArgument
	}
	*ret = v
	return abi.StatusOK
}

func (h *fakeHost) ProxyGetProperty(path *byte, pathSize uint32, ret unsafe.Pointer, retSize *uint32) abi.Status {
	v, ok := h.properties[readString(path, pathSize)]
	if !ok {
		return abi.StatusNotFound
	}
	write(ret, retSize, v)
	return abi.StatusOK
}

func (h *fakeHost) ProxySetProperty(path *byte, pathSize uint32, val *byte, valSize uint32) abi.Status {
	h.properties[readString(path, pathSize)] = read(val, valSize)
	return abi.StatusOK
}

var _ abi.Host = (*fakeHost)(nil)
