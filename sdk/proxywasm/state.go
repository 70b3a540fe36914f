package proxywasm

import (
	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// vmState is the SDK's view of the VM: the registered VMContext and every
// live context, keyed by the host's context ids. The exported proxy_on_*
// callbacks (exports_wasip1.go) are thin wrappers around its on* methods,
// which build on every platform so the dispatch logic can be unit-tested.
//
// A Wasm VM runs one callback at a time, so there is no locking.
type vmState struct {
	vmContext types.VMContext
	roots     map[uint32]*rootState
	streams   streamTable
	// lastRoot caches the last root looked up: Go map lookups are slow on
	// wasm, and a VM usually has one root context.
	lastRootID uint32
	lastRoot   *rootState
	// free holds deleted streams' state for reuse: an allocation costs
	// about 250 ns on wasm, a tenth of a whole stream's host overhead.
	free []*streamState
	// activeID is the context the running callback belongs to, or the one
	// made effective with SetEffectiveContext. Callouts dispatched now are
	// registered for it.
	activeID uint32
}

// rootState is a plugin (root) context and the callouts dispatched from it
// or from its streams. The host delivers callout events to the root id.
type rootState struct {
	ctx          types.PluginContext
	httpCallouts map[uint32]httpCallout
	grpcCallouts map[uint32]grpcCallout
}

type httpCallout struct {
	callerID uint32
	callback func(numHeaders, bodySize, numTrailers int)
}

type grpcCallout struct {
	callerID uint32
	handler  types.GrpcCallHandler // nil: deliver to the plugin context
	stream   bool                  // opened with GrpcStream
}

// streamState is an HTTP stream or TCP connection. Both contexts are nil
// when the plugin context created neither; its callbacks are then ignored.
type streamState struct {
	rootID uint32
	http   types.HttpContext
	tcp    types.TcpContext
	done   bool // OnHttpStreamDone or OnStreamDone has run
}

// vm is the state of this VM.
var vm = newVMState()

func newVMState() *vmState {
	return &vmState{
		roots: make(map[uint32]*rootState),
	}
}

func (s *vmState) newStream(rootID uint32) *streamState {
	if n := len(s.free); n > 0 {
		st := s.free[n-1]
		s.free = s.free[:n-1]
		st.rootID = rootID
		return st
	}
	return &streamState{rootID: rootID}
}

// rootByID returns the root context with that id, or nil.
func (s *vmState) rootByID(id uint32) *rootState {
	if id != 0 && id == s.lastRootID {
		return s.lastRoot
	}
	r := s.roots[id]
	if r != nil {
		s.lastRootID, s.lastRoot = id, r
	}
	return r
}

func (s *vmState) alive(id uint32) bool {
	_, isStream := s.streams.get(id)
	return isStream || s.rootByID(id) != nil
}

// rootOf returns the plugin context that id belongs to (id itself for a
// root), or nil.
func (s *vmState) rootOf(id uint32) *rootState {
	if st, ok := s.streams.get(id); ok {
		return s.rootByID(st.rootID)
	}
	if r := s.rootByID(id); r != nil {
		return r
	}
	return nil
}

func (s *vmState) onContextCreate(id, parentID uint32) {
	if s.alive(id) {
		LogErrorf("proxywasm: proxy_on_context_create: context %d already exists", id)
		return
	}
	s.activeID = id
	if parentID == 0 {
		s.createRoot(id)
		return
	}
	root := s.rootByID(parentID)
	if root == nil {
		LogErrorf("proxywasm: proxy_on_context_create: unknown plugin context %d for context %d", parentID, id)
		return
	}
	st := s.newStream(parentID)
	if c := root.ctx.NewHttpContext(id); c != nil {
		st.http = c
	} else if c := root.ctx.NewTcpContext(id); c != nil {
		st.tcp = c
	} else {
		LogErrorf("proxywasm: plugin context %d created neither an HTTP nor a TCP context for context %d; ignoring its events", parentID, id)
	}
	s.streams.put(id, st)
}

func (s *vmState) createRoot(id uint32) {
	var ctx types.PluginContext
	if s.vmContext == nil {
		LogError(errNoVMContext)
	} else if ctx = s.vmContext.NewPluginContext(id); ctx == nil {
		LogErrorf("proxywasm: NewPluginContext returned nil for context %d", id)
	}
	if ctx == nil {
		ctx = &types.DefaultPluginContext{}
	}
	s.roots[id] = &rootState{
		ctx:          ctx,
		httpCallouts: make(map[uint32]httpCallout),
		grpcCallouts: make(map[uint32]grpcCallout),
	}
}

const errNoVMContext = "proxywasm: no VM context registered: call proxywasm.SetVMContext " +
	"(or SetPluginContext, SetHttpContext, SetTcpContext) from an init function"

func (s *vmState) onVMStart(rootID uint32, vmConfigurationSize int) bool {
	if s.vmContext == nil {
		LogError(errNoVMContext)
		return false
	}
	s.activeID = rootID
	return bool(s.vmContext.OnVMStart(vmConfigurationSize))
}

// root returns the plugin context for a root callback and makes it active.
func (s *vmState) root(id uint32, callback string) *rootState {
	r := s.rootByID(id)
	ok := r != nil
	if !ok {
		LogErrorf("proxywasm: %s: unknown plugin context %d", callback, id)
		return nil
	}
	s.activeID = id
	return r
}

func (s *vmState) onConfigure(rootID uint32, pluginConfigurationSize int) bool {
	r := s.root(rootID, "proxy_on_configure")
	if r == nil {
		return false
	}
	return bool(r.ctx.OnPluginStart(pluginConfigurationSize))
}

func (s *vmState) onTick(rootID uint32) {
	if r := s.root(rootID, "proxy_on_tick"); r != nil {
		r.ctx.OnTick()
	}
}

func (s *vmState) onQueueReady(rootID, queueID uint32) {
	if r := s.root(rootID, "proxy_on_queue_ready"); r != nil {
		r.ctx.OnQueueReady(queueID)
	}
}

func (s *vmState) onForeignFunction(rootID, functionID uint32, argumentsSize int) {
	if r := s.root(rootID, "proxy_on_foreign_function"); r != nil {
		if c, ok := r.ctx.(types.ForeignFunctionContext); ok {
			c.OnForeignFunction(functionID, argumentsSize)
		}
	}
}

// stream returns the stream for a stream callback and makes it active.
func (s *vmState) stream(id uint32, callback string) *streamState {
	st, ok := s.streams.get(id)
	if !ok {
		LogErrorf("proxywasm: %s: unknown context %d", callback, id)
		return nil
	}
	s.activeID = id
	return st
}

func (s *vmState) httpContext(id uint32, callback string) types.HttpContext {
	st := s.stream(id, callback)
	if st == nil || st.http == nil {
		if st != nil && st.tcp != nil {
			LogErrorf("proxywasm: %s: context %d is a TCP context", callback, id)
		}
		return nil
	}
	return st.http
}

func (s *vmState) tcpContext(id uint32, callback string) types.TcpContext {
	st := s.stream(id, callback)
	if st == nil || st.tcp == nil {
		if st != nil && st.http != nil {
			LogErrorf("proxywasm: %s: context %d is an HTTP context", callback, id)
		}
		return nil
	}
	return st.tcp
}

func (s *vmState) onRequestHeaders(id uint32, numHeaders int, endOfStream bool) types.Action {
	if c := s.httpContext(id, "proxy_on_request_headers"); c != nil {
		return c.OnHttpRequestHeaders(numHeaders, endOfStream)
	}
	return types.ActionContinue
}

func (s *vmState) onRequestBody(id uint32, bodySize int, endOfStream bool) types.Action {
	if c := s.httpContext(id, "proxy_on_request_body"); c != nil {
		return c.OnHttpRequestBody(bodySize, endOfStream)
	}
	return types.ActionContinue
}

func (s *vmState) onRequestTrailers(id uint32, numTrailers int) types.Action {
	if c := s.httpContext(id, "proxy_on_request_trailers"); c != nil {
		return c.OnHttpRequestTrailers(numTrailers)
	}
	return types.ActionContinue
}

func (s *vmState) onResponseHeaders(id uint32, numHeaders int, endOfStream bool) types.Action {
	if c := s.httpContext(id, "proxy_on_response_headers"); c != nil {
		return c.OnHttpResponseHeaders(numHeaders, endOfStream)
	}
	return types.ActionContinue
}

func (s *vmState) onResponseBody(id uint32, bodySize int, endOfStream bool) types.Action {
	if c := s.httpContext(id, "proxy_on_response_body"); c != nil {
		return c.OnHttpResponseBody(bodySize, endOfStream)
	}
	return types.ActionContinue
}

func (s *vmState) onResponseTrailers(id uint32, numTrailers int) types.Action {
	if c := s.httpContext(id, "proxy_on_response_trailers"); c != nil {
		return c.OnHttpResponseTrailers(numTrailers)
	}
	return types.ActionContinue
}

func (s *vmState) onNewConnection(id uint32) types.Action {
	if c := s.tcpContext(id, "proxy_on_new_connection"); c != nil {
		return c.OnNewConnection()
	}
	return types.ActionContinue
}

func (s *vmState) onDownstreamData(id uint32, dataSize int, endOfStream bool) types.Action {
	if c := s.tcpContext(id, "proxy_on_downstream_data"); c != nil {
		return c.OnDownstreamData(dataSize, endOfStream)
	}
	return types.ActionContinue
}

func (s *vmState) onDownstreamConnectionClose(id uint32, peer types.PeerType) {
	if c := s.tcpContext(id, "proxy_on_downstream_connection_close"); c != nil {
		c.OnDownstreamClose(peer)
	}
}

func (s *vmState) onUpstreamData(id uint32, dataSize int, endOfStream bool) types.Action {
	if c := s.tcpContext(id, "proxy_on_upstream_data"); c != nil {
		return c.OnUpstreamData(dataSize, endOfStream)
	}
	return types.ActionContinue
}

func (s *vmState) onUpstreamConnectionClose(id uint32, peer types.PeerType) {
	if c := s.tcpContext(id, "proxy_on_upstream_connection_close"); c != nil {
		c.OnUpstreamClose(peer)
	}
}

// onHttpCallResponse runs the callback given to DispatchHttpCall. The host
// delivers the response to the root context; the callback runs with the
// dispatching stream made effective (proxy_set_effective_context), so that
// calls such as ResumeHttpRequest act on that stream. If the stream was
// deleted before the response arrived, the callback is dropped.
func (s *vmState) onHttpCallResponse(rootID, calloutID uint32, numHeaders, bodySize, numTrailers int) {
	r := s.root(rootID, "proxy_on_http_call_response")
	if r == nil {
		return
	}
	co, ok := r.httpCallouts[calloutID]
	if !ok {
		LogErrorf("proxywasm: proxy_on_http_call_response: unknown callout %d on plugin context %d", calloutID, rootID)
		return
	}
	delete(r.httpCallouts, calloutID)
	if !s.alive(co.callerID) {
		return
	}
	s.makeEffective(co.callerID)
	co.callback(numHeaders, bodySize, numTrailers)
}

// makeEffective makes id the context of the following host calls.
func (s *vmState) makeEffective(id uint32) {
	s.activeID = id
	if err := statusToError(abi.ProxySetEffectiveContext(id)); err != nil {
		LogErrorf("proxywasm: proxy_set_effective_context(%d): %v", id, err)
	}
}

// grpcHandler finds who receives a gRPC event: the handler given to
// GrpcCall/GrpcStream, run with the calling context made effective, or else
// the plugin context if it implements types.GrpcCallHandler. With closing
// set, the callout is forgotten.
func (s *vmState) grpcHandler(rootID, calloutID uint32, callback string, closing bool) types.GrpcCallHandler {
	r := s.root(rootID, callback)
	if r == nil {
		return nil
	}
	co, ok := r.grpcCallouts[calloutID]
	if ok && closing {
		delete(r.grpcCallouts, calloutID)
	}
	if ok && co.handler != nil {
		if !s.alive(co.callerID) {
			return nil
		}
		s.makeEffective(co.callerID)
		return co.handler
	}
	if h, ok := r.ctx.(types.GrpcCallHandler); ok {
		return h
	}
	return nil
}

func (s *vmState) onGrpcReceiveInitialMetadata(rootID, calloutID uint32, numElements int) {
	if h := s.grpcHandler(rootID, calloutID, "proxy_on_grpc_receive_initial_metadata", false); h != nil {
		h.OnGrpcReceiveInitialMetadata(calloutID, numElements)
	}
}

func (s *vmState) onGrpcReceive(rootID, calloutID uint32, messageSize int) {
	if h := s.grpcHandler(rootID, calloutID, "proxy_on_grpc_receive", false); h != nil {
		h.OnGrpcReceive(calloutID, messageSize)
	}
}

func (s *vmState) onGrpcReceiveTrailingMetadata(rootID, calloutID uint32, numElements int) {
	if h := s.grpcHandler(rootID, calloutID, "proxy_on_grpc_receive_trailing_metadata", false); h != nil {
		h.OnGrpcReceiveTrailingMetadata(calloutID, numElements)
	}
}

func (s *vmState) onGrpcClose(rootID, calloutID, statusCode uint32) {
	if h := s.grpcHandler(rootID, calloutID, "proxy_on_grpc_close", true); h != nil {
		h.OnGrpcClose(calloutID, statusCode)
	}
}

func (s *vmState) onDone(id uint32) bool {
	if _, ok := s.streams.get(id); ok {
		return true
	}
	if r := s.rootByID(id); r != nil {
		s.activeID = id
		return r.ctx.OnPluginDone()
	}
	LogErrorf("proxywasm: proxy_on_done: unknown context %d", id)
	return true
}

// onLog runs OnHttpStreamDone (or OnStreamDone for TCP). Envoy calls
// proxy_on_log before proxy_on_done for HTTP streams and after it for TCP
// connections; either way the hook runs once, while the stream's data is
// still readable. Root contexts get no proxy_on_log in Envoy; one is ignored.
func (s *vmState) onLog(id uint32) {
	if st, ok := s.streams.get(id); ok {
		s.activeID = id
		st.finish()
		return
	}
	if s.rootByID(id) == nil {
		LogErrorf("proxywasm: proxy_on_log: unknown context %d", id)
	}
}

// onDelete forgets a context. A stream whose host never sent proxy_on_log
// gets its done hook here, so that it always runs exactly once.
func (s *vmState) onDelete(id uint32) {
	if st, ok := s.streams.get(id); ok {
		s.activeID = id
		st.finish()
		s.streams.del(id)
		*st = streamState{}
		s.free = append(s.free, st)
		return
	}
	if _, ok := s.roots[id]; ok {
		delete(s.roots, id)
		s.lastRootID, s.lastRoot = 0, nil
		return
	}
	LogErrorf("proxywasm: proxy_on_delete: unknown context %d", id)
}

func (st *streamState) finish() {
	if st.done {
		return
	}
	st.done = true
	switch {
	case st.http != nil:
		st.http.OnHttpStreamDone()
	case st.tcp != nil:
		st.tcp.OnStreamDone()
	}
}
