// Package route implements Envoy's HTTP route table: it selects, from an
// Envoy v3 RouteConfiguration, the virtual host and route for a request's
// headers, picks the weighted cluster, and applies the route's rewrites and
// header mutations the way Envoy's router filter does.
//
// A Table is immutable once built and safe for concurrent use. Matching
// does not allocate for the common cases (single-valued headers, authorities
// up to 256 bytes).
package route

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/wasmesh/wasmesh/host"
)

// Table is a compiled RouteConfiguration. Build it with NewTable.
type Table struct {
	exact      map[string]*virtualHost
	suffixes   []wildcardGroup // longest wildcard first
	prefixes   []wildcardGroup // longest wildcard first
	any        *virtualHost    // the "*" virtual host, if any
	ignorePort bool
	hostHeader string // header naming the virtual host, ":authority" by default
	rand       func() uint64
}

// wildcardGroup holds the wildcard domains of one length (without the '*').
type wildcardGroup struct {
	n     int
	hosts map[string]*virtualHost
}

// virtualHost is a compiled VirtualHost.
type virtualHost struct {
	name   string
	routes []*routeEntry
}

// Option tunes NewTable.
type Option func(*options)

type options struct {
	suppressEnvoyHeaders bool
	rand                 func() uint64
}

// SuppressEnvoyHeaders mirrors the router filter's suppress_envoy_headers:
// when true, ApplyRequest does not record the original path and host in
// x-envoy-original-path and x-envoy-original-host when it rewrites them.
func SuppressEnvoyHeaders(suppress bool) Option {
	return func(o *options) { o.suppressEnvoyHeaders = suppress }
}

// withRand replaces the random source of weighted cluster picks (tests).
func withRand(r func() uint64) Option {
	return func(o *options) { o.rand = r }
}

// NewTable compiles rc. It rejects what Envoy rejects when loading a route
// configuration (duplicate domains, more than one "*" virtual host, invalid
// regexes, weighted clusters whose weights sum to zero, mutation of
// pseudo-headers or host, oversized direct response bodies) and the route
// features this package does not implement, naming the offending field.
func NewTable(rc *routev3.RouteConfiguration, opts ...Option) (*Table, error) {
	o := options{rand: rand.Uint64}
	for _, opt := range opts {
		opt(&o)
	}
	if rc == nil {
		rc = &routev3.RouteConfiguration{}
	}
	if rc.GetIgnorePathParametersInPathMatching() {
		return nil, fmt.Errorf("route: %s: ignore_path_parameters_in_path_matching is not supported", rc.GetName())
	}
	if rc.GetVhds() != nil {
		return nil, fmt.Errorf("route: %s: vhds is not supported", rc.GetName())
	}
	t := &Table{
		exact:      map[string]*virtualHost{},
		ignorePort: rc.GetIgnorePortInHostMatching(),
		hostHeader: ":authority",
		rand:       o.rand,
	}
	if hh := rc.GetVhostHeader(); hh != "" {
		t.hostHeader = strings.ToLower(hh)
	}
	b := builder{
		opts:         o,
		mostSpecLast: rc.GetMostSpecificHeaderMutationsWins(),
		maxBody:      4096,
	}
	if m := rc.GetMaxDirectResponseBodySizeBytes(); m != nil {
		b.maxBody = int(m.GetValue())
	}
	var err error
	if b.global, err = buildLevel("", rc.GetRequestHeadersToAdd(), rc.GetRequestHeadersToRemove(),
		rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove()); err != nil {
		return nil, fmt.Errorf("route: %s: %w", rc.GetName(), err)
	}
	suffixes := map[int]map[string]*virtualHost{}
	prefixes := map[int]map[string]*virtualHost{}
	seen := map[string]bool{}
	for i, vhc := range rc.GetVirtualHosts() {
		vh, err := b.virtualHost(vhc)
		if err != nil {
			return nil, fmt.Errorf("route: %s: %w", named("virtual_hosts", i, vhc.GetName()), err)
		}
		for j, d := range vhc.GetDomains() {
			d = strings.ToLower(d)
			if seen[d] {
				return nil, fmt.Errorf("route: %s: domains[%d]: only unique values for domains are permitted, duplicate entry of domain %q", named("virtual_hosts", i, vhc.GetName()), j, d)
			}
			seen[d] = true
			switch {
			case d == "*":
				t.any = vh
			case d == "":
				return nil, fmt.Errorf("route: %s: domains[%d]: empty domain", named("virtual_hosts", i, vhc.GetName()), j)
			case d[0] == '*':
				addWildcard(suffixes, d[1:], vh)
			case d[len(d)-1] == '*':
				addWildcard(prefixes, d[:len(d)-1], vh)
			default:
				t.exact[d] = vh
			}
		}
	}
	t.suffixes = sortGroups(suffixes)
	t.prefixes = sortGroups(prefixes)
	return t, nil
}

// named renders a repeated field element for error messages, with its name
// when it has one.
func named(field string, i int, name string) string {
	if name == "" {
		return fmt.Sprintf("%s[%d]", field, i)
	}
	return fmt.Sprintf("%s[%d] (%s)", field, i, name)
}

func addWildcard(m map[int]map[string]*virtualHost, key string, vh *virtualHost) {
	g := m[len(key)]
	if g == nil {
		g = map[string]*virtualHost{}
		m[len(key)] = g
	}
	g[key] = vh
}

func sortGroups(m map[int]map[string]*virtualHost) []wildcardGroup {
	gs := make([]wildcardGroup, 0, len(m))
	for n, hosts := range m {
		gs = append(gs, wildcardGroup{n: n, hosts: hosts})
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].n > gs[j].n })
	return gs
}

// Match selects the route for a request. The virtual host is chosen by the
// :authority header (or the route configuration's vhost_header), lower-cased,
// in Envoy's order: exact domain, longest suffix wildcard ("*.foo.com",
// "*-bar.foo.com"), longest prefix wildcard ("foo.*"), then "*". As in Envoy
// the port is part of the authority: "foo.com:8080" does not match the domain
// "foo.com" unless ignore_port_in_host_matching is set (the connection
// manager's strip_matching_host_port / strip_any_host_port, which rewrite the
// authority before routing, are the caller's). Wildcards never match the
// empty string. Within the virtual host the first route whose match fits
// wins.
//
// Match returns nil when no virtual host or no route matches; Envoy then
// replies 404. The returned Match is shared between requests and must not be
// modified.
func (t *Table) Match(h *host.Headers) *Match {
	vh := t.virtualHost(h)
	if vh == nil {
		return nil
	}
	path, hasPath := headerValue(h, ":path")
	for _, r := range vh.routes {
		if r.matches(h, path, hasPath) {
			return r.pick(h, t.rand)
		}
	}
	return nil
}

func (t *Table) virtualHost(h *host.Headers) *virtualHost {
	if len(t.exact) == 0 && len(t.suffixes) == 0 && len(t.prefixes) == 0 {
		return t.any
	}
	auth, ok := headerValue(h, t.hostHeader)
	if !ok {
		return nil
	}
	if t.ignorePort {
		if i := portStart(auth); i >= 0 {
			auth = auth[:i]
		}
	}
	var buf [256]byte
	var name []byte
	if len(auth) <= len(buf) {
		name = lowerInto(buf[:0], auth)
	} else {
		name = lowerInto(make([]byte, 0, len(auth)), auth)
	}
	if vh, ok := t.exact[string(name)]; ok {
		return vh
	}
	// A wildcard matches at least one character: its fixed part must be
	// shorter than the host.
	for _, g := range t.suffixes {
		if g.n < len(name) {
			if vh, ok := g.hosts[string(name[len(name)-g.n:])]; ok {
				return vh
			}
		}
	}
	for _, g := range t.prefixes {
		if g.n < len(name) {
			if vh, ok := g.hosts[string(name[:g.n])]; ok {
				return vh
			}
		}
	}
	return t.any
}

// portStart returns the index of the ':' starting the port of an authority,
// or -1, as Envoy's HeaderUtility::getPortStart (IPv6 literals are
// bracketed).
func portStart(auth []byte) int {
	i := lastIndexByte(auth, ':')
	if i < 0 {
		return -1
	}
	if j := lastIndexByte(auth, ']'); j >= 0 && j > i {
		return -1
	}
	return i
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func lowerInto(dst, src []byte) []byte {
	for _, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// headerValue returns the first value of the (lower-case) name.
func headerValue(h *host.Headers, name string) ([]byte, bool) {
	for i, n := 0, h.Len(); i < n; i++ {
		k, v := h.Field(i)
		if string(k) == name {
			return v, true
		}
	}
	return nil, false
}
