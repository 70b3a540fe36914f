package cluster

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// Cluster is an upstream cluster: its endpoints, load balancer, connection
// pool and counters. Get one from Manager.Cluster.
type Cluster struct {
	spec   *spec
	logf   func(string, ...any)
	lookup lookupFunc

	hosts atomic.Pointer[hostSet]
	rr    atomic.Uint64 // round robin position (also LEAST_REQUEST tie break)
	stats clusterStats

	dialer net.Dialer
	rt     http.RoundTripper
	closer interface{ CloseIdleConnections() }

	targets []*target // DNS clusters: one per endpoint (touched by the resolver only)

	liveMu sync.Mutex
	live   map[*trackedConn]struct{} // every open upstream connection, idle or in use
}

// host is one endpoint address. Its counters live apart so that a host
// re-created by DNS (a LOGICAL_DNS address change) keeps them.
type host struct {
	addr     string // "ip:port"
	hostname string
	weight   uint32
	st       *hostCounters
	pool     idlePool // idle HTTP/1.1 connections
}

type hostCounters struct {
	rqTotal, rqActive, rqError, rqSuccess, rqTimeout atomic.Int64
	cxTotal, cxActive, cxConnectFail                 atomic.Int64
}

type clusterStats struct {
	cxTotal, cxActive, cxConnectFail, cxConnectTimeout, cxNoneHealthy atomic.Int64
	rqTotal, rqActive, rqTimeout, rqRxReset, rqTxReset                atomic.Int64
	rqClass                                                           [6]atomic.Int64 // by status/100
	updateAttempt, updateSuccess, updateFailure                       atomic.Int64
	retry                                                             [retryEvents]atomic.Int64 // by RetryEvent
}

// RetryEvent is a retry statistic the router counts on the cluster.
type RetryEvent int

const (
	// RetrySent: a request was sent again (upstream_rq_retry).
	RetrySent RetryEvent = iota
	// RetrySucceeded: a retry got a response that is not retried
	// (upstream_rq_retry_success).
	RetrySucceeded
	// RetryLimitExceeded: a retriable failure with no retry left
	// (upstream_rq_retry_limit_exceeded).
	RetryLimitExceeded
	// PerTryTimedOut: an attempt passed its per_try_timeout
	// (upstream_rq_per_try_timeout).
	PerTryTimedOut
	retryEvents
)

// CountRetry counts a retry event.
func (c *Cluster) CountRetry(e RetryEvent) { c.stats.retry[e].Add(1) }

func newCluster(s *spec, opts Options) *Cluster {
	c := &Cluster{spec: s, logf: opts.Logf, lookup: opts.lookup}
	c.initTransport()
	if s.typ == clusterv3.Cluster_STATIC {
		hosts := make([]*host, 0, len(s.endpoints))
		for _, e := range s.endpoints {
			hosts = append(hosts, newHost(e.ip, e, nil))
		}
		c.hosts.Store(newHostSet(hosts, s.weighted))
	} else {
		for _, e := range s.endpoints {
			c.targets = append(c.targets, &target{ep: e})
		}
		c.hosts.Store(newHostSet(nil, false))
	}
	return c
}

func newHost(ip netip.Addr, e endpointSpec, st *hostCounters) *host {
	if st == nil {
		st = &hostCounters{}
	}
	return &host{
		addr:     netip.AddrPortFrom(ip, e.port).String(),
		hostname: e.hostname,
		weight:   e.weight,
		st:       st,
	}
}

// Name returns the cluster's name.
func (c *Cluster) Name() string { return c.spec.name }

// Type returns the cluster's discovery type: "STATIC", "STRICT_DNS" or
// "LOGICAL_DNS".
func (c *Cluster) Type() string { return c.spec.typ.String() }

// HostStats describes one endpoint, as Envoy's admin /clusters page does.
type HostStats struct {
	// Address is the endpoint's "ip:port" (IPv6 in brackets).
	Address string
	// Hostname is the endpoint's hostname (Endpoint.hostname, or the DNS
	// name of a DNS cluster); auto_host_rewrite uses it. Empty for plain
	// STATIC endpoints.
	Hostname string
	// Weight is the load_balancing_weight (1 when unset).
	Weight uint32
	// Healthy is always true: without health checking Envoy considers
	// every endpoint healthy.
	Healthy bool
	// RqTotal counts requests sent to the endpoint; RqActive those not
	// finished (response body not fully read or closed).
	RqTotal, RqActive int64
	// RqSuccess counts non-5xx responses, RqError 5xx responses and
	// failed requests, RqTimeout requests that hit their deadline.
	RqSuccess, RqError, RqTimeout int64
	// CxTotal counts connections opened, CxActive those still open,
	// CxConnectFail failed connection attempts.
	CxTotal, CxActive, CxConnectFail int64
}

// Hosts reports the current endpoints and their counters.
func (c *Cluster) Hosts() []HostStats {
	hs := c.hosts.Load()
	out := make([]HostStats, 0, len(hs.hosts))
	for _, h := range hs.hosts {
		out = append(out, HostStats{
			Address:       h.addr,
			Hostname:      h.hostname,
			Weight:        h.weight,
			Healthy:       true,
			RqTotal:       h.st.rqTotal.Load(),
			RqActive:      h.st.rqActive.Load(),
			RqSuccess:     h.st.rqSuccess.Load(),
			RqError:       h.st.rqError.Load(),
			RqTimeout:     h.st.rqTimeout.Load(),
			CxTotal:       h.st.cxTotal.Load(),
			CxActive:      h.st.cxActive.Load(),
			CxConnectFail: h.st.cxConnectFail.Load(),
		})
	}
	return out
}

// Stats holds a cluster's counters and gauges, named after Envoy's
// cluster.<name>.* statistics.
type Stats struct {
	// UpstreamCxTotal: connections opened. UpstreamCxActive: open now.
	UpstreamCxTotal, UpstreamCxActive int64
	// UpstreamCxConnectFail: failed connection attempts, timeouts included.
	// UpstreamCxConnectTimeout: attempts that hit connect_timeout.
	UpstreamCxConnectFail, UpstreamCxConnectTimeout int64
	// UpstreamCxNoneHealthy: requests or connections refused for lack of a
	// healthy endpoint.
	UpstreamCxNoneHealthy int64
	// UpstreamRqTotal: requests sent. UpstreamRqActive: not finished yet.
	UpstreamRqTotal, UpstreamRqActive int64
	// UpstreamRq1xx..UpstreamRq5xx count responses by status class.
	UpstreamRq1xx, UpstreamRq2xx, UpstreamRq3xx, UpstreamRq4xx, UpstreamRq5xx int64
	// UpstreamRqTimeout: requests whose deadline expired.
	UpstreamRqTimeout int64
	// UpstreamRqRxReset: requests reset by the upstream (or its
	// connection); UpstreamRqTxReset: requests abandoned by the caller.
	UpstreamRqRxReset, UpstreamRqTxReset int64
	// UpstreamRqRetry, UpstreamRqRetrySuccess,
	// UpstreamRqRetryLimitExceeded and UpstreamRqPerTryTimeout count the
	// router's retries (RetryEvent).
	UpstreamRqRetry, UpstreamRqRetrySuccess, UpstreamRqRetryLimitExceeded, UpstreamRqPerTryTimeout int64
	// MembershipTotal: endpoints. MembershipHealthy: healthy endpoints (all
	// of them, without health checking).
	MembershipTotal, MembershipHealthy int64
	// UpdateAttempt, UpdateSuccess, UpdateFailure count DNS refreshes.
	UpdateAttempt, UpdateSuccess, UpdateFailure int64
}

// Stats returns a snapshot of the cluster's counters.
func (c *Cluster) Stats() Stats {
	st := &c.stats
	n := int64(len(c.hosts.Load().hosts))
	return Stats{
		UpstreamCxTotal:              st.cxTotal.Load(),
		UpstreamCxActive:             st.cxActive.Load(),
		UpstreamCxConnectFail:        st.cxConnectFail.Load(),
		UpstreamCxConnectTimeout:     st.cxConnectTimeout.Load(),
		UpstreamCxNoneHealthy:        st.cxNoneHealthy.Load(),
		UpstreamRqTotal:              st.rqTotal.Load(),
		UpstreamRqActive:             st.rqActive.Load(),
		UpstreamRq1xx:                st.rqClass[1].Load(),
		UpstreamRq2xx:                st.rqClass[2].Load(),
		UpstreamRq3xx:                st.rqClass[3].Load(),
		UpstreamRq4xx:                st.rqClass[4].Load(),
		UpstreamRq5xx:                st.rqClass[5].Load(),
		UpstreamRqTimeout:            st.rqTimeout.Load(),
		UpstreamRqRxReset:            st.rqRxReset.Load(),
		UpstreamRqTxReset:            st.rqTxReset.Load(),
		UpstreamRqRetry:              st.retry[RetrySent].Load(),
		UpstreamRqRetrySuccess:       st.retry[RetrySucceeded].Load(),
		UpstreamRqRetryLimitExceeded: st.retry[RetryLimitExceeded].Load(),
		UpstreamRqPerTryTimeout:      st.retry[PerTryTimedOut].Load(),
		MembershipTotal:              n,
		MembershipHealthy:            n,
		UpdateAttempt:                st.updateAttempt.Load(),
		UpdateSuccess:                st.updateSuccess.Load(),
		UpdateFailure:                st.updateFailure.Load(),
	}
}

// Counters returns the counters under their Envoy statistic names
// (upstream_rq_total, upstream_rq_2xx, upstream_cx_connect_fail, ...), to
// be prefixed with "cluster.<name>.".
func (s Stats) Counters() map[string]uint64 {
	return map[string]uint64{
		"upstream_cx_total":                uint64(s.UpstreamCxTotal),
		"upstream_cx_connect_fail":         uint64(s.UpstreamCxConnectFail),
		"upstream_cx_connect_timeout":      uint64(s.UpstreamCxConnectTimeout),
		"upstream_cx_none_healthy":         uint64(s.UpstreamCxNoneHealthy),
		"upstream_rq_total":                uint64(s.UpstreamRqTotal),
		"upstream_rq_1xx":                  uint64(s.UpstreamRq1xx),
		"upstream_rq_2xx":                  uint64(s.UpstreamRq2xx),
		"upstream_rq_3xx":                  uint64(s.UpstreamRq3xx),
		"upstream_rq_4xx":                  uint64(s.UpstreamRq4xx),
		"upstream_rq_5xx":                  uint64(s.UpstreamRq5xx),
		"upstream_rq_timeout":              uint64(s.UpstreamRqTimeout),
		"upstream_rq_rx_reset":             uint64(s.UpstreamRqRxReset),
		"upstream_rq_tx_reset":             uint64(s.UpstreamRqTxReset),
		"upstream_rq_retry":                uint64(s.UpstreamRqRetry),
		"upstream_rq_retry_success":        uint64(s.UpstreamRqRetrySuccess),
		"upstream_rq_retry_limit_exceeded": uint64(s.UpstreamRqRetryLimitExceeded),
		"upstream_rq_per_try_timeout":      uint64(s.UpstreamRqPerTryTimeout),
		"update_attempt":                   uint64(s.UpdateAttempt),
		"update_success":                   uint64(s.UpdateSuccess),
		"update_failure":                   uint64(s.UpdateFailure),
	}
}

// Gauges returns the gauges under their Envoy statistic names
// (upstream_cx_active, upstream_rq_active, membership_total,
// membership_healthy).
func (s Stats) Gauges() map[string]int64 {
	return map[string]int64{
		"upstream_cx_active": s.UpstreamCxActive,
		"upstream_rq_active": s.UpstreamRqActive,
		"membership_total":   s.MembershipTotal,
		"membership_healthy": s.MembershipHealthy,
	}
}

// Kind classifies a failed RoundTrip or Dial the way Envoy's router picks
// its local reply.
type Kind int

const (
	// NoHealthyUpstream: the cluster has no endpoint (Envoy: 503 "no
	// healthy upstream", response flag UH).
	NoHealthyUpstream Kind = iota + 1
	// ConnectFailure: connecting to the endpoint failed or exceeded
	// connect_timeout (Envoy: 503 "upstream connect error or
	// disconnect/reset before headers. reset reason: <Reason>", flag UF).
	ConnectFailure
	// Reset: the stream or connection was reset before a response (Envoy:
	// 503 with the same body, flag UR; "local reset" when the caller gave up).
	Reset
	// Timeout: the request's context deadline (the route timeout) expired
	// (Envoy: 504 "upstream request timeout", flag UT).
	Timeout
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case NoHealthyUpstream:
		return "no healthy upstream"
	case ConnectFailure:
		return "connect failure"
	case Reset:
		return "reset"
	case Timeout:
		return "timeout"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is the error of a failed RoundTrip or Dial.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Cluster is the cluster's name.
	Cluster string
	// Host is the endpoint's "ip:port"; empty for NoHealthyUpstream.
	Host string
	// Reason is Envoy's reset reason for ConnectFailure and Reset:
	// "remote connection failure", "connection timeout", "connection
	// termination", "remote reset", "remote refused stream reset" or
	// "local reset".
	Reason string
	// Err is the underlying error.
	Err error
}

// Error describes the failure.
func (e *Error) Error() string {
	s := "cluster: " + e.Cluster + ": " + e.Kind.String()
	if e.Host != "" {
		s += " (" + e.Host + ")"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
