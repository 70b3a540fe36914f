package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// lookupTimeout bounds one DNS query (Envoy's c-ares default is 5s).
const lookupTimeout = 5 * time.Second

// target is one endpoint of a DNS cluster and the hosts of its last
// successful resolution.
type target struct {
	ep    endpointSpec
	hosts []*host
}

// refreshLoop re-resolves every dns_refresh_rate until ctx ends.
func (c *Cluster) refreshLoop(ctx context.Context) {
	t := time.NewTicker(c.spec.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.resolve(ctx)
		}
	}
}

// resolve resolves the cluster's targets and publishes the new host set. A
// target whose resolution fails keeps its previous hosts, as Envoy does.
func (c *Cluster) resolve(ctx context.Context) {
	c.stats.updateAttempt.Add(1)
	failed := false
	targets := c.targets
	if c.spec.typ == clusterv3.Cluster_LOGICAL_DNS {
		targets = targets[:1]
	}
	for _, t := range targets {
		addrs, err := c.resolveTarget(ctx, t.ep)
		if err == nil && len(addrs) == 0 {
			err = errors.New("no addresses")
		}
		if err != nil {
			if ctx.Err() != nil {
				return // shutting down
			}
			failed = true
			c.logf("cluster: %s: %s: resolving %q (%s) failed, keeping %d previous hosts: %v",
				c.spec.name, t.ep.field, t.ep.address, c.spec.family, len(t.hosts), err)
			continue
		}
		if c.spec.typ == clusterv3.Cluster_LOGICAL_DNS {
			// One logical host that follows the first address of the latest
			// resolution, keeping its counters across address changes.
			var st *hostCounters
			if len(t.hosts) == 1 {
				st = t.hosts[0].st
			}
			if h := newHost(addrs[0], t.ep, st); len(t.hosts) != 1 || t.hosts[0].addr != h.addr {
				t.hosts = []*host{h}
			}
			continue
		}
		old := make(map[string]*host, len(t.hosts))
		for _, h := range t.hosts {
			old[h.addr] = h
		}
		hosts := make([]*host, 0, len(addrs))
		for _, a := range addrs {
			h := newHost(a, t.ep, nil)
			if prev, ok := old[h.addr]; ok {
				h = prev
			}
			hosts = append(hosts, h)
		}
		t.hosts = hosts
	}
	if failed {
		c.stats.updateFailure.Add(1)
	} else {
		c.stats.updateSuccess.Add(1)
	}
	var all []*host
	for _, t := range targets {
		all = append(all, t.hosts...)
	}
	prev := c.hosts.Swap(newHostSet(all, c.spec.weighted))
	kept := make(map[*host]bool, len(all))
	for _, h := range all {
		kept[h] = true
	}
	for _, h := range prev.hosts {
		if !kept[h] {
			h.pool.retire() // its connections close instead of idling
		}
	}
}

// resolveTarget returns the endpoint's addresses for the cluster's
// dns_lookup_family, as Envoy documents it: V4_ONLY and V6_ONLY query one
// family; AUTO queries IPv6 and falls back to IPv4 when there is no IPv6
// address; V4_PREFERRED is the reverse; ALL returns both families.
func (c *Cluster) resolveTarget(ctx context.Context, ep endpointSpec) ([]netip.Addr, error) {
	if ep.ip.IsValid() {
		return []netip.Addr{ep.ip}, nil
	}
	switch c.spec.family {
	case clusterv3.Cluster_V4_ONLY:
		return c.lookupFamily(ctx, "ip4", ep.address)
	case clusterv3.Cluster_V6_ONLY:
		return c.lookupFamily(ctx, "ip6", ep.address)
	case clusterv3.Cluster_V4_PREFERRED:
		return c.lookupPreferred(ctx, "ip4", "ip6", ep.address)
	case clusterv3.Cluster_ALL:
		return c.lookupFamily(ctx, "ip", ep.address)
	default: // AUTO: IPv6 first
		return c.lookupPreferred(ctx, "ip6", "ip4", ep.address)
	}
}

func (c *Cluster) lookupPreferred(ctx context.Context, first, second, name string) ([]netip.Addr, error) {
	addrs, err := c.lookupFamily(ctx, first, name)
	if err == nil && len(addrs) > 0 {
		return addrs, nil
	}
	addrs, err2 := c.lookupFamily(ctx, second, name)
	if err2 != nil {
		return nil, errors.Join(err, err2)
	}
	return addrs, nil
}

// lookupFamily resolves name and keeps the addresses of the family.
func (c *Cluster) lookupFamily(ctx context.Context, network, name string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := c.lookup(ctx, network, name)
	if err != nil {
		return nil, fmt.Errorf("%s lookup: %w", network, err)
	}
	out := addrs[:0:0]
	for _, a := range addrs {
		a = a.Unmap()
		if (network == "ip4" && !a.Is4()) || (network == "ip6" && !a.Is6()) {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}
