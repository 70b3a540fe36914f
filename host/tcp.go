package host

// TCPHandler is what an embedder implements for each TCP connection that
// runs a network filter.
type TCPHandler interface {
	// ContinueDownstream resumes reading from the client after the guest
	// paused (proxy_continue_stream(DOWNSTREAM)).
	ContinueDownstream()
	// Close closes the downstream or upstream connection, flushing
	// (proxy_close_stream).
	Close(StreamType)
}

// TCPStream is a TCP connection context.
type TCPStream struct {
	hctx
	vm      *VM
	handler TCPHandler
	props   PropertyProvider
	state   *FilterState
	data    [2]*Buffer // downstream, upstream
	closed  bool
}

// NewTCPStream creates a connection context under the root and delivers
// proxy_on_context_create(ctx, root) then proxy_on_new_connection(ctx).
func (r *Root) NewTCPStream(h TCPHandler, props PropertyProvider, state *FilterState) (*TCPStream, Action, error) {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		return nil, ActionContinue, err
	}
	s := &TCPStream{vm: vm, handler: h, props: props, state: state}
	s.hctx = hctx{id: vm.newContextID(), kind: ctxTCP, root: r, tcp: s}
	vm.contexts[s.id] = &s.hctx
	vm.current = &s.hctx
	vm.stack[0], vm.stack[1] = uint64(s.id), uint64(r.id)
	if _, ok := vm.call(callbackNames[cbContextCreate], vm.fns[cbContextCreate]); !ok {
		vm.end()
		return s, ActionContinue, vm.failErr
	}
	s.created = true
	vm.stack[0] = uint64(s.id)
	res, ok := vm.call(callbackNames[cbNewConnection], vm.fns[cbNewConnection])
	vm.end()
	if !ok {
		return s, ActionContinue, vm.failErr
	}
	return s, Action(uint32(res)), nil
}

// ID returns the connection's context id.
func (s *TCPStream) ID() uint32 { return s.id }

// OnDownstreamData delivers proxy_on_downstream_data(ctx, |data|, eos).
func (s *TCPStream) OnDownstreamData(data *Buffer, endOfStream bool) (Action, error) {
	return s.onData(BufferDownstreamData, cbDownstreamData, data, endOfStream)
}

// OnUpstreamData delivers proxy_on_upstream_data(ctx, |data|, eos).
func (s *TCPStream) OnUpstreamData(data *Buffer, endOfStream bool) (Action, error) {
	return s.onData(BufferUpstreamData, cbUpstreamData, data, endOfStream)
}

func (s *TCPStream) onData(bt BufferType, cb callback, data *Buffer, eos bool) (Action, error) {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		return ActionContinue, err
	}
	defer vm.end()
	if s.deleted {
		return ActionContinue, nil
	}
	s.data[bt-BufferDownstreamData] = data
	vm.stack[0], vm.stack[1], vm.stack[2] = uint64(s.id), uint64(data.Len()), b2u(eos)
	res, ok := vm.call(callbackNames[cb], vm.fns[cb])
	if !ok {
		return ActionContinue, vm.failErr
	}
	a := Action(uint32(res))
	if a == ActionContinue {
		s.data[bt-BufferDownstreamData] = nil
	}
	return a, nil
}

// OnDownstreamClose delivers proxy_on_downstream_connection_close(ctx,
// peer) and then, as Envoy does, ends the context: proxy_on_done,
// proxy_on_log, proxy_on_delete.
func (s *TCPStream) OnDownstreamClose(peer PeerType) error {
	return s.onClose(cbDownstreamClose, peer, true)
}

// OnUpstreamClose delivers proxy_on_upstream_connection_close(ctx, peer).
// It does not end the context (Envoy ends it on the downstream close).
func (s *TCPStream) OnUpstreamClose(peer PeerType) error {
	return s.onClose(cbUpstreamClose, peer, false)
}

func (s *TCPStream) onClose(cb callback, peer PeerType, finish bool) error {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		return err
	}
	defer vm.end()
	if s.deleted {
		return nil
	}
	vm.stack[0], vm.stack[1] = uint64(s.id), uint64(peer)
	if _, ok := vm.call(callbackNames[cb], vm.fns[cb]); !ok {
		return vm.failErr
	}
	if finish {
		return s.finish()
	}
	return nil
}

// Close ends the context if the downstream close did not: proxy_on_done,
// proxy_on_log, proxy_on_delete (TCP order). Safe to call more than once.
func (s *TCPStream) Close() error {
	vm := s.vm
	if err := vm.begin(&s.hctx); err != nil {
		vm.mu.Lock()
		s.deleted = true
		delete(vm.contexts, s.id)
		vm.mu.Unlock()
		return err
	}
	defer vm.end()
	if s.deleted {
		return nil
	}
	return s.finish()
}

// finish sends done, log, delete. Must hold vm.mu.
func (s *TCPStream) finish() error {
	vm := s.vm
	defer func() {
		s.deleted = true
		delete(vm.contexts, s.id)
	}()
	for _, cb := range [...]callback{cbDone, cbLog, cbDelete} {
		vm.stack[0] = uint64(s.id)
		if _, ok := vm.call(callbackNames[cb], vm.fns[cb]); !ok {
			return vm.failErr
		}
	}
	return nil
}

// resume runs a deferred proxy_continue_stream(DOWNSTREAM).
func (s *TCPStream) resume() {
	vm := s.vm
	vm.mu.Lock()
	s.data[0] = nil
	vm.mu.Unlock()
	s.handler.ContinueDownstream()
}
