package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	"golang.org/x/net/http2"

	"github.com/wasmesh/wasmesh/proxy/internal/h1"
)

// initTransport creates the cluster's single connection pool.
func (c *Cluster) initTransport() {
	c.dialer = net.Dialer{Timeout: c.spec.connectTimeout}
	if c.spec.http2 {
		t := &http2.Transport{
			AllowHTTP:          true,
			DisableCompression: true,
			IdleConnTimeout:    idleTimeout,
			// Dials use the cluster's own TLS config (transport_socket),
			// or are plain TCP (h2c) without one.
			DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
				if c.spec.tls != nil {
					return c.dialTLSAddr(ctx, network, addr)
				}
				return c.dialAddr(ctx, network, addr)
			},
		}
		c.rt, c.closer = t, t
		return
	}
	t := &http.Transport{
		Proxy:               nil, // never from the environment
		DialContext:         c.dialAddr,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     idleTimeout,
		DisableCompression:  true,
		// A non-nil empty map keeps HTTP/2 off.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if c.spec.tls != nil {
		t.DialTLSContext = c.dialTLSAddr
	}
	c.rt, c.closer = t, t
}

func (c *Cluster) closeIdle() {
	c.closer.CloseIdleConnections()
	for _, h := range c.hosts.Load().hosts {
		h.pool.closeAll()
	}
}

type hostKey struct{}

// dialAddr is the pools' dialer: the host comes from the request context
// (set by RoundTrip), else from the address.
func (c *Cluster) dialAddr(ctx context.Context, network, addr string) (net.Conn, error) {
	h, _ := ctx.Value(hostKey{}).(*host)
	if h == nil || h.addr != addr {
		h = c.hosts.Load().byAddr[addr]
	}
	return c.dialHost(ctx, network, addr, h)
}

// dialError marks a failed connection attempt.
type dialError struct {
	timeout bool
	err     error
}

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// dialHost connects within connect_timeout and counts the connection.
func (c *Cluster) dialHost(ctx context.Context, network, addr string, h *host) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, network, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // the caller gave up; not the endpoint's fault
		}
		timeout := errors.Is(err, os.ErrDeadlineExceeded)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			timeout = true
		}
		c.stats.cxConnectFail.Add(1)
		if timeout {
			c.stats.cxConnectTimeout.Add(1)
		}
		if h != nil {
			h.st.cxConnectFail.Add(1)
		}
		return nil, &dialError{timeout: timeout, err: err}
	}
	c.stats.cxTotal.Add(1)
	c.stats.cxActive.Add(1)
	if h != nil {
		h.st.cxTotal.Add(1)
		h.st.cxActive.Add(1)
	}
	t := &trackedConn{Conn: conn, c: c, h: h}
	c.liveMu.Lock()
	if c.live == nil {
		c.live = map[*trackedConn]struct{}{}
	}
	c.live[t] = struct{}{}
	c.liveMu.Unlock()
	return t, nil
}

// closeAll closes every upstream connection, idle or in use: requests
// waiting on one fail at once.
func (c *Cluster) closeAll() {
	c.liveMu.Lock()
	live := make([]*trackedConn, 0, len(c.live))
	for t := range c.live {
		live = append(live, t)
	}
	c.liveMu.Unlock()
	for _, t := range live {
		t.Close()
	}
}

// trackedConn decrements the active connection gauges when closed. It keeps
// the half-close and zero-copy methods of *net.TCPConn reachable.
type trackedConn struct {
	net.Conn
	c      *Cluster
	h      *host
	closed atomic.Bool
}

func (t *trackedConn) Close() error {
	if t.closed.CompareAndSwap(false, true) {
		t.c.liveMu.Lock()
		delete(t.c.live, t)
		t.c.liveMu.Unlock()
		t.c.stats.cxActive.Add(-1)
		if t.h != nil {
			t.h.st.cxActive.Add(-1)
		}
	}
	return t.Conn.Close()
}

// CloseWrite shuts down the writing side (TCP half-close).
func (t *trackedConn) CloseWrite() error {
	if cw, ok := t.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// CloseRead shuts down the reading side.
func (t *trackedConn) CloseRead() error {
	if cr, ok := t.Conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return errors.ErrUnsupported
}

// ReadFrom lets io.Copy use the connection's splice/sendfile path.
func (t *trackedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := t.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{t.Conn}, r)
}

// WriteTo lets io.Copy use the connection's splice path.
func (t *trackedConn) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := t.Conn.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, struct{ io.Reader }{t.Conn})
}

// Endpoint identifies the endpoint picked for a request.
type Endpoint struct {
	// Address is the endpoint's "ip:port".
	Address string
	// Hostname is the endpoint's hostname (see HostStats.Hostname); it is
	// what Envoy's auto_host_rewrite puts in :authority, when not empty.
	Hostname string
}

type pickHookKey struct{}

// WithPickHook returns a copy of ctx that makes RoundTrip call hook, for a
// request carrying that context, with the outgoing request and the endpoint
// it picked, just before sending. The hook may set out.Host (Envoy's
// auto_host_rewrite: out.Host = ep.Hostname when not empty) and record the
// endpoint (%UPSTREAM_HOST%, access logs). out.Header may be the caller's
// req.Header map: replace it with a clone rather than editing it if the
// caller's map must stay intact.
func WithPickHook(ctx context.Context, hook func(out *http.Request, ep Endpoint)) context.Context {
	return context.WithValue(ctx, pickHookKey{}, hook)
}

// RoundTrip sends req to an endpoint picked by the cluster's load balancer,
// over the cluster's protocol. req.URL's scheme and host are replaced by
// "http" ("https" for a TLS cluster) and the endpoint's address; req.Host (the :authority) is kept. The
// request's context bounds the whole exchange (the route timeout); the
// cluster's connect_timeout bounds connecting. Failures are *Error values.
// The endpoint's active request count lasts until the response body is
// read to the end or closed. RoundTrip does not modify req.
func (c *Cluster) RoundTrip(req *http.Request) (*http.Response, error) {
	h := c.pick()
	if h == nil {
		c.stats.cxNoneHealthy.Add(1)
		return nil, &Error{Kind: NoHealthyUpstream, Cluster: c.spec.name, Err: errors.New("no healthy upstream")}
	}
	ctx := req.Context()
	out := req.WithContext(context.WithValue(ctx, hostKey{}, h))
	u := *req.URL
	u.Scheme, u.Host = "http", h.addr
	if c.spec.tls != nil {
		u.Scheme = "https"
	}
	out.URL = &u
	out.RequestURI = ""
	c.sanitizeHeader(out)
	if hook, ok := ctx.Value(pickHookKey{}).(func(*http.Request, Endpoint)); ok && hook != nil {
		hook(out, Endpoint{Address: h.addr, Hostname: h.hostname})
	}

	c.stats.rqTotal.Add(1)
	c.stats.rqActive.Add(1)
	h.st.rqTotal.Add(1)
	h.st.rqActive.Add(1)
	resp, err := c.rt.RoundTrip(out)
	if err != nil {
		c.stats.rqActive.Add(-1)
		h.st.rqActive.Add(-1)
		h.st.rqError.Add(1)
		return nil, c.failure(ctx, h, err, true)
	}
	if class := resp.StatusCode / 100; class >= 1 && class <= 5 {
		c.stats.rqClass[class].Add(1)
	}
	if resp.StatusCode >= 500 {
		h.st.rqError.Add(1)
	} else {
		h.st.rqSuccess.Add(1)
	}
	tb := &trackedBody{ReadCloser: resp.Body, c: c, h: h, ctx: ctx}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
		resp.Body = &trackedRWBody{tb, rwc} // 101 Switching Protocols
	} else {
		resp.Body = tb
	}
	return resp, nil
}

// hopByHop are the connection-specific headers HTTP/2 forbids (Envoy's
// connection manager strips them from requests before routing).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}

// sanitizeHeader keeps Go's transports from adding what Envoy would not
// send: a default User-Agent, and for HTTP/2 connection-specific headers
// (which Go rejects). The caller's header map is copied before any change.
func (c *Cluster) sanitizeHeader(out *http.Request) {
	_, hasUA := out.Header["User-Agent"]
	strip := false
	if c.spec.http2 {
		for _, k := range hopByHop {
			if _, ok := out.Header[k]; ok {
				strip = true
			}
		}
	}
	if hasUA && !strip {
		return
	}
	hdr := out.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if !hasUA {
		hdr["User-Agent"] = []string{""} // present but empty: not sent
	}
	if strip {
		for _, k := range hopByHop {
			delete(hdr, k)
		}
	}
	out.Header = hdr
}

// Dial opens a TCP connection to an endpoint picked by the load balancer
// (for tcp_proxy), within connect_timeout and ctx; for a TLS cluster, the
// connection is a *tls.Conn whose handshake is done. It returns the
// endpoint's address, also on connection failures.
func (c *Cluster) Dial(ctx context.Context) (net.Conn, string, error) {
	h := c.pick()
	if h == nil {
		c.stats.cxNoneHealthy.Add(1)
		return nil, "", &Error{Kind: NoHealthyUpstream, Cluster: c.spec.name, Err: errors.New("no healthy upstream")}
	}
	dial := c.dialHost
	if c.spec.tls != nil {
		dial = c.dialTLSHost
	}
	conn, err := dial(ctx, "tcp", h.addr, h)
	if err != nil {
		return nil, h.addr, c.failure(ctx, h, err, false)
	}
	return conn, h.addr, nil
}

// failure classifies err and counts it.
func (c *Cluster) failure(ctx context.Context, h *host, err error, request bool) *Error {
	e := &Error{Cluster: c.spec.name, Host: h.addr, Err: err}
	var de *dialError
	var se http2.StreamError
	var te errTimeout
	var pe *h1.Error
	switch {
	case ctx.Err() == context.DeadlineExceeded, errors.As(err, &te):
		e.Kind = Timeout
		if request {
			c.stats.rqTimeout.Add(1)
			h.st.rqTimeout.Add(1)
		}
	case ctx.Err() != nil, errors.Is(err, errCanceled):
		e.Kind, e.Reason = Reset, "local reset"
		if request {
			c.stats.rqTxReset.Add(1)
		}
	case errors.As(err, &pe):
		e.Kind, e.Reason = Reset, "protocol error"
		c.stats.rqRxReset.Add(1)
	case errors.As(err, &de):
		e.Kind, e.Reason = ConnectFailure, "remote connection failure"
		if de.timeout {
			e.Reason = "connection timeout"
		}
	case errors.As(err, &se):
		e.Kind, e.Reason = Reset, "remote reset"
		if se.Code == http2.ErrCodeRefusedStream {
			e.Reason = "remote refused stream reset"
		}
		c.stats.rqRxReset.Add(1)
	default:
		e.Kind, e.Reason = Reset, "connection termination"
		c.stats.rqRxReset.Add(1)
	}
	return e
}

// trackedBody ends the request's active count once the body is done.
type trackedBody struct {
	io.ReadCloser
	c    *Cluster
	h    *host
	ctx  context.Context
	done atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		if err != io.EOF && b.ctx.Err() == context.DeadlineExceeded && !b.done.Load() {
			b.c.stats.rqTimeout.Add(1)
			b.h.st.rqTimeout.Add(1)
		}
		b.finish()
	}
	return n, err
}

func (b *trackedBody) Close() error {
	err := b.ReadCloser.Close()
	b.finish()
	return err
}

func (b *trackedBody) finish() {
	if b.done.CompareAndSwap(false, true) {
		b.c.stats.rqActive.Add(-1)
		b.h.st.rqActive.Add(-1)
	}
}

// trackedRWBody keeps an upgraded connection's body writable.
type trackedRWBody struct {
	*trackedBody
	w io.Writer
}

func (b *trackedRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }
