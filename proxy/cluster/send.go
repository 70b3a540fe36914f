package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	wasmhost "github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy/internal/h1"
)

// Request is an HTTP request in the data plane's header representation.
type Request struct {
	// Headers holds :method, :path, :authority and the fields to send;
	// connection-specific fields (connection, transfer-encoding, ...) are
	// not sent, the codec frames the body itself.
	Headers *wasmhost.Headers
	// Body is the whole request body; nil for none.
	Body []byte
	// Trailers, if not empty, are sent after the body (chunked).
	Trailers *wasmhost.Headers
	// Deadline, if not zero, bounds the exchange until the response body is
	// read: past it, Send fails or the body read fails, with Kind Timeout
	// (Envoy's route timeout).
	Deadline time.Time
	// HeadersDeadline, if not zero and before Deadline, bounds the exchange
	// until the response head is read (a retry policy's per_try_timeout):
	// past it, Send fails with Kind Timeout.
	HeadersDeadline time.Time
	// Avoid lists endpoints ("ip:port") to stay away from (a retry's
	// previous hosts): the load balancer picks again, at most Reselect
	// times, while it picks one of them.
	Avoid    []string
	Reselect int
	// AutoHostRewrite sets :authority to the picked endpoint's hostname,
	// when it has one (Envoy's auto_host_rewrite).
	AutoHostRewrite bool
	// Cancel, if set, lets another goroutine end the request while it
	// waits for its response head on an HTTP/1.1 connection (a client
	// that went away): the request then fails with Kind Reset, "local
	// reset", as when ctx is canceled, without the per-request cost of
	// watching a context.
	Cancel *Canceler
	// Upgrade sends a request that switches protocols (its upgrade field
	// names the protocol) with "connection: upgrade", on a connection of
	// its own. A 101 response's Body is a Tunnel; after any other response
	// the connection closes. HTTP/1.1 clusters only.
	Upgrade bool
	// Picked is set by Send to the endpoint the load balancer picked
	// (%UPSTREAM_HOST%), also when the request then fails.
	Picked Endpoint
}

// Body is a response body. Read returns io.EOF at its end; then Trailers
// returns the trailers (nil or empty without). It must be closed.
type Body interface {
	io.ReadCloser
	Trailers() *wasmhost.Headers
}

// Tunnel is the body of a 101 response to an upgrade request: the
// upstream connection itself, both ways. Close closes it.
type Tunnel interface {
	Body
	io.Writer
	// CloseWrite half-closes the connection: the upstream reads EOF.
	CloseWrite() error
}

// Send sends req to an endpoint picked by the load balancer and reads the
// response head into resp (":status" first, then the fields). eos reports
// a response without a body. The request's endpoint counts as active until
// the body is read to its end or closed. ctx cancels the exchange (a
// failure of Kind Reset, "local reset"). Failures are *Error values, with
// Envoy's reset reasons.
//
// HTTP/1.1 clusters use the data plane's own codec and connection pool
// (a connection serves one request at a time and returns to the pool when
// its response body is read to the end); HTTP/2 clusters use
// golang.org/x/net/http2.
func (c *Cluster) Send(ctx context.Context, req *Request, resp *wasmhost.Headers) (body Body, eos bool, err error) {
	h := c.pick()
	for i := 0; h != nil && i < req.Reselect && slices.Contains(req.Avoid, h.addr); i++ {
		h = c.pick()
	}
	if h == nil {
		c.stats.cxNoneHealthy.Add(1)
		return nil, false, &Error{Kind: NoHealthyUpstream, Cluster: c.spec.name, Err: errors.New("no healthy upstream")}
	}
	req.Picked = Endpoint{Address: h.addr, Hostname: h.hostname}
	if req.AutoHostRewrite && h.hostname != "" {
		req.Headers.Set(":authority", h.hostname)
	}
	c.stats.rqTotal.Add(1)
	c.stats.rqActive.Add(1)
	h.st.rqTotal.Add(1)
	h.st.rqActive.Add(1)
	switch {
	case req.Upgrade && c.spec.http2:
		err = errors.New("upgrade to an HTTP/2 upstream")
	case req.Upgrade:
		body, eos, err = c.sendUpgrade(ctx, h, req, resp)
	case c.spec.http2:
		body, eos, err = c.sendHTTP2(ctx, h, req, resp)
	default:
		body, eos, err = c.sendHTTP1(ctx, h, req, resp)
	}
	if err != nil {
		c.stats.rqActive.Add(-1)
		h.st.rqActive.Add(-1)
		h.st.rqError.Add(1)
		if first := req.headDeadline(); ctx.Err() == nil && !first.IsZero() && !time.Now().Before(first) {
			err = errTimeout{err}
		}
		return nil, false, c.failure(ctx, h, err, true)
	}
	status, _ := resp.GetBytes(":status")
	code, _ := strconv.Atoi(string(status))
	if class := code / 100; class >= 1 && class <= 5 {
		c.stats.rqClass[class].Add(1)
	}
	if code >= 500 {
		h.st.rqError.Add(1)
	} else {
		h.st.rqSuccess.Add(1)
	}
	return body, eos, nil
}

// headDeadline is the deadline until the response head is read: the
// earlier of HeadersDeadline and Deadline.
func (req *Request) headDeadline() time.Time {
	if hd := req.HeadersDeadline; !hd.IsZero() && (req.Deadline.IsZero() || hd.Before(req.Deadline)) {
		return hd
	}
	return req.Deadline
}

// Canceler ends a request from another goroutine (Request.Cancel). It
// stays canceled: it belongs to one client connection, which ends with the
// request that was canceled.
type Canceler struct {
	mu       sync.Mutex
	conn     net.Conn
	canceled bool
}

// Cancel ends the request: at once if it waits on an upstream connection,
// else when it next gets one.
func (c *Canceler) Cancel() {
	c.mu.Lock()
	c.canceled = true
	if c.conn != nil {
		_ = c.conn.SetDeadline(aLongTimeAgo)
	}
	c.mu.Unlock()
}

// attach reports the connection a request now waits on; false if the
// request was canceled.
func (c *Canceler) attach(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
	return !c.canceled
}

// detach ends the wait; it reports whether the request was canceled.
func (c *Canceler) detach() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = nil
	return c.canceled
}

// errCanceled is a request ended through its Canceler.
var errCanceled = errors.New("request canceled")

// errTimeout marks a failure past the request's deadline.
type errTimeout struct{ error }

func (e errTimeout) Unwrap() error { return e.error }

// h1Conn is a pooled HTTP/1.1 upstream connection.
type h1Conn struct {
	c       *Cluster
	h       *host
	conn    net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	idle    time.Time // when it went back to the pool
	scratch []byte
	body    h1Body
}

// h1Body is the body of the response being read on a connection.
type h1Body struct {
	hc       *h1Conn
	b        h1.Body
	close    bool // the connection cannot serve another request
	finished bool
	stop     func() bool
	deadline bool      // a deadline is set on the connection
	until    time.Time // the request's deadline
}

// idlePool holds a host's idle HTTP/1.1 connections, most recent last.
type idlePool struct {
	mu      sync.Mutex
	conns   []*h1Conn
	retired bool // the host left the cluster
}

// maxIdlePerHost bounds a host's idle connections.
const maxIdlePerHost = 1024

func (p *idlePool) get() *h1Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.conns); n > 0; n = len(p.conns) {
		hc := p.conns[n-1]
		p.conns[n-1] = nil
		p.conns = p.conns[:n-1]
		if time.Since(hc.idle) < idleTimeout {
			return hc
		}
		hc.conn.Close()
	}
	return nil
}

func (p *idlePool) put(hc *h1Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.conns) >= maxIdlePerHost || p.retired {
		return false
	}
	hc.idle = time.Now()
	p.conns = append(p.conns, hc)
	return true
}

// retire closes the idle connections and keeps new ones from idling.
func (p *idlePool) retire() {
	p.closeAll()
	p.mu.Lock()
	p.retired = true
	p.mu.Unlock()
}

func (p *idlePool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, hc := range p.conns {
		hc.conn.Close()
		p.conns[i] = nil
	}
	p.conns = p.conns[:0]
}

// aLongTimeAgo is a deadline in the past: it interrupts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

func (c *Cluster) sendHTTP1(ctx context.Context, h *host, req *Request, resp *wasmhost.Headers) (Body, bool, error) {
	method, _ := req.Headers.GetBytes(":method")
	isHead := string(method) == "HEAD"
	first := req.headDeadline()
	for attempt := 0; ; attempt++ {
		hc := h.pool.get()
		reused := hc != nil
		if !reused {
			conn, err := c.dialPooled(ctx, h, first)
			if err != nil {
				return nil, false, err
			}
			hc = &h1Conn{c: c, h: h, conn: conn, br: bufio.NewReaderSize(conn, 4<<10), bw: bufio.NewWriterSize(conn, 4<<10)}
			hc.body.hc = hc
		}
		b := &hc.body
		b.close, b.finished, b.deadline, b.stop, b.until = false, false, false, nil, req.Deadline
		if !first.IsZero() {
			b.deadline = true
			_ = hc.conn.SetDeadline(first)
		}
		if ctx.Done() != nil {
			conn := hc.conn
			b.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
		}
		if req.Cancel != nil && !req.Cancel.attach(hc.conn) {
			b.close = true
			b.release()
			return nil, false, errCanceled
		}
		werr := hc.writeRequest(req)
		if werr == nil {
			// A reused connection the upstream closed while idle fails here,
			// before any byte of a response: such a request was not
			// processed and is sent again on a new connection, once.
			if _, werr = hc.br.Peek(1); werr == nil {
				hd, err := h1.ReadResponse(hc.br, resp, isHead, &hc.scratch)
				if req.Cancel != nil && req.Cancel.detach() {
					err = errCanceled
				}
				if err != nil {
					b.close = true
					b.release()
					return nil, false, err
				}
				b.b.Reset(hc.br, hd)
				b.close = hd.Close
				if !first.Equal(req.Deadline) { // the head is in: the body has the route's deadline
					_ = hc.conn.SetDeadline(req.Deadline)
					b.deadline = !req.Deadline.IsZero()
				}
				if hd.Framing == h1.NoBody {
					b.b.Reset(hc.br, hd)
					b.finish()
					return b, true, nil
				}
				return b, false, nil
			}
		}
		b.close = true
		b.release()
		if req.Cancel != nil && req.Cancel.detach() {
			return nil, false, errCanceled
		}
		if !reused || attempt > 0 || ctx.Err() != nil || !idempotent(method) {
			return nil, false, werr
		}
		if _, ok := werr.(*h1.Error); ok {
			return nil, false, werr
		}
	}
}

// sendUpgrade sends an upgrade request on a connection of its own. After a
// 101 the body is the tunnel, and the route's deadline no longer applies
// (Envoy disarms the route timeout on the upgrade response); after any
// other response the connection closes once its body is read.
func (c *Cluster) sendUpgrade(ctx context.Context, h *host, req *Request, resp *wasmhost.Headers) (Body, bool, error) {
	first := req.headDeadline()
	conn, err := c.dialPooled(ctx, h, first)
	if err != nil {
		return nil, false, err
	}
	hc := &h1Conn{c: c, h: h, conn: conn, br: bufio.NewReaderSize(conn, 4<<10), bw: bufio.NewWriterSize(conn, 4<<10)}
	b := &hc.body
	b.hc, b.close, b.until = hc, true, req.Deadline
	if !first.IsZero() {
		b.deadline = true
		_ = conn.SetDeadline(first)
	}
	if ctx.Done() != nil {
		b.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
	}
	err = h1.WriteRequestHead(hc.bw, req.Headers, h1.Upgrade, false)
	if err == nil {
		err = hc.bw.Flush()
	}
	var hd h1.Head
	if err == nil {
		hd, err = h1.ReadResponse(hc.br, resp, false, &hc.scratch)
	}
	if err != nil {
		b.release()
		return nil, false, err
	}
	if hd.Status == 101 {
		_ = conn.SetDeadline(time.Time{})
		b.deadline = false
		return &tunnel{h1Body: b}, false, nil
	}
	b.b.Reset(hc.br, hd)
	if hd.Framing == h1.NoBody {
		b.finish()
		return b, true, nil
	}
	return b, false, nil
}

// tunnel is an upgraded connection: reads and writes go straight to it.
// Close may be called from both relaying goroutines.
type tunnel struct {
	*h1Body
	once sync.Once
}

func (t *tunnel) Close() error {
	t.once.Do(func() { _ = t.h1Body.Close() })
	return nil
}

func (t *tunnel) Read(p []byte) (int, error)  { return t.hc.br.Read(p) }
func (t *tunnel) Write(p []byte) (int, error) { return t.hc.conn.Write(p) }
func (t *tunnel) CloseWrite() error {
	if cw, ok := t.hc.conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// idempotent methods may be sent again after a reused connection failed
// (RFC 9110 §9.2.2), as Go's Transport does; Envoy has no retry without a
// retry policy, so others are not.
func idempotent(method []byte) bool {
	switch string(method) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// dialPooled opens a connection for the pool, within connect_timeout, the
// request's deadline and ctx.
func (c *Cluster) dialPooled(ctx context.Context, h *host, deadline time.Time) (net.Conn, error) {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	if c.spec.tls != nil {
		return c.dialTLSHost(ctx, "tcp", h.addr, h)
	}
	return c.dialHost(ctx, "tcp", h.addr, h)
}

func (hc *h1Conn) writeRequest(req *Request) error {
	length, chunked := int64(-1), false
	switch {
	case req.Trailers != nil && req.Trailers.Len() > 0:
		chunked = true
	case req.Body != nil:
		length = int64(len(req.Body))
	default:
		if _, ok := req.Headers.GetBytes("content-length"); ok {
			length = 0
		}
	}
	if err := h1.WriteRequestHead(hc.bw, req.Headers, length, chunked); err != nil {
		return err
	}
	if chunked {
		h1.WriteChunk(hc.bw, req.Body)
		h1.WriteLastChunk(hc.bw, req.Trailers)
	} else {
		_, _ = hc.bw.Write(req.Body)
	}
	return hc.bw.Flush()
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.finished {
		return 0, io.EOF
	}
	n, err := b.b.Read(p)
	if err == io.EOF {
		b.finish()
		return n, io.EOF
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) && b.deadline && !time.Now().Before(b.until) {
			b.hc.c.stats.rqTimeout.Add(1)
			b.hc.h.st.rqTimeout.Add(1)
		}
		b.close = true
		b.finish()
	}
	return n, err
}

func (b *h1Body) Trailers() *wasmhost.Headers { return &b.b.Trailers }

// Close ends the response and hands the connection back to the pool (or
// closes it, when the body was not read to its end). It must be called
// once: after it, the connection may serve another request.
func (b *h1Body) Close() error {
	if !b.finished {
		b.close = true
		b.finish()
	}
	b.release()
	return nil
}

// finish ends the request's active count.
func (b *h1Body) finish() {
	if b.finished {
		return
	}
	b.finished = true
	b.hc.c.stats.rqActive.Add(-1)
	b.hc.h.st.rqActive.Add(-1)
}

// release gives the connection back to the pool, or closes it.
func (b *h1Body) release() {
	hc := b.hc
	if b.stop != nil && !b.stop() {
		b.close = true // ctx was canceled: the deadline is in the past
	}
	b.stop = nil
	if !b.close && b.deadline {
		b.close = hc.conn.SetDeadline(time.Time{}) != nil
	}
	if b.close || hc.br.Buffered() > 0 || !hc.h.pool.put(hc) {
		hc.conn.Close()
	}
}

// sendHTTP2 sends req with the cluster's HTTP/2 transport; the deadline
// becomes the request context's, canceled when the body ends.
func (c *Cluster) sendHTTP2(ctx context.Context, h *host, req *Request, resp *wasmhost.Headers) (Body, bool, error) {
	cancel := context.CancelFunc(func() {})
	if !req.Deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
	}
	var perTry *time.Timer
	if first := req.headDeadline(); !first.Equal(req.Deadline) {
		// Until the response head: the attempt's own, earlier deadline.
		var cancelTry context.CancelFunc
		ctx, cancelTry = context.WithCancel(ctx)
		perTry = time.AfterFunc(time.Until(first), cancelTry)
		route := cancel
		cancel = func() { perTry.Stop(); cancelTry(); route() }
	}
	hr, err := NewHTTPRequest(ctx, req)
	if err != nil {
		cancel()
		return nil, false, err
	}
	body, eos, err := c.roundTripHTTP2(ctx, h, hr, resp)
	if perTry != nil {
		perTry.Stop()
	}
	if err != nil {
		cancel()
		return nil, false, err
	}
	body.cancel = cancel
	return body, eos, nil
}

func (c *Cluster) roundTripHTTP2(ctx context.Context, h *host, hr *http.Request, resp *wasmhost.Headers) (*stdBody, bool, error) {
	u := *hr.URL
	u.Scheme, u.Host = "http", h.addr
	if c.spec.tls != nil {
		u.Scheme = "https"
	}
	hr.URL = &u
	hr = hr.WithContext(context.WithValue(ctx, hostKey{}, h))
	c.sanitizeHeader(hr)
	r, err := c.rt.RoundTrip(hr)
	if err != nil {
		return nil, false, err
	}
	ResponseHeaders(r, resp)
	b := &stdBody{c: c, h: h, r: r}
	if r.ContentLength == 0 || hr.Method == "HEAD" {
		return b, true, nil
	}
	return b, false, nil
}

// stdBody is a net/http response body.
type stdBody struct {
	c        *Cluster
	h        *host
	r        *http.Response
	cancel   context.CancelFunc
	tr       *wasmhost.Headers
	finished bool
}

func (b *stdBody) Read(p []byte) (int, error) {
	n, err := b.r.Body.Read(p)
	if err != nil {
		if err != io.EOF && errors.Is(err, context.DeadlineExceeded) {
			b.c.stats.rqTimeout.Add(1)
			b.h.st.rqTimeout.Add(1)
		}
		b.finish()
	}
	return n, err
}

func (b *stdBody) Trailers() *wasmhost.Headers {
	if b.tr == nil && len(b.r.Trailer) > 0 {
		b.tr = &wasmhost.Headers{}
		for k, vs := range b.r.Trailer {
			for _, v := range vs {
				b.tr.Add(k, v)
			}
		}
	}
	return b.tr
}

func (b *stdBody) Close() error {
	err := b.r.Body.Close()
	b.finish()
	return err
}

func (b *stdBody) finish() {
	if b.finished {
		return
	}
	b.finished = true
	b.c.stats.rqActive.Add(-1)
	b.h.st.rqActive.Add(-1)
	if b.cancel != nil {
		b.cancel()
	}
}

// NewHTTPRequest converts req to a net/http request for "http://upstream"
// (the transport replaces the URL's host with the endpoint).
func NewHTTPRequest(ctx context.Context, req *Request) (*http.Request, error) {
	h := req.Headers
	method, _ := h.Get(":method")
	path, _ := h.Get(":path")
	authority, _ := h.Get(":authority")
	var rd io.Reader
	if req.Body != nil {
		rd = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, "http://upstream"+path, rd)
	if err != nil {
		return nil, err
	}
	hr.Host = authority
	for i := 0; i < h.Len(); i++ {
		k, v := h.Field(i)
		switch {
		case len(k) > 0 && k[0] == ':':
		case string(k) == "content-length", string(k) == "transfer-encoding", string(k) == "connection", string(k) == "host":
		default:
			hr.Header.Add(string(k), string(v))
		}
	}
	if _, ok := hr.Header["User-Agent"]; !ok {
		hr.Header["User-Agent"] = nil // no Go default
	}
	hr.ContentLength = int64(len(req.Body))
	if t := req.Trailers; t != nil && t.Len() > 0 {
		if hr.Body == nil {
			// Trailers need a body stream to follow (x/net/http2 ends the
			// stream with the headers otherwise); NoBody would be dropped.
			hr.Body = io.NopCloser(strings.NewReader(""))
		}
		hr.Trailer = http.Header{}
		for i := 0; i < t.Len(); i++ {
			k, v := t.Field(i)
			hr.Trailer.Add(string(k), string(v))
		}
		hr.ContentLength = -1
	}
	return hr, nil
}

// ResponseHeaders fills h (reset first) from a net/http response: ":status",
// then the fields, names lower-cased.
func ResponseHeaders(r *http.Response, h *wasmhost.Headers) {
	h.Reset()
	h.Add(":status", strconv.Itoa(r.StatusCode))
	for k, vs := range r.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if r.ContentLength >= 0 && r.Header.Get("content-length") == "" {
		h.Add("content-length", strconv.FormatInt(r.ContentLength, 10))
	}
}
