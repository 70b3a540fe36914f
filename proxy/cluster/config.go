package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// Envoy's defaults.
const (
	defaultConnectTimeout = 5 * time.Second
	defaultRefreshRate    = 5 * time.Second
	// idleTimeout is Envoy's default upstream idle_timeout (1h).
	idleTimeout = time.Hour
)

// httpProtocolOptionsKey is the typed_extension_protocol_options key of
// envoy.extensions.upstreams.http.v3.HttpProtocolOptions.
const httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

type lbPolicy uint8

const (
	lbRoundRobin lbPolicy = iota
	lbLeastRequest
	lbRandom
)

// spec is a validated Cluster.
type spec struct {
	name           string
	typ            clusterv3.Cluster_DiscoveryType
	lb             lbPolicy
	connectTimeout time.Duration
	refresh        time.Duration
	family         clusterv3.Cluster_DnsLookupFamily
	http2          bool
	endpoints      []endpointSpec
	weighted       bool                      // some endpoint weight differs from the others
	tlsCtx         *tlsv3.UpstreamTlsContext // transport_socket, nil for plaintext
	tls            *tls.Config               // built from tlsCtx; ServerName set per connection
}

// endpointSpec is one lb_endpoint.
type endpointSpec struct {
	field    string     // config path, for messages
	address  string     // IP literal or DNS name
	ip       netip.Addr // parsed address for IP literals
	port     uint16
	weight   uint32
	hostname string // endpoint.hostname, or the DNS name for DNS clusters
}

func parseSpec(c *clusterv3.Cluster) (*spec, error) {
	s := &spec{
		name:           c.GetName(),
		typ:            c.GetType(),
		connectTimeout: defaultConnectTimeout,
		refresh:        defaultRefreshRate,
		family:         c.GetDnsLookupFamily(),
	}
	if _, ok := c.GetClusterDiscoveryType().(*clusterv3.Cluster_ClusterType); ok {
		return nil, errors.New("cluster_type: custom cluster types are not supported")
	}
	switch s.typ {
	case clusterv3.Cluster_STATIC, clusterv3.Cluster_STRICT_DNS, clusterv3.Cluster_LOGICAL_DNS:
	default:
		return nil, fmt.Errorf("type: %s is not supported (STATIC, STRICT_DNS, LOGICAL_DNS)", s.typ)
	}
	switch c.GetLbPolicy() {
	case clusterv3.Cluster_ROUND_ROBIN:
		s.lb = lbRoundRobin
	case clusterv3.Cluster_LEAST_REQUEST:
		s.lb = lbLeastRequest
	case clusterv3.Cluster_RANDOM:
		s.lb = lbRandom
	default:
		return nil, fmt.Errorf("lb_policy: %s is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM)", c.GetLbPolicy())
	}
	if c.GetLoadBalancingPolicy() != nil {
		return nil, errors.New("load_balancing_policy: not supported, use lb_policy")
	}
	if d := c.GetConnectTimeout(); d != nil {
		if s.connectTimeout = d.AsDuration(); s.connectTimeout <= 0 {
			return nil, fmt.Errorf("connect_timeout: %v must be positive", s.connectTimeout)
		}
	}
	if d := c.GetDnsRefreshRate(); d != nil {
		if s.refresh = d.AsDuration(); s.refresh < time.Millisecond {
			return nil, fmt.Errorf("dns_refresh_rate: %v must be at least 1ms", s.refresh)
		}
	}
	switch s.family {
	case clusterv3.Cluster_AUTO, clusterv3.Cluster_V4_ONLY, clusterv3.Cluster_V6_ONLY,
		clusterv3.Cluster_V4_PREFERRED, clusterv3.Cluster_ALL:
	default:
		return nil, fmt.Errorf("dns_lookup_family: unknown value %d", s.family)
	}
	var err error
	if s.http2, err = parseProtocol(c); err != nil {
		return nil, err
	}
	if err := s.parseEndpoints(c); err != nil {
		return nil, err
	}
	if err := s.parseTLS(c); err != nil {
		return nil, err
	}
	return s, nil
}

// parseProtocol reports whether the cluster speaks HTTP/2 to its endpoints
// (prior knowledge in plaintext, ALPN h2 over TLS).
func parseProtocol(c *clusterv3.Cluster) (bool, error) {
	h2 := c.GetHttp2ProtocolOptions() != nil
	for key, a := range c.GetTypedExtensionProtocolOptions() {
		if key != httpProtocolOptionsKey {
			return false, fmt.Errorf("typed_extension_protocol_options[%q]: not supported", key)
		}
		opts := &httpv3.HttpProtocolOptions{}
		if err := a.UnmarshalTo(opts); err != nil {
			return false, fmt.Errorf("typed_extension_protocol_options[%q]: %w", key, err)
		}
		switch p := opts.GetUpstreamProtocolOptions().(type) {
		case *httpv3.HttpProtocolOptions_ExplicitHttpConfig_:
			switch p.ExplicitHttpConfig.GetProtocolConfig().(type) {
			case *httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions:
				h2 = true
			case *httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions:
			default:
				return false, fmt.Errorf("typed_extension_protocol_options[%q].explicit_http_config: only http_protocol_options and http2_protocol_options are supported", key)
			}
		case *httpv3.HttpProtocolOptions_AutoConfig:
			// Without TLS there is no ALPN: Envoy's auto config speaks HTTP/1.1.
		case nil:
		default:
			od := opts.ProtoReflect().Descriptor().Oneofs().ByName("upstream_protocol_options")
			return false, fmt.Errorf("typed_extension_protocol_options[%q].%s: not supported", key, opts.ProtoReflect().WhichOneof(od).Name())
		}
	}
	return h2, nil
}

func (s *spec) parseEndpoints(c *clusterv3.Cluster) error {
	for i, lle := range c.GetLoadAssignment().GetEndpoints() {
		if lle.GetPriority() != 0 {
			return fmt.Errorf("load_assignment.endpoints[%d].priority: priorities other than 0 are not supported", i)
		}
		for j, lbe := range lle.GetLbEndpoints() {
			field := fmt.Sprintf("load_assignment.endpoints[%d].lb_endpoints[%d]", i, j)
			e, err := s.parseEndpoint(field, lbe.GetEndpoint())
			if err != nil {
				return err
			}
			e.weight = 1
			if w := lbe.GetLoadBalancingWeight(); w != nil {
				if e.weight = w.GetValue(); e.weight == 0 {
					return fmt.Errorf("%s.load_balancing_weight: must be at least 1", field)
				}
			}
			if len(s.endpoints) > 0 && e.weight != s.endpoints[0].weight {
				s.weighted = true
			}
			s.endpoints = append(s.endpoints, e)
		}
	}
	if s.typ == clusterv3.Cluster_LOGICAL_DNS && len(s.endpoints) != 1 {
		return errors.New("load_assignment: LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint")
	}
	return nil
}

func (s *spec) parseEndpoint(field string, ep *endpointv3.Endpoint) (endpointSpec, error) {
	e := endpointSpec{field: field, hostname: ep.GetHostname()}
	if ep.GetAddress() == nil {
		return e, fmt.Errorf("%s.endpoint.address: required", field)
	}
	sa := ep.GetAddress().GetSocketAddress()
	if sa == nil {
		return e, fmt.Errorf("%s.endpoint.address: only socket_address is supported", field)
	}
	field += ".endpoint.address.socket_address"
	if sa.GetProtocol() != corev3.SocketAddress_TCP {
		return e, fmt.Errorf("%s.protocol: only TCP is supported", field)
	}
	if _, ok := sa.GetPortSpecifier().(*corev3.SocketAddress_NamedPort); ok {
		return e, fmt.Errorf("%s.named_port: not supported, use port_value", field)
	}
	if sa.GetPortValue() > 65535 {
		return e, fmt.Errorf("%s.port_value: %d is out of range", field, sa.GetPortValue())
	}
	e.port = uint16(sa.GetPortValue())
	e.address = sa.GetAddress()
	if e.address == "" {
		return e, fmt.Errorf("%s.address: required", field)
	}
	ip, err := netip.ParseAddr(e.address)
	switch {
	case err == nil:
		e.ip = ip.Unmap()
	case s.typ == clusterv3.Cluster_STATIC:
		return e, fmt.Errorf("%s.address: %q is not an IP address (STATIC clusters need IP endpoints; use STRICT_DNS or LOGICAL_DNS for hostnames)", field, e.address)
	}
	if s.typ != clusterv3.Cluster_STATIC && e.hostname == "" {
		// Envoy's DNS hosts are named after the resolved name: this is what
		// auto_host_rewrite puts in :authority.
		e.hostname = e.address
	}
	return e, nil
}
