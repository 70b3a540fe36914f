package filtertest

import (
	"sync"
	"time"

	"github.com/wasmesh/wasmesh/host"
)

// HTTP is one HTTP stream through the filter. Each step delivers one
// callback and returns the guest's action; host errors (a trap, a
// deadline) fail the test.
type HTTP struct {
	f *Filter
	s *host.HTTPStream

	mu       sync.Mutex
	events   []string
	local    *host.LocalResponse
	trailers [2]*host.Headers
	changed  chan struct{}
}

// NewHTTP starts a stream.
func (f *Filter) NewHTTP() *HTTP {
	x := &HTTP{f: f, changed: make(chan struct{}, 16)}
	x.s = f.root.NewHTTPStream(x, f.opts.Properties, nil)
	return x
}

func (x *HTTP) check(a host.Action, err error) host.Action {
	x.f.t.Helper()
	if err != nil {
		x.f.t.Fatalf("filtertest: %v\nlogs:\n%s", err, x.f.logsText())
	}
	return a
}

// RequestHeaders delivers proxy_on_request_headers; the filter may mutate h.
func (x *HTTP) RequestHeaders(h *host.Headers, endOfStream bool) host.Action {
	x.f.t.Helper()
	return x.check(x.s.OnRequestHeaders(h, endOfStream))
}

// RequestBody delivers proxy_on_request_body; the filter may rewrite b.
func (x *HTTP) RequestBody(b *host.Buffer, endOfStream bool) host.Action {
	x.f.t.Helper()
	return x.check(x.s.OnRequestBody(b, endOfStream))
}

// RequestTrailers delivers proxy_on_request_trailers.
func (x *HTTP) RequestTrailers(h *host.Headers) host.Action {
	x.f.t.Helper()
	return x.check(x.s.OnRequestTrailers(h))
}

// ResponseHeaders delivers proxy_on_response_headers.
func (x *HTTP) ResponseHeaders(h *host.Headers, endOfStream bool) host.Action {
	x.f.t.Helper()
	return x.check(x.s.OnResponseHeaders(h, endOfStream))
}

// ResponseBody delivers proxy_on_response_body.
func (x *HTTP) ResponseBody(b *host.Buffer, endOfStream bool) host.Action {
	x.f.t.Helper()
	return x.check(x.s.OnResponseBody(b, endOfStream))
}

// ResponseTrailers delivers proxy_on_response_trailers.
func (x *HTTP) ResponseTrailers(h *host.Headers) host.Action {
	x.f.t.Helper()
	return x.check(x.s.OnResponseTrailers(h))
}

// Close ends the stream: proxy_on_log, proxy_on_done, proxy_on_delete.
func (x *HTTP) Close() {
	x.f.t.Helper()
	if err := x.s.Close(); err != nil {
		x.f.t.Fatalf("filtertest: %v", err)
	}
}

// Events returns what the filter asked of the proxy so far, in order:
// "continue_request", "continue_response", "local_response",
// "close_stream", "clear_route_cache", "add_trailers".
func (x *HTTP) Events() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.events...)
}

// LocalResponse returns the local reply the filter sent, or nil.
func (x *HTTP) LocalResponse() *host.LocalResponse {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.local
}

// WaitEvent waits (up to 5 s) until the filter asked for event, e.g.
// "continue_request" after an HTTP callout, and fails the test otherwise.
func (x *HTTP) WaitEvent(event string) {
	x.f.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		for _, e := range x.Events() {
			if e == event {
				return
			}
		}
		select {
		case <-x.changed:
		case <-timeout:
			x.f.t.Fatalf("filtertest: the filter did not ask for %s (events %v); logs:\n%s", event, x.Events(), x.f.logsText())
		}
	}
}

func (x *HTTP) add(e string) {
	x.mu.Lock()
	x.events = append(x.events, e)
	x.mu.Unlock()
	select {
	case x.changed <- struct{}{}:
	default:
	}
}

// The host.HTTPHandler methods record what the filter asked for.

func (x *HTTP) ContinueRequest()            { x.add("continue_request") }
func (x *HTTP) ContinueResponse()           { x.add("continue_response") }
func (x *HTTP) CloseStream(host.StreamType) { x.add("close_stream") }
func (x *HTTP) ClearRouteCache()            { x.add("clear_route_cache") }
func (x *HTTP) SendLocalResponse(lr *host.LocalResponse) {
	x.mu.Lock()
	x.local = lr
	x.mu.Unlock()
	x.add("local_response")
}
func (x *HTTP) AddTrailers(d host.StreamType) *host.Headers {
	x.mu.Lock()
	x.trailers[d] = &host.Headers{}
	t := x.trailers[d]
	x.mu.Unlock()
	x.add("add_trailers")
	return t
}
