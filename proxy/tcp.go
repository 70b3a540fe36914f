package proxy

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"

	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/wasmesh/wasmesh/host"
)

// tcpChain is a listener's network filters (Wasm) in front of tcp_proxy.
type tcpChain struct {
	srv      *Server
	plugins  []*wasmPlugin
	clusters []string
	weights  []uint32
	total    uint32

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func (s *Server) newTCPChain(path string, cfg *tcpproxyv3.TcpProxy, plugins []*wasmPlugin) (*tcpChain, error) {
	t := &tcpChain{srv: s, plugins: plugins, conns: map[net.Conn]struct{}{}}
	if c := cfg.GetCluster(); c != "" {
		t.clusters, t.weights, t.total = []string{c}, []uint32{1}, 1
	}
	for _, wc := range cfg.GetWeightedClusters().GetClusters() {
		t.clusters = append(t.clusters, wc.GetName())
		t.weights = append(t.weights, wc.GetWeight())
		t.total += wc.GetWeight()
	}
	for _, c := range t.clusters {
		if s.clusters.Cluster(c) == nil {
			return nil, fmt.Errorf("%s: unknown cluster %q", path, c)
		}
	}
	if len(t.clusters) == 0 || t.total == 0 {
		return nil, fmt.Errorf("%s: cluster or weighted_clusters is required", path)
	}
	return t, nil
}

func (t *tcpChain) pick() string {
	n := rand.Uint32N(t.total)
	for i, w := range t.weights {
		if n < w {
			return t.clusters[i]
		}
		n -= w
	}
	return t.clusters[0]
}

func (t *tcpChain) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		t.mu.Lock()
		t.conns[c] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.handle(c)
			t.mu.Lock()
			delete(t.conns, c)
			t.mu.Unlock()
		}()
	}
}

func (t *tcpChain) shutdown(ctx context.Context, ln net.Listener) {
	ln.Close()
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.mu.Lock()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
		<-done
	}
}

// tcpFilter is one Wasm network filter on one connection.
type tcpFilter struct {
	plugin  *wasmPlugin
	s       *host.TCPStream
	skip    bool
	buf     [2]host.Buffer
	resume  chan struct{}
	closeCh chan host.StreamType
}

func (f *tcpFilter) ContinueDownstream() {
	select {
	case f.resume <- struct{}{}:
	default:
	}
}

func (f *tcpFilter) Close(st host.StreamType) {
	select {
	case f.closeCh <- st:
	default:
	}
}

// handle runs one connection: Wasm filters, then the upstream.
func (t *tcpChain) handle(down net.Conn) {
	defer down.Close()
	ci := t.srv.newConn(down)
	var err error
	if ci.tls, err = handshake(down); err != nil {
		t.srv.log.Logf("connection", host.LogDebug, "[C%d] tls handshake: %v", ci.id, err)
		return
	}
	props := &tcpProps{ci: ci}
	var state host.FilterState
	filters := make([]*tcpFilter, 0, len(t.plugins))
	defer func() {
		for _, f := range filters {
			if f.s != nil {
				_ = f.s.Close()
			}
		}
	}()
	for _, p := range t.plugins {
		f := &tcpFilter{plugin: p, resume: make(chan struct{}, 1), closeCh: make(chan host.StreamType, 2)}
		filters = append(filters, f)
		root, err := p.root(ci.worker)
		if err != nil {
			if p.policy != failOpen {
				return // fail closed: close the connection
			}
			f.skip = true
			continue
		}
		s, _, err := root.NewTCPStream(f, props, &state)
		f.s = s
		if err != nil {
			if p.policy != failOpen {
				return
			}
			f.skip = true
		}
	}
	up, addr, err := t.srv.clusters.Cluster(t.pick()).Dial(context.Background())
	if err != nil {
		t.srv.log.Logf("connection", host.LogDebug, "tcp_proxy: %v", err)
		return
	}
	defer up.Close()
	props.upstream = addr
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.pump(down, up, filters, 0) }()
	go func() { defer wg.Done(); t.pump(up, down, filters, 1) }()
	wg.Wait()
	for _, f := range filters {
		if !f.skip && f.s != nil {
			_ = f.s.OnUpstreamClose(host.PeerUnknown)
			_ = f.s.OnDownstreamClose(host.PeerRemote)
		}
	}
}

// pump copies one direction through the filters (dir 0: downstream to
// upstream, in filter order; 1: upstream to downstream, in reverse).
func (t *tcpChain) pump(src, dst net.Conn, filters []*tcpFilter, dir int) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		eos := err != nil
		data := buf[:n]
		if n > 0 || eos {
			out, ok := t.filterData(filters, dir, data, eos)
			if !ok {
				src.Close()
				dst.Close()
				return
			}
			if len(out) > 0 {
				if _, werr := dst.Write(out); werr != nil {
					src.Close()
					return
				}
			}
		}
		if eos {
			if tc, ok := dst.(interface{ CloseWrite() error }); ok {
				tc.CloseWrite()
			} else {
				dst.Close()
			}
			if err != io.EOF {
				src.Close()
			}
			return
		}
	}
}

func (t *tcpChain) filterData(filters []*tcpFilter, dir int, data []byte, eos bool) ([]byte, bool) {
	for k := range filters {
		i := k
		if dir == 1 {
			i = len(filters) - 1 - k
		}
		f := filters[i]
		if f.skip {
			continue
		}
		f.buf[dir].Bytes = append(f.buf[dir].Bytes, data...)
		var a host.Action
		var err error
		if dir == 0 {
			a, err = f.s.OnDownstreamData(&f.buf[dir], eos)
		} else {
			a, err = f.s.OnUpstreamData(&f.buf[dir], eos)
		}
		if err != nil {
			if f.plugin.policy != failOpen {
				return nil, false
			}
			f.skip = true
		}
		select {
		case <-f.closeCh:
			return nil, false
		default:
		}
		if err == nil && a != host.ActionContinue {
			if !eos {
				return nil, true
			}
			select {
			case <-f.resume:
			case <-f.closeCh:
				return nil, false
			}
		}
		data = f.buf[dir].Bytes
		f.buf[dir].Bytes = nil
	}
	return data, true
}

// tcpProps serves a connection's properties.
type tcpProps struct {
	ci       *connInfo
	upstream string
}

func (p *tcpProps) Property(path []string) ([]byte, bool) {
	switch path[0] {
	case "source":
		return addrProp(p.ci.remote, path[1:])
	case "destination":
		return addrProp(p.ci.local, path[1:])
	case "upstream":
		return addrProp(p.upstream, path[1:])
	case "connection_id":
		return u64(p.ci.id), true
	case "connection":
		if len(path) == 2 && path[1] == "id" {
			return u64(p.ci.id), true
		}
		if len(path) == 2 {
			return tlsProperty(p.ci.tls, path[1])
		}
	}
	return nil, false
}
