package proxy

import (
	"errors"

	"github.com/wasmesh/wasmesh/host"
)

// wasmStream is one Wasm HTTP filter on one request: the guest's stream
// context, and what the filter chain needs to run Envoy's semantics around
// it (buffering while the guest pauses, resumption, local replies, the
// failure policy). It is the host.HTTPHandler of its stream.
type wasmStream struct {
	x      *exchange
	plugin *wasmPlugin
	s      *host.HTTPStream
	skip   bool // FAIL_OPEN after a failure, or no stream

	reqBuf, respBuf host.Buffer // data the guest is holding (cumulative)
	reqHeld         bool        // request body being buffered (StopIterationAndBuffer)
	respHeld        bool
}

// event is what a guest asked for, delivered to the goroutine running the
// exchange.
type event struct {
	kind  eventKind
	reply *host.LocalResponse
}

type eventKind int

const (
	evContinueRequest eventKind = iota
	evContinueResponse
	evLocalReply
	evReset
	evClearRouteCache
)

func (w *wasmStream) post(e event) {
	select {
	case w.x.events <- e:
	default:
		// The exchange has 16 slots; a guest asking more than that in one
		// turn is only repeating itself.
	}
}

func (w *wasmStream) ContinueRequest()  { w.post(event{kind: evContinueRequest}) }
func (w *wasmStream) ContinueResponse() { w.post(event{kind: evContinueResponse}) }
func (w *wasmStream) SendLocalResponse(lr *host.LocalResponse) {
	w.post(event{kind: evLocalReply, reply: lr})
}
func (w *wasmStream) CloseStream(host.StreamType) { w.post(event{kind: evReset}) }
func (w *wasmStream) ClearRouteCache()            { w.post(event{kind: evClearRouteCache}) }
func (w *wasmStream) AddTrailers(dir host.StreamType) *host.Headers {
	if dir == host.StreamRequest {
		if w.x.reqTrailers == nil {
			w.x.reqTrailers = &host.Headers{}
		}
		return w.x.reqTrailers
	}
	if w.x.respTrailers == nil {
		w.x.respTrailers = &host.Headers{}
	}
	return w.x.respTrailers
}

// failed applies the failure policy after a guest call returned err. It
// reports whether the exchange must reply 503 (fail closed).
func (w *wasmStream) failed(err error) (failClosed bool) {
	if err == nil {
		return false
	}
	w.skip = true
	if !errors.Is(err, host.ErrVMFailed) && !errors.Is(err, errPluginUnavailable) {
		w.x.logf("wasm", host.LogError, "wasm filter %q: %v", w.plugin.name, err)
	}
	return w.plugin.policy != failOpen
}

// newWasmStreams creates the filter instances of a request, on its worker.
// A plugin that cannot serve (load failure, failed VM) yields a skipped
// filter under FAIL_OPEN and a 503 under the other policies.
func (x *exchange) newWasmStreams(plugins []*wasmPlugin) (failClosed bool) {
	x.filters = x.filterBuf[:0]
	if cap(x.streamBuf) < len(plugins) {
		x.streamBuf = make([]wasmStream, len(plugins))
	}
	ws := x.streamBuf[:len(plugins)]
	for i, p := range plugins {
		w := &ws[i]
		*w = wasmStream{x: x, plugin: p}
		root, err := p.root(x.worker)
		if err != nil {
			w.skip = true
			if p.policy != failOpen {
				failClosed = true
			}
		} else {
			w.s = root.NewHTTPStream(w, x.props, &x.state)
		}
		x.filters = append(x.filters, w)
	}
	return failClosed
}

// closeAll ends every guest stream: proxy_on_log, proxy_on_done,
// proxy_on_delete.
func (x *exchange) closeAll() {
	for _, w := range x.filters {
		if w.s != nil {
			_ = w.s.Close()
		}
	}
}

// stopsHeaders reports whether a header callback's result holds the stream,
// with Envoy's conversion of the raw action.
func (w *wasmStream) stopsHeaders(a host.Action) bool {
	st := host.HeadersStatus(a, w.plugin.allowStopIter)
	return st != host.HeadersContinue && st != host.HeadersContinueAndEndStream
}
