package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy/cluster"
	"github.com/wasmesh/wasmesh/proxy/route"
)

// chunks are the read buffers of request and response bodies, reused
// across requests instead of allocating 32 KiB twice per request.
var chunks = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func getChunk() []byte  { return *chunks.Get().(*[]byte) }
func putChunk(b []byte) { chunks.Put(&b) }

// maxBuffered bounds what a filter may hold while it pauses on a body:
// Envoy answers 413 (request) or 500 (response) past its buffer limit.
const maxBuffered = 16 << 20

// streamIdleTimeout bounds how long a paused filter may hold a stream
// (Envoy's default stream_idle_timeout).
const streamIdleTimeout = 5 * time.Minute

// exchange is one HTTP request/response through a connection manager: the
// Wasm filters in order, then the router.
type exchange struct {
	hcm    *httpConnManager
	worker int
	down   downstream
	ctx    context.Context
	// reqEOS: the request has no body (end of stream with its headers).
	reqEOS bool
	// upgrade: the request asks to switch protocols (WebSocket, ...).
	upgrade bool

	reqHeaders, respHeaders   *host.Headers
	reqTrailers, respTrailers *host.Headers
	filters                   []*wasmStream
	filterBuf                 [4]*wasmStream
	streamBuf                 []wasmStream // the filters' storage, kept by a connection across its requests
	events                    chan event
	state                     host.FilterState
	props                     *streamProps

	match        *route.Match
	upstream     cluster.Request
	respStore    *host.Headers // the codec's reusable response map, or nil
	upstreamAddr string
	// perTryTimeout: the last upstream attempt passed its per_try_timeout.
	perTryTimeout bool
	attempts      int           // upstream attempts made
	flags         responseFlags // %RESPONSE_FLAGS%
	// cancel ends the upstream wait, and gone closes, when the client went
	// away (HTTP/1.1: see httpListener.watch); nil otherwise.
	cancel       *cluster.Canceler
	gone         <-chan struct{}
	start        time.Time
	code         int
	details      string
	reqBytes     int64
	respBytes    int64
	wroteHeaders bool
}

func (x *exchange) logf(component string, level host.LogLevel, format string, args ...any) {
	x.hcm.srv.log.Logf(component, level, format, args...)
}

// run drives the exchange to its end; the codec has set reqHeaders and
// reqEOS.
func (x *exchange) run() {
	if x.upgrade && !x.hcm.upgradeAllowed(x.reqHeaders) {
		// Envoy refuses an upgrade no upgrade_configs allow before any
		// filter sees the request.
		x.localReply(0, &host.LocalResponse{StatusCode: 403, Details: "upgrade_failed"})
		return
	}
	for _, n := range x.hcm.srv.opts.NativeFilters {
		n.RequestHeaders(x.reqHeaders)
	}
	if x.newWasmStreams(x.hcm.plugins) {
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 503, Details: "wasm_fail_stream", GRPCStatus: 14})
		return
	}
	eos := x.reqEOS
	// Request headers, through every filter in order.
	for i, f := range x.filters {
		if f.skip {
			continue
		}
		a, err := f.s.OnRequestHeaders(x.reqHeaders, eos)
		if f.failed(err) {
			x.failStream(i)
			return
		}
		if err != nil {
			continue
		}
		if f.stopsHeaders(a) {
			if !x.waitFor(i, evContinueRequest) {
				return
			}
		} else if lr := x.pendingReply(); lr != nil {
			x.localReply(i+1, lr)
			return
		}
	}
	body, ok := x.decodeBody(eos)
	if !ok {
		return
	}
	x.hcm.upstream(x, body)
}

// pendingReply returns a local reply the guest sent during the call that
// just returned, if any.
func (x *exchange) pendingReply() *host.LocalResponse {
	for {
		select {
		case e := <-x.events:
			switch e.kind {
			case evLocalReply:
				return e.reply
			case evReset:
				return &host.LocalResponse{StatusCode: -1}
			}
		default:
			return nil
		}
	}
}

// waitFor blocks until filter i resumes the stream (want), sends a local
// reply, resets it, or the client goes away. It returns false when the
// exchange is over.
func (x *exchange) waitFor(i int, want eventKind) bool {
	timer := time.NewTimer(streamIdleTimeout)
	defer timer.Stop()
	for {
		select {
		case e := <-x.events:
			switch e.kind {
			case want:
				return true
			case evLocalReply:
				x.localReply(i+1, e.reply)
				return false
			case evReset:
				x.reset()
				return false
			}
		case <-x.ctx.Done():
			x.downstreamGone()
			return false
		case <-x.gone:
			x.downstreamGone()
			return false
		case <-timer.C:
			x.flags |= flagSI
			x.localReply(i+1, &host.LocalResponse{StatusCode: 408, Body: []byte("stream timeout"), Details: "stream_idle_timeout"})
			return false
		}
	}
}

// decodeBody reads the request body and passes it through the filters with
// Envoy's semantics: a filter that pauses holds the data, sees the
// cumulative buffer on the next call, and releases it when it continues.
func (x *exchange) decodeBody(eos bool) ([]byte, bool) {
	if eos {
		return nil, true
	}
	var out bytes.Buffer
	chunk := getChunk()
	defer putChunk(chunk)
	for {
		n, err := x.down.readBody(chunk)
		last := err != nil
		if err != nil && err != io.EOF {
			x.downstreamGone()
			return nil, false
		}
		x.reqBytes += int64(n)
		if last {
			if t := x.down.trailers(); t != nil && t.Len() > 0 {
				x.reqTrailers = t
			}
		}
		endOfData := last && x.reqTrailers == nil
		if n > 0 || endOfData {
			data, ok := x.decodeData(chunk[:n], endOfData)
			if !ok {
				return nil, false
			}
			out.Write(data)
		}
		if last {
			break
		}
	}
	if x.reqTrailers != nil {
		for i, f := range x.filters {
			if f.skip {
				continue
			}
			a, err := f.s.OnRequestTrailers(x.reqTrailers)
			if f.failed(err) {
				x.failStream(i)
				return nil, false
			}
			if err == nil && a != host.ActionContinue && !x.waitFor(i, evContinueRequest) {
				return nil, false
			}
			if lr := x.pendingReply(); lr != nil {
				x.localReply(i+1, lr)
				return nil, false
			}
		}
	}
	return out.Bytes(), true
}

// decodeData passes one chunk through the filters; it returns the data
// that reached the end of the chain (nil while a filter holds it).
func (x *exchange) decodeData(data []byte, eos bool) ([]byte, bool) {
	for i, f := range x.filters {
		if f.skip {
			continue
		}
		f.reqBuf.Bytes = append(f.reqBuf.Bytes, data...)
		if len(f.reqBuf.Bytes) > maxBuffered {
			x.localReply(i+1, &host.LocalResponse{StatusCode: 413, Body: []byte("Payload Too Large"), Details: "request_payload_too_large"})
			return nil, false
		}
		a, err := f.s.OnRequestBody(&f.reqBuf, eos)
		if f.failed(err) {
			x.failStream(i)
			return nil, false
		}
		if lr := x.pendingReply(); lr != nil {
			x.localReply(i+1, lr)
			return nil, false
		}
		if err == nil && host.DataStatus(a) != host.DataContinue {
			if !eos {
				return nil, true // held: the next chunk is appended
			}
			if !x.waitFor(i, evContinueRequest) {
				return nil, false
			}
		}
		data = f.reqBuf.Bytes
		f.reqBuf.Bytes = nil
	}
	return data, true
}

// route runs the router: route match (after the filters, which may have
// changed headers), then a direct response or the upstream request.
func (x *exchange) route(body []byte) {
	x.match = x.hcm.routes.Match(x.reqHeaders)
	if x.match == nil {
		x.flags |= flagNR
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 404, Details: "route_not_found"})
		return
	}
	x.props.routeName = x.match.RouteName
	if d := x.match.Direct; d != nil {
		lr := &host.LocalResponse{StatusCode: d.Status, Body: d.Body, Details: "direct_response", Headers: &host.Headers{}}
		x.match.ApplyResponse(lr.Headers)
		x.localReply(len(x.filters), lr)
		return
	}
	c := x.hcm.srv.clusters.Cluster(x.match.Cluster)
	if c == nil {
		x.flags |= flagNC
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 503, Details: "cluster_not_found"})
		return
	}
	x.match.ApplyRequest(x.reqHeaders)
	x.setForwardedProto()
	var deadline time.Time
	if x.match.Timeout > 0 {
		deadline = time.Now().Add(x.match.Timeout)
	}
	x.respHeaders = x.respStore
	if x.respHeaders == nil {
		x.respHeaders = &host.Headers{}
	}
	resp, eos, err := x.send(c, body, deadline)
	if err != nil {
		x.respHeaders = nil
		x.upstreamFailed(err)
		return
	}
	defer resp.Close()
	x.match.ApplyResponse(x.respHeaders)
	if x.match.AttemptCountDownstream {
		x.respHeaders.Set("x-envoy-attempt-count", strconv.Itoa(x.attempts))
	}
	if t, ok := resp.(cluster.Tunnel); ok {
		x.encode(nil, true) // the filters see the 101's headers, then it is sent
		if x.code == 101 {
			x.relay(t)
		}
		return
	}
	x.encode(resp, eos)
}

// relay copies bytes both ways between the downstream connection and an
// upgraded upstream connection until either side closes, then closes both.
// The bytes do not go through the filters' body callbacks.
func (x *exchange) relay(t cluster.Tunnel) {
	x.down.flush()
	conn, br := x.down.hijack()
	if conn == nil {
		return
	}
	up := make(chan int64)
	go func() {
		n, _ := io.Copy(t, br) // what the codec read ahead first
		t.Close()
		up <- n
	}()
	n, _ := io.Copy(conn, t)
	conn.Close()
	x.respBytes += n
	x.reqBytes += <-up
}

// send sends the request upstream, and again as the route's retry policy
// says (Envoy's router): after a failure or a response it retries, while
// retries are left, after a jittered back-off, within the route timeout.
// The last attempt's response or failure is the result.
func (x *exchange) send(c *cluster.Cluster, body []byte, deadline time.Time) (cluster.Body, bool, error) {
	p := x.match.Retry
	if x.upgrade {
		p = nil // an upgrade is sent once
	}
	req := &x.upstream
	var tried []string
	for n := 0; ; n++ {
		*req = cluster.Request{Headers: x.reqHeaders, Body: body, Trailers: x.reqTrailers,
			AutoHostRewrite: x.match.AutoHostRewrite(), Deadline: deadline, Upgrade: x.upgrade, Cancel: x.cancel}
		if p != nil && p.PerTryTimeout > 0 {
			req.HeadersDeadline = time.Now().Add(p.PerTryTimeout)
		}
		if p != nil && p.OtherHosts {
			req.Avoid, req.Reselect = tried, p.Reselections
		}
		if x.match.AttemptCountUpstream {
			x.reqHeaders.Set("x-envoy-attempt-count", strconv.Itoa(n+1))
		}
		x.attempts = n + 1
		x.respHeaders.Reset()
		resp, eos, err := c.Send(x.ctx, req, x.respHeaders)
		x.upstreamAddr = req.Picked.Address
		if p == nil {
			return resp, eos, err
		}
		var again bool
		if err != nil {
			again = x.retriableFailure(p, c, err, deadline)
		} else {
			_, overloaded := x.respHeaders.GetBytes("x-envoy-overloaded")
			_, rateLimited := x.respHeaders.GetBytes("x-envoy-ratelimited")
			again = p.RetryResponse(statusOf(x.respHeaders), grpcStatusOf(x.respHeaders), overloaded, rateLimited)
		}
		switch {
		case !again:
			if n > 0 && err == nil {
				c.CountRetry(cluster.RetrySucceeded)
			}
			return resp, eos, err
		case n >= p.NumRetries:
			c.CountRetry(cluster.RetryLimitExceeded)
			x.flags |= flagURX
			return resp, eos, err
		}
		if err == nil {
			resp.Close()
		}
		wait := p.Backoff(n + 1)
		if !deadline.IsZero() && time.Until(deadline) < wait {
			wait = time.Until(deadline) // the route timeout ends during the back-off
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-x.ctx.Done():
			t.Stop()
			return nil, false, &cluster.Error{Kind: cluster.Reset, Reason: "local reset", Cluster: x.match.Cluster, Err: x.ctx.Err()}
		case <-x.gone:
			t.Stop()
			return nil, false, &cluster.Error{Kind: cluster.Reset, Reason: "local reset", Cluster: x.match.Cluster, Err: errors.New("client went away")}
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return nil, false, &cluster.Error{Kind: cluster.Timeout, Cluster: x.match.Cluster, Err: errors.New("route timeout during a retry back-off")}
		}
		tried = append(tried, req.Picked.Address)
		c.CountRetry(cluster.RetrySent)
	}
}

// retriableFailure reports whether an attempt's failure is retried under
// p. A per-try timeout is noted for the reply's details; the route timeout
// and a client that went away are never retried.
func (x *exchange) retriableFailure(p *route.RetryPolicy, c *cluster.Cluster, err error, deadline time.Time) bool {
	var ce *cluster.Error
	if !errors.As(err, &ce) || ce.Reason == "local reset" {
		return false // includes a client that went away
	}
	x.perTryTimeout = false
	switch ce.Kind {
	case cluster.ConnectFailure:
		return p.RetryFailure(route.ConnectFailure)
	case cluster.Reset:
		if ce.Reason == "remote refused stream reset" {
			return p.RetryFailure(route.RefusedStream)
		}
		return p.RetryFailure(route.Reset)
	case cluster.Timeout:
		if p.PerTryTimeout <= 0 || !deadline.IsZero() && !time.Now().Before(deadline) {
			return false
		}
		x.perTryTimeout = true
		c.CountRetry(cluster.PerTryTimedOut)
		return p.RetryFailure(route.PerTryTimeout)
	}
	return false
}

// statusOf returns a response's status code, 0 if it has none.
func statusOf(h *host.Headers) int {
	v, _ := h.GetBytes(":status")
	return max(atoi(v), 0)
}

// grpcStatusOf returns a response's grpc-status header, -1 if it has none.
func grpcStatusOf(h *host.Headers) int {
	v, ok := h.GetBytes("grpc-status")
	if !ok {
		return -1
	}
	return atoi(v)
}

// setForwardedProto sets x-forwarded-proto to the downstream scheme, as
// Envoy's connection manager does.
func (x *exchange) setForwardedProto() {
	if scheme, ok := x.reqHeaders.GetBytes(":scheme"); ok && string(scheme) == "https" {
		x.reqHeaders.Set("x-forwarded-proto", "https")
	} else {
		x.reqHeaders.Set("x-forwarded-proto", "http")
	}
}

// upstreamFailed replies as Envoy's router does when the upstream fails.
func (x *exchange) upstreamFailed(err error) {
	var ce *cluster.Error
	if errors.As(err, &ce) && ce.Reason == "local reset" {
		x.downstreamGone() // the client went away: nobody to answer
		return
	}
	if errors.As(err, &ce) {
		x.flags |= failureFlag(ce)
	}
	switch {
	case errors.As(err, &ce) && ce.Kind == cluster.Timeout:
		details := "upstream_response_timeout"
		if x.perTryTimeout {
			details = "upstream_per_try_timeout"
		}
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 504, Body: []byte("upstream request timeout"), Details: details})
	case errors.As(err, &ce) && ce.Kind == cluster.NoHealthyUpstream:
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 503, Body: []byte("no healthy upstream"), Details: "no_healthy_upstream"})
	default:
		reason := "connection termination"
		if errors.As(err, &ce) && ce.Reason != "" {
			reason = ce.Reason
		}
		x.localReply(len(x.filters), &host.LocalResponse{StatusCode: 503,
			Body:    []byte("upstream connect error or disconnect/reset before headers. reset reason: " + reason),
			Details: "upstream_reset_before_response_started{" + strings.ReplaceAll(reason, " ", "_") + "}"})
	}
}

// localReply sends a reply generated by the proxy or a filter: as in
// Envoy, it runs through the response callbacks of the filters before
// index upTo (those that saw the request), in reverse order.
func (x *exchange) localReply(upTo int, lr *host.LocalResponse) {
	if lr.StatusCode < 0 {
		x.reset()
		return
	}
	if x.wroteHeaders {
		x.reset() // too late for a reply: the response has started
		return
	}
	h := &host.Headers{}
	h.Add(":status", strconv.Itoa(lr.StatusCode))
	if lr.Headers != nil {
		for i := 0; i < lr.Headers.Len(); i++ {
			k, v := lr.Headers.Field(i)
			if string(k) != ":status" {
				h.Add(string(k), string(v))
			}
		}
	}
	if len(lr.Body) > 0 {
		if _, ok := h.Get("content-type"); !ok {
			h.Add("content-type", "text/plain")
		}
	}
	h.Set("content-length", strconv.Itoa(len(lr.Body)))
	x.details = lr.Details
	x.respHeaders = h
	if upTo > len(x.filters) {
		upTo = len(x.filters)
	}
	x.filters = x.filters[:upTo]
	x.drainEvents()
	x.encode(noTrailers{bytes.NewReader(lr.Body)}, len(lr.Body) == 0)
}

func (x *exchange) drainEvents() {
	for {
		select {
		case <-x.events:
		default:
			return
		}
	}
}

// downstreamGone ends an exchange whose client went away, as Envoy logs
// it.
func (x *exchange) downstreamGone() {
	x.code, x.details = 0, "downstream_remote_disconnect"
	x.flags |= flagDC
}

// failureFlag is the response flag of an upstream failure.
func failureFlag(ce *cluster.Error) responseFlags {
	switch {
	case ce.Kind == cluster.Timeout:
		return flagUT
	case ce.Kind == cluster.NoHealthyUpstream:
		return flagUH
	case ce.Kind == cluster.ConnectFailure:
		return flagUF
	case ce.Reason == "protocol error":
		return flagUPE
	case strings.HasPrefix(ce.Reason, "remote"):
		return flagUR
	}
	return flagUC
}

// failStream is Envoy's fail-closed reply for a failed VM.
func (x *exchange) failStream(i int) {
	x.localReply(i, &host.LocalResponse{StatusCode: 503, Details: "wasm_fail_stream", GRPCStatus: 14})
}

// reset drops the downstream stream without a response.
func (x *exchange) reset() {
	x.code, x.details = 0, "wasm_close_stream"
	panic(http.ErrAbortHandler)
}

// bodyReader is a response body: an upstream's, or a local reply's.
type bodyReader interface {
	io.Reader
	// Trailers returns the trailers once Read returned io.EOF.
	Trailers() *host.Headers
}

// noTrailers is a body without trailers.
type noTrailers struct{ io.Reader }

func (noTrailers) Trailers() *host.Headers { return nil }

// encode runs the response through the filters in reverse order and writes
// it downstream, keeping content-length right when filters rewrite bodies.
func (x *exchange) encode(body bodyReader, eos bool) {
	for _, n := range x.hcm.srv.opts.NativeFilters {
		n.ResponseHeaders(x.respHeaders)
	}
	for i := len(x.filters) - 1; i >= 0; i-- {
		f := x.filters[i]
		if f.skip {
			continue
		}
		a, err := f.s.OnResponseHeaders(x.respHeaders, eos)
		if f.failed(err) {
			x.failStream(i)
			return
		}
		if lr := x.pendingReply(); lr != nil {
			x.localReply(i, lr)
			return
		}
		if err == nil && f.stopsHeaders(a) {
			if !x.waitFor(i-1, evContinueResponse) {
				return
			}
		}
	}
	if eos {
		x.writeHeaders(0, true)
		x.down.end(nil)
		return
	}
	chunk := getChunk()
	defer putChunk(chunk)
	held := false
	for {
		n, err := body.Read(chunk)
		last := err != nil
		if err != nil && err != io.EOF {
			x.logf("router", host.LogDebug, "upstream body: %v", err)
			x.reset()
		}
		if last {
			if t := body.Trailers(); t != nil && t.Len() > 0 {
				x.respTrailers = t
			}
		}
		endOfData := last && x.respTrailers == nil
		data, ok := x.encodeData(chunk[:n], endOfData)
		if !ok {
			return
		}
		if data == nil && !endOfData {
			held = true
		}
		if !x.wroteHeaders {
			if endOfData {
				x.writeHeaders(len(data), false)
			} else {
				x.writeHeaders(-1, held)
			}
		}
		if len(data) > 0 {
			x.respBytes += int64(len(data))
			x.down.write(data)
			if !endOfData {
				x.down.flush()
			}
		}
		if last {
			break
		}
	}
	if x.respTrailers != nil {
		for i := len(x.filters) - 1; i >= 0; i-- {
			f := x.filters[i]
			if f.skip {
				continue
			}
			if _, err := f.s.OnResponseTrailers(x.respTrailers); f.failed(err) {
				return
			}
		}
	}
	x.down.end(x.respTrailers)
}

// encodeData passes one response chunk through the filters in reverse.
func (x *exchange) encodeData(data []byte, eos bool) ([]byte, bool) {
	for i := len(x.filters) - 1; i >= 0; i-- {
		f := x.filters[i]
		if f.skip {
			continue
		}
		f.respBuf.Bytes = append(f.respBuf.Bytes, data...)
		if len(f.respBuf.Bytes) > maxBuffered {
			x.localReply(i, &host.LocalResponse{StatusCode: 500, Body: []byte("Internal Server Error"), Details: "response_payload_too_large"})
			return nil, false
		}
		a, err := f.s.OnResponseBody(&f.respBuf, eos)
		if f.failed(err) {
			x.failStream(i)
			return nil, false
		}
		if lr := x.pendingReply(); lr != nil {
			x.localReply(i, lr)
			return nil, false
		}
		if err == nil && host.DataStatus(a) != host.DataContinue {
			if !eos {
				return nil, true
			}
			if !x.waitFor(i-1, evContinueResponse) {
				return nil, false
			}
		}
		data = f.respBuf.Bytes
		f.respBuf.Bytes = nil
	}
	return data, true
}

// writeHeaders writes the response headers downstream. length >= 0 is the
// whole body's size, known now; heldBody says a filter rewrote or held the
// body, so the upstream content-length cannot be trusted.
func (x *exchange) writeHeaders(length int, heldBody bool) {
	if x.wroteHeaders {
		return
	}
	x.wroteHeaders = true
	h := x.respHeaders
	x.code = 200
	if v, ok := h.GetBytes(":status"); ok {
		x.code = atoi(v)
	}
	if x.code < 100 || x.code > 999 {
		x.code = 502
	}
	n := int64(-1)
	switch {
	case length >= 0:
		n = int64(length)
	case !heldBody:
		if v, ok := h.GetBytes("content-length"); ok {
			n = int64(atoi(v))
		}
	}
	if x.hcm.serverName != "" {
		h.Set("server", x.hcm.serverName)
	}
	if _, ok := h.GetBytes("date"); !ok {
		h.Add("date", httpDate())
	}
	x.down.writeHead(x.code, h, n)
}

// atoi parses a non-negative decimal number; -1 if it is not one.
func atoi(b []byte) int {
	if len(b) == 0 || len(b) > 18 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// date caches the Date header value; it changes once a second.
var date atomic.Pointer[dateValue]

type dateValue struct {
	sec int64
	s   string
}

func httpDate() string {
	now := time.Now()
	if d := date.Load(); d != nil && d.sec == now.Unix() {
		return d.s
	}
	d := &dateValue{sec: now.Unix(), s: now.UTC().Format(http.TimeFormat)}
	date.Store(d)
	return d.s
}

func hostPort(addr net.Addr) (string, int) {
	if addr == nil {
		return "", 0
	}
	h, p, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String(), 0
	}
	port, _ := strconv.Atoi(p)
	return h, port
}
