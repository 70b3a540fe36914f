package host

// HTTPHandler is what an embedder implements for each HTTP stream: the host
// calls it, after the guest call that asked for it has returned, to carry
// out what the guest requested. Calls may come from the goroutine that
// drove the stream or from the VM's event goroutine (after a callout).
type HTTPHandler interface {
	// ContinueRequest resumes a request the guest paused.
	ContinueRequest()
	// ContinueResponse resumes a response the guest paused.
	ContinueResponse()
	// SendLocalResponse replies without (or instead of) the upstream. Envoy
	// runs the reply through the same filter's response callbacks.
	SendLocalResponse(*LocalResponse)
	// CloseStream resets the stream (details "wasm_close_stream").
	CloseStream(StreamType)
	// ClearRouteCache asks the embedder to recompute the route.
	ClearRouteCache()
	// AddTrailers returns a new, empty trailers map for the direction
	// (StreamRequest or StreamResponse), which the embedder will send. It
	// is called when a guest adds trailers during the last body callback
	// of a stream that had none.
	AddTrailers(StreamType) *Headers
}

// LocalResponse is a reply a guest asked for with proxy_send_local_response.
type LocalResponse struct {
	StatusCode int
	// Details are the response code details, whitespace replaced by '_'.
	Details string
	Body    []byte
	Headers *Headers
	// GRPCStatus is the gRPC status, or GRPCStatusNone (-1) when the reply
	// is not gRPC.
	GRPCStatus int32
}

// HTTPStream is an HTTP stream context. All of a stream's callbacks run on
// the VM of the root context it was created under. Methods must not be
// called concurrently for one stream; a stream must not be used after
// Close.
type HTTPStream struct {
	hctx
	vm      *VM
	handler HTTPHandler
	props   PropertyProvider
	state   *FilterState

	// Maps and buffers the guest can reach now (mutable), by ABI type.
	maps [4]*Headers
	// Maps the guest can read in proxy_on_log.
	logMaps  [4]*Headers
	bodies   [2]*Buffer
	inLog    bool
	lastBody [2]bool // the body callback running has end_of_stream set

	localReply    *LocalResponse
	repliedInCall bool
	noRecycle     bool // a deferred action referred to it: never reuse
}

// NewHTTPStream creates a stream context under the root. As in Envoy,
// proxy_on_context_create is sent lazily, with the first callback. props
// (may be nil) serves the stream's properties (request.*, source.*, ...);
// state (may be nil) is the filter state shared by the plugins on this
// stream, where proxy_set_property writes.
func (r *Root) NewHTTPStream(h HTTPHandler, props PropertyProvider, state *FilterState) *HTTPStream {
	vm := r.vm
	vm.mu.Lock()
	var s *HTTPStream
	if n := len(vm.freeStreams); n > 0 {
		s = vm.freeStreams[n-1]
		vm.freeStreams[n-1] = nil
		vm.freeStreams = vm.freeStreams[:n-1]
	} else {
		s = &HTTPStream{vm: vm}
	}
	s.hctx = hctx{id: vm.newContextID(), kind: ctxHTTP, root: r, http: s}
	s.handler, s.props, s.state = h, props, state
	vm.contexts[s.id] = &s.hctx
	vm.mu.Unlock()
	return s
}

// ID returns the stream's context id.
func (s *HTTPStream) ID() uint32 { return s.id }

// Root returns the root context the stream belongs to.
func (s *HTTPStream) Root() *Root { return s.root }

// OnRequestHeaders delivers proxy_on_request_headers. h stays reachable by
// the guest while the request is paused; after Continue it is released, as
// in Envoy.
func (s *HTTPStream) OnRequestHeaders(h *Headers, endOfStream bool) (Action, error) {
	return s.headers(MapRequestHeaders, cbRequestHeaders, h, endOfStream)
}

// OnResponseHeaders delivers proxy_on_response_headers.
func (s *HTTPStream) OnResponseHeaders(h *Headers, endOfStream bool) (Action, error) {
	return s.headers(MapResponseHeaders, cbResponseHeaders, h, endOfStream)
}

// OnRequestBody delivers proxy_on_request_body(ctx, |body|, eos). The guest
// reads and rewrites body in place. While the guest keeps pausing, the
// embedder should keep appending to the same Buffer (Envoy reports the
// total buffered size).
func (s *HTTPStream) OnRequestBody(body *Buffer, endOfStream bool) (Action, error) {
	return s.body(StreamRequest, cbRequestBody, body, endOfStream)
}

// OnResponseBody delivers proxy_on_response_body.
func (s *HTTPStream) OnResponseBody(body *Buffer, endOfStream bool) (Action, error) {
	return s.body(StreamResponse, cbResponseBody, body, endOfStream)
}

// OnRequestTrailers delivers proxy_on_request_trailers.
func (s *HTTPStream) OnRequestTrailers(t *Headers) (Action, error) {
	return s.trailers(MapRequestTrailers, cbRequestTrailers, t)
}

// OnResponseTrailers delivers proxy_on_response_trailers.
func (s *HTTPStream) OnResponseTrailers(t *Headers) (Action, error) {
	return s.trailers(MapResponseTrailers, cbResponseTrailers, t)
}

// OnRequestMetadata delivers proxy_on_request_metadata (HTTP/2 METADATA).
func (s *HTTPStream) OnRequestMetadata(elements int) error {
	_, err := s.simple(cbRequestMetadata, uint64(elements))
	return err
}

// OnResponseMetadata delivers proxy_on_response_metadata.
func (s *HTTPStream) OnResponseMetadata(elements int) error {
	_, err := s.simple(cbResponseMetadata, uint64(elements))
	return err
}

func (s *HTTPStream) headers(mt MapType, cb callback, h *Headers, eos bool) (Action, error) {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		return ActionContinue, err
	}
	s.maps[mt], s.logMaps[mt] = h, h
	vm.stack[0], vm.stack[1], vm.stack[2] = uint64(s.id), uint64(h.Len()), b2u(eos)
	a, err := s.invoke(cb, HeadersStopAllIterationAndWatermark)
	if a == HeadersContinue || a == HeadersContinueAndEndStream {
		s.maps[mt] = nil
	}
	vm.end()
	return a, err
}

func (s *HTTPStream) body(dir StreamType, cb callback, b *Buffer, eos bool) (Action, error) {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		return ActionContinue, err
	}
	s.bodies[dir] = b
	s.lastBody[dir] = eos
	vm.stack[0], vm.stack[1], vm.stack[2] = uint64(s.id), uint64(b.Len()), b2u(eos)
	a, err := s.invoke(cb, DataStopIterationNoBuffer)
	s.lastBody[dir] = false
	if a == DataContinue {
		s.bodies[dir] = nil
	}
	vm.end()
	return a, err
}

func (s *HTTPStream) trailers(mt MapType, cb callback, t *Headers) (Action, error) {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		return ActionContinue, err
	}
	s.maps[mt] = t
	if mt == MapResponseTrailers {
		s.logMaps[mt] = t
	}
	vm.stack[0], vm.stack[1] = uint64(s.id), uint64(t.Len())
	a, err := s.invoke(cb, ActionPause)
	if a == ActionContinue {
		s.maps[mt] = nil
	}
	vm.end()
	return a, err
}

func (s *HTTPStream) simple(cb callback, arg uint64) (Action, error) {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		return ActionContinue, err
	}
	vm.stack[0], vm.stack[1] = uint64(s.id), arg
	a, err := s.invoke(cb, ActionContinue)
	vm.end()
	return a, err
}

// invoke sends proxy_on_context_create if not yet sent, then the callback
// with the arguments already in vm.stack. A local reply sent during the
// callback overrides its result with stop. Must hold vm.mu.
func (s *HTTPStream) invoke(cb callback, stop Action) (Action, error) {
	vm := s.vm
	if !s.created {
		a1, a2, a3 := vm.stack[0], vm.stack[1], vm.stack[2]
		if err := s.create(); err != nil {
			return ActionContinue, err
		}
		vm.stack[0], vm.stack[1], vm.stack[2] = a1, a2, a3
	}
	s.repliedInCall = false
	res, ok := vm.call(callbackNames[cb], vm.fns[cb])
	if !ok {
		return ActionContinue, vm.failErr
	}
	if s.repliedInCall {
		return stop, nil
	}
	return Action(uint32(res)), nil
}

// create sends proxy_on_context_create(ctx, root). Must hold vm.mu.
func (s *HTTPStream) create() error {
	vm := s.vm
	vm.stack[0], vm.stack[1] = uint64(s.id), uint64(s.root.id)
	if _, ok := vm.call(callbackNames[cbContextCreate], vm.fns[cbContextCreate]); !ok {
		return vm.failErr
	}
	s.created = true
	return nil
}

// Close ends the stream as Envoy does: proxy_on_log (request headers,
// response headers and trailers readable), then proxy_on_done, then
// proxy_on_delete, each exactly once. A stream that never reached the guest
// gets its proxy_on_context_create first. On a failed VM nothing is called.
func (s *HTTPStream) Close() error {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		vm.mu.Lock()
		s.release()
		vm.mu.Unlock()
		return err
	}
	var err error
	if !s.deleted {
		err = s.finish()
	}
	s.release()
	vm.end()
	return err
}

func (s *HTTPStream) finish() error {
	vm := s.vm
	if !s.created {
		if err := s.create(); err != nil {
			return err
		}
	}
	s.inLog = true
	vm.stack[0] = uint64(s.id)
	_, ok := vm.call(callbackNames[cbLog], vm.fns[cbLog])
	s.inLog = false
	if !ok {
		return vm.failErr
	}
	vm.stack[0] = uint64(s.id)
	if _, ok := vm.call(callbackNames[cbDone], vm.fns[cbDone]); !ok {
		return vm.failErr
	}
	vm.stack[0] = uint64(s.id)
	_, ok = vm.call(callbackNames[cbDelete], vm.fns[cbDelete])
	s.deleted = true
	if !ok {
		return vm.failErr
	}
	return nil
}

// release forgets the stream and returns it to the VM's free list. Must hold
// vm.mu.
func (s *HTTPStream) release() {
	vm := s.vm
	if s.id == 0 {
		return // already released (context ids start at 1)
	}
	if vm.contexts[s.id] == &s.hctx {
		delete(vm.contexts, s.id)
	}
	s.deleted = true
	// A deferred action may still refer to the stream: only recycle streams
	// that never had one.
	if s.noRecycle {
		return
	}
	*s = HTTPStream{vm: vm, hctx: hctx{deleted: true}}
	vm.freeStreams = append(vm.freeStreams, s)
}

// resume runs a deferred proxy_continue_stream: Envoy drops its references
// to that direction's headers, body and trailers, then continues.
func (s *HTTPStream) resume(dir StreamType) {
	vm := s.vm
	vm.mu.Lock()
	h := s.handler
	if dir == StreamRequest {
		s.maps[MapRequestHeaders], s.maps[MapRequestTrailers], s.bodies[StreamRequest] = nil, nil, nil
	} else {
		s.maps[MapResponseHeaders], s.maps[MapResponseTrailers], s.bodies[StreamResponse] = nil, nil, nil
	}
	vm.mu.Unlock()
	if h == nil {
		return
	}
	if dir == StreamRequest {
		h.ContinueRequest()
	} else {
		h.ContinueResponse()
	}
}

func (s *HTTPStream) sendLocalReply() {
	vm := s.vm
	vm.mu.Lock()
	lr, h := s.localReply, s.handler
	s.localReply = nil
	vm.mu.Unlock()
	if lr != nil && h != nil {
		h.SendLocalResponse(lr)
	}
}

// mapFor returns the map of type mt reachable from this stream now, and
// whether it may be mutated. Must hold vm.mu.
func (s *HTTPStream) mapFor(mt MapType) (h *Headers, mutable bool) {
	if s.inLog {
		if mt == MapRequestTrailers {
			return nil, false
		}
		return s.logMaps[mt], false
	}
	return s.maps[mt], true
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
