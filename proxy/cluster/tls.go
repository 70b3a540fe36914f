package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/wasmesh/wasmesh/internal/tlsconf"
)

// parseTLS reads transport_socket: an UpstreamTlsContext makes the cluster
// dial TLS, with ALPN h2 or http/1.1 after the cluster's protocol unless
// alpn_protocols says otherwise. Certificates are read here, once.
func (s *spec) parseTLS(c *clusterv3.Cluster) error {
	ts := c.GetTransportSocket()
	if ts == nil {
		return nil
	}
	const path = "transport_socket.typed_config"
	s.tlsCtx = &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(s.tlsCtx); err != nil {
		return fmt.Errorf("%s: only envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext is supported: %w", path, err)
	}
	alpn := []string{tlsconf.ALPNHTTP11}
	if s.http2 {
		alpn = []string{tlsconf.ALPNH2}
	}
	var err error
	if s.tls, err = tlsconf.Client(s.tlsCtx, alpn); err != nil {
		return fmt.Errorf("%s.%w", path, err)
	}
	return nil
}

// dialTLSAddr is dialAddr followed by the TLS handshake.
func (c *Cluster) dialTLSAddr(ctx context.Context, network, addr string) (net.Conn, error) {
	h, _ := ctx.Value(hostKey{}).(*host)
	if h == nil || h.addr != addr {
		h = c.hosts.Load().byAddr[addr]
	}
	return c.dialTLSHost(ctx, network, addr, h)
}

// dialTLSHost connects to h and completes the TLS handshake, both within
// connect_timeout. The server name is the UpstreamTlsContext's sni, else the
// endpoint's hostname. A failed handshake counts as a failed connection
// (upstream_cx_connect_fail), as it leaves no usable connection.
func (c *Cluster) dialTLSHost(ctx context.Context, network, addr string, h *host) (net.Conn, error) {
	conn, err := c.dialHost(ctx, network, addr, h)
	if err != nil {
		return nil, err
	}
	cfg := c.spec.tls.Clone()
	hostname := ""
	if h != nil {
		hostname = h.hostname
	}
	cfg.ServerName = tlsconf.SNI(c.spec.tlsCtx, hostname)
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, c.spec.connectTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, err
		}
		timeout := hctx.Err() != nil
		c.stats.cxConnectFail.Add(1)
		if timeout {
			c.stats.cxConnectTimeout.Add(1)
		}
		if h != nil {
			h.st.cxConnectFail.Add(1)
		}
		return nil, &dialError{timeout: timeout, err: fmt.Errorf("tls handshake: %w", err)}
	}
	return tc, nil
}
