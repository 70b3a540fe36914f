package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/internal/tlsconf"
)

// tlsHandshakeTimeout bounds a connection's TLS handshake.
const tlsHandshakeTimeout = 10 * time.Second

// setupTLS reads the filter chain's transport_socket: a DownstreamTlsContext
// makes the listener terminate TLS. Certificates are read here, once; a bad
// one fails start-up with the field's path. HTTP listeners offer h2 and
// http/1.1 through ALPN unless alpn_protocols says otherwise, and serve
// HTTP/2 over TLS.
func (ln *listener) setupTLS(cpath string, fc *listenerv3.FilterChain) error {
	ts := fc.GetTransportSocket()
	if ts == nil {
		return nil
	}
	path := cpath + ".transport_socket.typed_config"
	ctx, err := envoyconfig.DownstreamTLS(ts.GetTypedConfig())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var alpn []string
	if ln.http != nil {
		alpn = []string{tlsconf.ALPNH2, tlsconf.ALPNHTTP11}
	}
	if ln.tls, err = tlsconf.Server(ctx, alpn); err != nil {
		return fmt.Errorf("%s.%w", path, err)
	}
	return nil
}

// accepter returns what the listener's server accepts from: the bound
// socket counting connections, behind TLS when configured.
func (ln *listener) accepter() net.Listener {
	var l net.Listener = countingListener{ln.ln, ln.cxTotal}
	if ln.tls != nil {
		l = tls.NewListener(l, ln.tls)
	}
	return l
}

// handshake completes the TLS handshake of a TCP proxy connection, if it is
// one, and returns its state (nil for plaintext).
func handshake(c net.Conn) (*tls.ConnectionState, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil, nil
	}
	_ = tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	_ = tc.SetDeadline(time.Time{})
	cs := tc.ConnectionState()
	return &cs, nil
}

// tlsProperty answers connection.mtls, connection.tls_version and
// connection.requested_server_name for a connection in state cs (nil for
// plaintext), as Envoy: mtls is true when a client certificate was
// presented; tls_version is "TLSv1.2" or "TLSv1.3"; both strings are
// absent without TLS.
func tlsProperty(cs *tls.ConnectionState, name string) ([]byte, bool) {
	switch name {
	case "mtls":
		return boolean(cs != nil && len(cs.PeerCertificates) > 0), true
	case "tls_version":
		if cs == nil {
			return nil, true
		}
		return str(tlsconf.VersionName(cs.Version)), true
	case "requested_server_name":
		if cs == nil {
			return nil, true
		}
		return str(cs.ServerName), true
	}
	return nil, false
}

// statAddr turns an address into a stats name component.
func statAddr(a string) string {
	out := []byte(a)
	for i, c := range out {
		if c == ':' {
			out[i] = '_'
		}
	}
	return string(out)
}

// ignoreClosed maps the errors of a closed server or listener to nil.
func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Uint64
}

// Accept accepts and counts a connection.
func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
