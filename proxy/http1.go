package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy/cluster"
	"github.com/wasmesh/wasmesh/proxy/internal/h1"
)

// connIdleTimeout closes a connection without requests (Envoy's default
// idle_timeout).
const (
	connIdleTimeout = time.Hour
)

// h2Preface starts every HTTP/2 connection (RFC 9113 §3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// httpListener serves an HTTP connection manager's connections: HTTP/1.x
// with the proxy's own codec (internal/h1), HTTP/2 (prior knowledge h2c,
// or "h2" by ALPN) with golang.org/x/net/http2. RATIONALE.md says why.
type httpListener struct {
	h    *httpConnManager
	h2   *http2.Server
	base *http.Server // the HTTP/2 server's base config; Shutdown sends GOAWAY

	mu       sync.Mutex
	conns    map[*http1Conn]struct{}
	h2conns  map[net.Conn]struct{} // connections served by the HTTP/2 server
	wg       sync.WaitGroup
	draining atomic.Bool
}

func newHTTPListener(h *httpConnManager) *httpListener {
	l := &httpListener{h: h, h2: &http2.Server{IdleTimeout: connIdleTimeout}, conns: map[*http1Conn]struct{}{}, h2conns: map[net.Conn]struct{}{}}
	l.base = &http.Server{Handler: h, IdleTimeout: connIdleTimeout}
	_ = http2.ConfigureServer(l.base, l.h2)
	return l
}

// serve accepts connections until ln is closed.
func (l *httpListener) serve(ln net.Listener) error {
	stop := make(chan struct{})
	defer close(stop)
	go l.watch(stop)
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		l.wg.Add(1)
		go l.serveConn(c)
	}
}

// shutdown stops serving: idle connections close now, busy ones after
// their current request (which gets "connection: close"; HTTP/2 ones get
// GOAWAY); after ctx ends, every connection is closed, then abort ends the
// requests still waiting for their upstream (it closes the upstream
// connections).
func (l *httpListener) shutdown(ctx context.Context, ln net.Listener, abort func()) {
	ln.Close()
	l.draining.Store(true)
	_ = l.base.Shutdown(ctx) // GOAWAY on HTTP/2 connections
	l.mu.Lock()
	for c := range l.conns {
		if c.idle.Load() {
			c.c.Close()
		}
	}
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.mu.Lock()
		for c := range l.conns {
			c.c.Close()
			c.goAway()
		}
		for c := range l.h2conns {
			c.Close()
		}
		l.mu.Unlock()
		abort()
		<-done
	}
}

// http1Conn is one downstream HTTP/1.x connection. Its buffers, header
// maps and exchange are reused request after request.
type http1Conn struct {
	l    *httpListener
	c    net.Conn
	ci   *connInfo
	tls  *tls.ConnectionState
	br   *bufio.Reader
	bw   *bufio.Writer
	ctx  context.Context
	idle atomic.Bool

	head     h1.Head
	body     h1.Body
	scratch  []byte
	req      host.Headers
	resp     host.Headers
	x        exchange
	props    streamProps
	deadline time.Time // when the read deadline was last pushed back

	// Clients that go away mid-request (watch): busySince is when the
	// current request started (idle false); gone closes, and cancel ends
	// the upstream wait, once the client closed.
	busySince atomic.Int64
	cancel    cluster.Canceler
	gone      chan struct{}
	goneShut  bool // gone is closed; guarded by l.mu

	// The response being written.
	isHead, chunked, noBody, wrote bool
}

var http1Conns = sync.Pool{New: func() any {
	return &http1Conn{br: bufio.NewReaderSize(nil, 4<<10), bw: bufio.NewWriterSize(nil, 4<<10)}
}}

func (l *httpListener) serveConn(c net.Conn) {
	defer l.wg.Done()
	h := l.h
	h.cxTotal.Add(1)
	h.cxActive.Add(1)
	defer h.cxActive.Add(-1)
	defer c.Close()
	ci := h.srv.newConn(c)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), connKey{}, ci))
	defer cancel()
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			h.srv.log.Logf("http", host.LogDebug, "tls handshake from %s: %v", ci.remote, err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
		cs := tc.ConnectionState()
		ci.tls = &cs
		if cs.NegotiatedProtocol == http2.NextProtoTLS {
			l.serveH2(ctx, c)
			return
		}
	}
	hc := http1Conns.Get().(*http1Conn)
	// The exchanges' context is never canceled: a context that can be
	// canceled costs an allocation and a lock per upstream request. A
	// client that goes away mid-request is noticed by watch, which ends
	// the request through gone and cancel instead.
	*hc = http1Conn{br: hc.br, bw: hc.bw, scratch: hc.scratch, req: hc.req, resp: hc.resp, body: hc.body,
		l: l, c: c, ci: ci, tls: ci.tls, ctx: context.Background(), gone: make(chan struct{})}
	hc.br.Reset(c)
	hc.bw.Reset(c)
	defer func() {
		hc.br.Reset(nil)
		hc.bw.Reset(nil)
		hc.x, hc.props, hc.ctx, hc.c, hc.l = exchange{}, streamProps{}, nil, nil, nil
		http1Conns.Put(hc)
	}()
	hc.idle.Store(true) // until its first request: shutdown closes it
	l.mu.Lock()
	l.conns[hc] = struct{}{}
	draining := l.draining.Load()
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.conns, hc)
		l.mu.Unlock()
	}()
	if draining {
		return
	}
	if hc.h2c() {
		l.serveH2(ctx, &bufferedConn{Conn: c, r: hc.br})
		return
	}
	for hc.serveOne() {
	}
}

// watch notices clients that go away while their request is in progress.
// Nobody reads a busy HTTP/1.1 connection, so once a second it peeks at the
// connections busy for more than a second; at EOF it cancels the request's
// upstream wait and ends its filters' waits, as Envoy resets a stream whose
// downstream disconnected (response code 0, flag DC). HTTP/2 streams learn
// it from their context.
func (l *httpListener) watch(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		before := time.Now().Add(-time.Second).UnixNano()
		l.mu.Lock()
		for hc := range l.conns {
			if !hc.goneShut && !hc.idle.Load() && hc.busySince.Load() <= before && peerClosed(hc.c) {
				hc.goAway()
			}
		}
		l.mu.Unlock()
	}
}

// goAway ends the connection's request: its filters stop waiting, its
// upstream wait is canceled. Must hold l.mu.
func (hc *http1Conn) goAway() {
	if !hc.goneShut {
		hc.goneShut = true
		close(hc.gone)
		hc.cancel.Cancel()
	}
}

// h2c reports whether the client starts with the HTTP/2 preface (prior
// knowledge h2c), without consuming it.
func (hc *http1Conn) h2c() bool {
	_ = hc.c.SetReadDeadline(time.Now().Add(connIdleTimeout))
	b, err := hc.br.Peek(1)
	if err != nil || b[0] != 'P' {
		return false
	}
	for n := 2; n <= len(h2Preface); n++ {
		b, err := hc.br.Peek(n)
		if err != nil || b[n-1] != h2Preface[n-1] {
			return false
		}
	}
	return true
}

func (l *httpListener) serveH2(ctx context.Context, c net.Conn) {
	l.mu.Lock()
	l.h2conns[c] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.h2conns, c)
		l.mu.Unlock()
	}()
	l.h2.ServeConn(c, &http2.ServeConnOpts{Context: ctx, BaseConfig: l.base, Handler: l.h})
}

// bufferedConn reads what a bufio.Reader holds before the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// serveOne reads and serves one request; false ends the connection.
func (hc *http1Conn) serveOne() (keep bool) {
	hc.idle.Store(true) // before the draining check: shutdown sees one or the other
	if hc.l.draining.Load() {
		return false
	}
	if now := time.Now(); now.Sub(hc.deadline) > time.Minute {
		hc.deadline = now
		_ = hc.c.SetReadDeadline(now.Add(connIdleTimeout))
	}
	if hc.br.Buffered() == 0 {
		if _, err := hc.br.Peek(1); err != nil {
			return false
		}
	}
	hc.idle.Store(false)
	hd, err := h1.ReadRequest(hc.br, &hc.req, hc.tls != nil, &hc.scratch)
	if err != nil {
		var he *h1.Error
		if errors.As(err, &he) {
			hc.l.h.srv.log.Logf("http", host.LogDebug, "[C%d] %s: %v", hc.ci.id, hc.ci.remote, err)
			hc.codecError(he)
		}
		return false
	}
	hc.head = hd
	hc.body.Reset(hc.br, hd)
	if hd.Continue {
		hc.body.OnFirstRead = hc.sendContinue
	}
	m, _ := hc.req.GetBytes(":method")
	hc.isHead, hc.chunked, hc.noBody, hc.wrote = string(m) == "HEAD", false, false, false
	x := &hc.x
	*x = exchange{hcm: hc.l.h, worker: hc.ci.worker, down: hc, ctx: hc.ctx, events: x.events, streamBuf: x.streamBuf, start: time.Now(),
		reqHeaders: &hc.req, reqEOS: hd.Framing == h1.NoBody, upgrade: hd.Upgrade, respStore: &hc.resp, cancel: &hc.cancel, gone: hc.gone}
	hc.busySince.Store(x.start.UnixNano())
	if x.events == nil {
		x.events = make(chan event, 16)
	}
	hc.props = streamProps{x: x, connID: hc.ci.id, source: hc.ci.remote, dest: hc.ci.local}
	x.props = &hc.props
	aborted := hc.serveExchange()
	if aborted || !hc.wrote {
		return false
	}
	if hc.body.OnFirstRead != nil {
		// The client waits for "100 Continue" that the final response
		// made moot: it may send the body or not, so the connection ends.
		hc.bw.Flush()
		return false
	}
	if !hc.body.Done() && !hc.drainBody() {
		hc.bw.Flush()
		return false
	}
	if hc.head.Close || hc.l.draining.Load() {
		hc.bw.Flush()
		return false
	}
	if hc.br.Buffered() == 0 { // nothing pipelined: send now
		if hc.bw.Flush() != nil {
			return false
		}
	}
	return true
}

// serveExchange runs the exchange; a reset (http.ErrAbortHandler) drops
// the connection, and so does a panic, which is logged with its stack (as
// net/http does) instead of taking the process down.
func (hc *http1Conn) serveExchange() (aborted bool) {
	defer func() {
		if r := recover(); r != nil {
			if r != http.ErrAbortHandler {
				hc.l.h.srv.log.Logf("http", host.LogError, "[C%d] panic serving %s: %v\n%s", hc.ci.id, hc.ci.remote, r, debug.Stack())
			}
			aborted = true
		}
	}()
	hc.l.h.serve(&hc.x)
	return false
}

// drainBody reads what is left of a request body the exchange did not
// consume (a local reply before the body), up to 256 KiB, so that the
// connection can serve the next request.
func (hc *http1Conn) drainBody() bool {
	n, err := io.CopyN(io.Discard, &hc.body, 256<<10)
	return err == io.EOF || (err == nil && n < 256<<10 && hc.body.Done())
}

func (hc *http1Conn) sendContinue() {
	h1.WriteContinue(hc.bw)
	_ = hc.bw.Flush()
}

// codecError answers a request the codec refused, as Envoy: the status,
// its reason as the body, and the connection closes.
func (hc *http1Conn) codecError(e *h1.Error) {
	hc.resp.Reset()
	body := http.StatusText(e.Status)
	hc.resp.Add("content-type", "text/plain")
	hc.resp.Add("server", hc.l.h.serverName)
	hc.resp.Add("date", httpDate())
	h1.WriteResponseHead(hc.bw, 1, e.Status, &hc.resp, int64(len(body)), false, true)
	hc.bw.WriteString(body)
	_ = hc.bw.Flush()
}

// downstream, for the exchange.

func (hc *http1Conn) proto() string {
	if hc.head.Minor == 0 {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}
func (hc *http1Conn) tlsState() *tls.ConnectionState { return hc.tls }
func (hc *http1Conn) remoteAddr() string             { return hc.ci.remote }
func (hc *http1Conn) readBody(p []byte) (int, error) { return hc.body.Read(p) }
func (hc *http1Conn) trailers() *host.Headers        { return &hc.body.Trailers }

func (hc *http1Conn) writeHead(status int, h *host.Headers, length int64) {
	hc.wrote = true
	hc.noBody = hc.isHead || status == 204 || status == 304 || status < 200
	if hc.isHead { // the upstream's length of the body it did not send
		length = -1
		if v, ok := h.GetBytes("content-length"); ok {
			length = int64(atoi(v))
		}
	}
	hc.chunked = length < 0 && !hc.noBody && hc.head.Minor == 1
	if length < 0 && !hc.chunked && !hc.noBody {
		hc.head.Close = true // HTTP/1.0: the body ends with the connection
	}
	if status == 204 || status == 304 {
		length = -1
	}
	if status == 101 && hc.x.upgrade {
		length = h1.Upgrade
	}
	h1.WriteResponseHead(hc.bw, hc.head.Minor, status, h, length, hc.chunked, hc.head.Close || hc.l.draining.Load())
}

func (hc *http1Conn) write(p []byte) {
	switch {
	case hc.noBody:
	case hc.chunked:
		h1.WriteChunk(hc.bw, p)
	default:
		_, _ = hc.bw.Write(p)
	}
}

func (hc *http1Conn) flush() { _ = hc.bw.Flush() }

// hijack hands the connection to a tunnel: no request follows on it, and
// its idle deadline no longer applies.
func (hc *http1Conn) hijack() (net.Conn, *bufio.Reader) {
	hc.head.Close = true
	_ = hc.c.SetDeadline(time.Time{})
	return hc.c, hc.br
}

func (hc *http1Conn) end(trailers *host.Headers) {
	if hc.chunked {
		h1.WriteLastChunk(hc.bw, trailers)
	}
}
