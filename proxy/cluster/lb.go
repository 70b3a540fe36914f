package cluster

import (
	"math/bits"
	"math/rand/v2"
)

// maxSchedule bounds the precomputed weighted round robin schedule
// (entries and entries×hosts).
const (
	maxSchedule     = 1 << 16
	maxScheduleWork = 1 << 22
)

// hostSet is an immutable snapshot of a cluster's endpoints with what the
// load balancers need.
type hostSet struct {
	hosts    []*host
	byAddr   map[string]*host
	weighted bool
	// Weighted round robin: either a smooth schedule of host indexes, or
	// cumulative weights visited with a stride coprime to total.
	seq    []uint32
	cum    []uint64
	total  uint64
	stride uint64
}

func newHostSet(hosts []*host, weighted bool) *hostSet {
	hs := &hostSet{hosts: hosts, byAddr: make(map[string]*host, len(hosts))}
	for _, h := range hosts {
		if _, ok := hs.byAddr[h.addr]; !ok {
			hs.byAddr[h.addr] = h
		}
	}
	if !weighted || len(hosts) < 2 {
		return hs
	}
	hs.weighted = true
	var g uint64
	for _, h := range hosts {
		g = gcd(g, uint64(h.weight))
	}
	for _, h := range hosts {
		hs.total += uint64(h.weight) / g
		hs.cum = append(hs.cum, hs.total)
	}
	if hs.total <= maxSchedule && hs.total*uint64(len(hosts)) <= maxScheduleWork {
		hs.seq = smoothSchedule(hosts, g, hs.total)
		hs.cum = nil
		return hs
	}
	// A stride coprime to total visits every position once per cycle, so
	// each host gets exactly its weight per cycle, interleaved.
	hs.stride = hs.total*5/8 | 1
	for gcd(hs.stride, hs.total) != 1 {
		hs.stride += 2
	}
	return hs
}

// smoothSchedule is nginx's smooth weighted round robin, unrolled over one
// cycle: heavy hosts are spread out instead of picked in bursts.
func smoothSchedule(hosts []*host, g, total uint64) []uint32 {
	seq := make([]uint32, 0, total)
	cur := make([]int64, len(hosts))
	for range total {
		best := 0
		for i, h := range hosts {
			cur[i] += int64(uint64(h.weight) / g)
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= int64(total)
		seq = append(seq, uint32(best))
	}
	return seq
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// pick chooses an endpoint with the cluster's policy; nil when there is
// none.
func (c *Cluster) pick() *host {
	hs := c.hosts.Load()
	switch len(hs.hosts) {
	case 0:
		return nil
	case 1:
		return hs.hosts[0]
	}
	switch c.spec.lb {
	case lbRandom:
		// Envoy's RANDOM ignores weights.
		return hs.hosts[rand.IntN(len(hs.hosts))]
	case lbLeastRequest:
		return hs.leastRequest(c.rr.Add(1) - 1)
	default:
		return hs.roundRobin(c.rr.Add(1) - 1)
	}
}

func (hs *hostSet) roundRobin(i uint64) *host {
	switch {
	case !hs.weighted:
		return hs.hosts[i%uint64(len(hs.hosts))]
	case hs.seq != nil:
		return hs.hosts[hs.seq[i%uint64(len(hs.seq))]]
	}
	hi, lo := bits.Mul64(i%hs.total, hs.stride)
	p := bits.Rem64(hi, lo, hs.total)
	// First host whose cumulative weight exceeds p.
	l, r := 0, len(hs.cum)
	for l < r {
		m := int(uint(l+r) >> 1)
		if hs.cum[m] > p {
			r = m
		} else {
			l = m + 1
		}
	}
	return hs.hosts[l]
}

// leastRequest scans every host from a rotating start and keeps the one
// with the fewest active requests (weighted: the lowest (active+1)/weight),
// so ties go round robin.
func (hs *hostSet) leastRequest(i uint64) *host {
	n := len(hs.hosts)
	start := int(i % uint64(n))
	best := hs.hosts[start]
	bestActive := best.st.rqActive.Load()
	for k := 1; k < n; k++ {
		j := start + k
		if j >= n {
			j -= n
		}
		h := hs.hosts[j]
		a := h.st.rqActive.Load()
		var better bool
		if hs.weighted {
			better = uint64(a+1)*uint64(best.weight) < uint64(bestActive+1)*uint64(h.weight)
		} else {
			better = a < bestActive
		}
		if better {
			best, bestActive = h, a
		}
	}
	return best
}
