// Package cluster implements Envoy's upstream clusters for wasmesh: it
// turns Envoy v3 Cluster resources into endpoints (STATIC, STRICT_DNS,
// LOGICAL_DNS), load balances over them (ROUND_ROBIN, LEAST_REQUEST,
// RANDOM) and forwards HTTP requests (HTTP/1.1, or HTTP/2 with prior
// knowledge) and TCP connections to the picked endpoint, keeping Envoy's
// cluster and host counters.
//
// Every method is safe for concurrent use; picking a host takes a few atomic
// operations and no lock.
package cluster

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// Options configures a Manager.
type Options struct {
	// Resolver resolves the endpoints of STRICT_DNS and LOGICAL_DNS
	// clusters; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Logf receives DNS resolution failures; nil means log.Printf.
	Logf func(format string, args ...any)

	// lookup replaces the resolver (tests).
	lookup lookupFunc
}

// lookupFunc has the signature of (*net.Resolver).LookupNetIP.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// Manager owns the clusters of a configuration and their background DNS
// refreshes.
type Manager struct {
	clusters map[string]*Cluster
	names    []string
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
}

// NewManager validates and builds clusters. DNS clusters resolve their
// endpoints once before NewManager returns (as Envoy warms clusters before
// serving; a failed first resolution leaves the cluster empty and is logged)
// and then every dns_refresh_rate in the background until Close.
//
// Errors read "cluster: <name>: <field>: <problem>".
func NewManager(clusters []*clusterv3.Cluster, opts Options) (*Manager, error) {
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if opts.lookup == nil {
		r := opts.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		opts.lookup = r.LookupNetIP
	}
	m := &Manager{clusters: make(map[string]*Cluster, len(clusters))}
	for i, cc := range clusters {
		name := cc.GetName()
		if name == "" {
			return nil, fmt.Errorf("cluster: clusters[%d]: name: required", i)
		}
		if _, dup := m.clusters[name]; dup {
			return nil, fmt.Errorf("cluster: %s: name: duplicate cluster name", name)
		}
		s, err := parseSpec(cc)
		if err != nil {
			return nil, fmt.Errorf("cluster: %s: %w", name, err)
		}
		m.clusters[name] = newCluster(s, opts)
		m.names = append(m.names, name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	var first sync.WaitGroup
	for _, name := range m.names {
		c := m.clusters[name]
		if c.spec.typ == clusterv3.Cluster_STATIC {
			continue
		}
		first.Go(func() { c.resolve(ctx) })
	}
	first.Wait()
	for _, name := range m.names {
		if c := m.clusters[name]; c.spec.typ != clusterv3.Cluster_STATIC {
			m.wg.Go(func() { c.refreshLoop(ctx) })
		}
	}
	return m, nil
}

// Cluster returns the named cluster, or nil if there is none.
func (m *Manager) Cluster(name string) *Cluster { return m.clusters[name] }

// Names returns the cluster names in configuration order.
func (m *Manager) Names() []string { return append([]string(nil), m.names...) }

// Abort closes every upstream connection, in use or idle: the requests in
// flight fail. The server calls it when its drain time is over.
func (m *Manager) Abort() {
	for _, c := range m.clusters {
		c.closeAll()
	}
}

// Close stops the DNS refreshes and closes idle upstream connections.
// Requests in flight complete; the clusters stay usable with their last
// endpoints.
func (m *Manager) Close() {
	m.once.Do(func() {
		m.cancel()
		m.wg.Wait()
		for _, c := range m.clusters {
			c.closeIdle()
		}
	})
}
