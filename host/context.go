package host

type ctxKind uint8

const (
	ctxVM ctxKind = iota
	ctxRoot
	ctxHTTP
	ctxTCP
)

// hctx is the host's side of a guest context: the VM context (id 0), a root
// context, or a stream context.
type hctx struct {
	id      uint32
	kind    ctxKind
	root    *Root       // the root context (for a root, itself)
	http    *HTTPStream // set for HTTP stream contexts
	tcp     *TCPStream  // set for TCP stream contexts
	created bool        // proxy_on_context_create was delivered
	deleted bool        // proxy_on_delete was delivered (or the context is gone)
}

type actionKind uint8

const (
	actContinue actionKind = iota
	actClose
	actLocalReply
	actDeleteRoot
	actClearRouteCache
)

// deferredAction is work a guest asked for during a call, run by the host
// after the outermost call returns (Envoy's "after VM call actions").
type deferredAction struct {
	kind   actionKind
	stream StreamType
	http   *HTTPStream
	tcp    *TCPStream
	root   *Root
}

func (a *deferredAction) run() {
	switch a.kind {
	case actContinue:
		if a.http != nil {
			a.http.resume(a.stream)
		} else if a.tcp != nil {
			a.tcp.resume()
		}
	case actClose:
		if a.http != nil {
			a.http.handler.CloseStream(a.stream)
		} else if a.tcp != nil {
			a.tcp.handler.Close(a.stream)
		}
	case actLocalReply:
		a.http.sendLocalReply()
	case actDeleteRoot:
		a.root.finishDone()
	case actClearRouteCache:
		a.http.handler.ClearRouteCache()
	}
}

func (vm *VM) defer_(a deferredAction) {
	if a.http != nil {
		a.http.noRecycle = true
	}
	vm.deferred = append(vm.deferred, a)
}
