package route

import (
	"regexp"
	"strings"
	"time"

	"github.com/wasmesh/wasmesh/host"
)

type pathKind uint8

const (
	pathPrefix pathKind = iota
	pathExact
	pathRegex
	pathSeparated
)

// routeEntry is a compiled Route.
type routeEntry struct {
	kind    pathKind
	value   string // prefix or path
	fold    bool   // case_sensitive: false
	re      *regexp.Regexp
	headers []headerMatcher

	single       *Match          // cluster or direct response
	weighted     []weightedMatch // weighted_clusters, in order
	total        uint64
	randomHeader string // weighted_clusters.header_name
}

type weightedMatch struct {
	end uint64 // cumulative weight, exclusive
	m   *Match
}

func (r *routeEntry) rewriteBase() rewrite {
	return rewrite{kind: r.kind, value: r.value, fold: r.fold}
}

// matches reports whether the route's match fits: the path (without query
// string and fragment) and every header matcher.
func (r *routeEntry) matches(h *host.Headers, path []byte, hasPath bool) bool {
	if !hasPath {
		return false
	}
	p := stripQuery(path)
	switch r.kind {
	case pathPrefix:
		if !hasPrefix(p, r.value, r.fold) {
			return false
		}
	case pathExact:
		if len(p) != len(r.value) || !hasPrefix(p, r.value, r.fold) {
			return false
		}
	case pathSeparated:
		if !hasPrefix(p, r.value, r.fold) || (len(p) > len(r.value) && p[len(r.value)] != '/') {
			return false
		}
	case pathRegex:
		if !r.re.Match(p) {
			return false
		}
	}
	for i := range r.headers {
		if !r.headers[i].match(h) {
			return false
		}
	}
	return true
}

// pick returns the route's Match, choosing the weighted cluster as Envoy
// does: a random value (or the header_name header's value) modulo the sum of
// weights selects the cluster whose cumulative interval contains it.
func (r *routeEntry) pick(h *host.Headers, rnd func() uint64) *Match {
	if r.weighted == nil {
		return r.single
	}
	v, ok := uint64(0), false
	if r.randomHeader != "" {
		v, ok = randomFromHeader(h, r.randomHeader)
	}
	if !ok {
		v = rnd()
	}
	v %= r.total
	for _, w := range r.weighted {
		if v < w.end {
			return w.m
		}
	}
	return r.weighted[len(r.weighted)-1].m
}

// randomFromHeader parses a single-valued decimal header, as Envoy requires
// for weighted_clusters.header_name.
func randomFromHeader(h *host.Headers, name string) (uint64, bool) {
	var val []byte
	count := 0
	for i, n := 0, h.Len(); i < n; i++ {
		k, v := h.Field(i)
		if string(k) == name {
			val = v
			count++
		}
	}
	if count != 1 {
		return 0, false
	}
	val = trimSpace(val)
	if len(val) > 0 && val[0] == '+' {
		val = val[1:]
	}
	if len(val) == 0 {
		return 0, false
	}
	var x uint64
	for _, c := range val {
		if c < '0' || c > '9' || x > (1<<64-1-uint64(c-'0'))/10 {
			return 0, false
		}
		x = x*10 + uint64(c-'0')
	}
	return x, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// stripQuery removes the query string and fragment, as Envoy's
// PathUtil::removeQueryAndFragment.
func stripQuery[T ~string | ~[]byte](p T) T {
	for i := 0; i < len(p); i++ {
		if p[i] == '?' || p[i] == '#' {
			return p[:i]
		}
	}
	return p
}

func hasPrefix[T ~string | ~[]byte](p T, prefix string, fold bool) bool {
	if len(p) < len(prefix) {
		return false
	}
	if !fold {
		return string(p[:len(prefix)]) == prefix
	}
	return equalFoldASCII(p[:len(prefix)], prefix)
}

// equalFoldASCII compares ignoring ASCII case, as absl::EqualsIgnoreCase.
func equalFoldASCII[T ~string | ~[]byte](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Match is the result of a route lookup: the route and, for forwarding
// routes, the upstream cluster. A Match is shared by every request that
// selects the same route (and weighted cluster); treat it as read-only.
type Match struct {
	// RouteName is the route's name (may be empty).
	RouteName string
	// VirtualHostName is the name of the selected virtual host.
	VirtualHostName string
	// Cluster is the upstream cluster, after the weighted_clusters pick;
	// empty for direct responses.
	Cluster string
	// Direct is set for direct_response routes; the caller replies with it
	// instead of forwarding.
	Direct *DirectResponse
	// Timeout is the route timeout: 15s when RouteAction.timeout is unset,
	// 0 when it is explicitly 0 (disabled) or the route is a direct response.
	Timeout time.Duration
	// Retry is the retry policy (the route's, else its virtual host's);
	// nil for none.
	Retry *RetryPolicy
	// AttemptCountUpstream and AttemptCountDownstream set x-envoy-attempt-count
	// on each upstream request and on the response (the virtual host's
	// include_request_attempt_count and include_attempt_count_in_response).
	AttemptCountUpstream, AttemptCountDownstream bool
	// Upgrades are the route's upgrade_configs: upgrade type (lower case)
	// to enabled, overriding the connection manager's; nil for none.
	Upgrades map[string]bool

	a  *action
	cw *clusterWeight
}

// action is what a route's Matches share.
type action struct {
	req, resp   []*mutations // route, virtual host, route configuration levels in evaluation order
	rewrite     rewrite
	hostRewrite string
	autoHost    bool
	appendXFH   bool
	suppress    bool // router suppress_envoy_headers
}

// clusterWeight holds the per weighted cluster settings.
type clusterWeight struct {
	req, resp   *mutations
	hostRewrite string
}

// rewrite is a route's prefix_rewrite.
type rewrite struct {
	enabled bool
	kind    pathKind
	value   string // the matched prefix or path
	fold    bool
	prefix  string // the replacement
}

// Vars resolves an Envoy substitution-format command found in a header value
// to add, such as "DOWNSTREAM_REMOTE_ADDRESS" or "UPSTREAM_HOST": command is
// the text between the two '%' (with any "(...)" argument and ":N" length).
// Returning ok false leaves "%command%" verbatim in the value; a known
// command with no value should return "", true (Envoy then omits the header
// unless keep_empty_value is set).
type Vars func(command string) (value string, ok bool)

// ApplyRequest applies the route to request headers, as Envoy's router does
// before forwarding; it is ApplyRequestVars without variables.
func (m *Match) ApplyRequest(h *host.Headers) { m.ApplyRequestVars(h, nil) }

// ApplyRequestVars applies the route to request headers in Envoy's order:
// the weighted cluster's request_headers_to_remove/add and
// host_rewrite_literal; then request_headers_to_remove/add of the route, the
// virtual host and the route configuration (from most to least specific, so
// the least specific level wins, unless most_specific_header_mutations_wins
// reverses it; each level removes before it adds, and evaluates all its
// values against the headers as they were before its own additions); then
// host_rewrite_literal; then prefix_rewrite, which replaces the matched
// prefix (or path, or for regex routes the whole path) and keeps the query
// string. Rewrites record the original value in x-envoy-original-host /
// x-envoy-original-path unless the table suppresses Envoy headers.
//
// %REQ(name)% in values reads the request headers; other commands go to vars
// (nil: left verbatim). Auto host rewrite happens later, once the upstream
// host is known: see ApplyUpstreamHost.
func (m *Match) ApplyRequestVars(h *host.Headers, vars Vars) {
	if m.cw != nil {
		m.cw.req.apply(h, vars, true)
		if m.cw.hostRewrite != "" {
			h.Set(":authority", m.cw.hostRewrite)
		}
	}
	for _, mu := range m.a.req {
		mu.apply(h, vars, true)
	}
	if m.a.hostRewrite != "" {
		m.updateAuthority(h, m.a.hostRewrite)
	}
	if m.a.rewrite.enabled {
		m.a.rewrite.apply(h, !m.a.suppress)
	}
}

// AutoHostRewrite reports whether the route sets auto_host_rewrite: the
// :authority must become the hostname of the upstream host picked for the
// request (see ApplyUpstreamHost).
func (m *Match) AutoHostRewrite() bool { return m.a.autoHost }

// ApplyUpstreamHost performs auto_host_rewrite once the upstream host is
// known: when the route sets it and hostname (the endpoint's hostname, empty
// for plain STATIC endpoints) is not empty, :authority becomes hostname.
// It reports whether it rewrote.
func (m *Match) ApplyUpstreamHost(h *host.Headers, hostname string) bool {
	if !m.a.autoHost || hostname == "" {
		return false
	}
	m.updateAuthority(h, hostname)
	return true
}

// updateAuthority is Envoy's Utility::updateAuthority: it records the old
// authority in x-forwarded-host (append_x_forwarded_host, unless it already
// is the last value) and x-envoy-original-host, then replaces it.
func (m *Match) updateAuthority(h *host.Headers, authority string) {
	if old, _ := h.Get(":authority"); old != "" {
		if m.a.appendXFH {
			xfh, ok := h.Get("x-forwarded-host")
			switch {
			case !ok || xfh == "":
				h.Set("x-forwarded-host", old)
			case strings.TrimSpace(xfh[strings.LastIndexByte(xfh, ',')+1:]) != old:
				h.Set("x-forwarded-host", xfh+","+old)
			}
		}
		if !m.a.suppress {
			h.Set("x-envoy-original-host", old)
		}
	}
	h.Set(":authority", authority)
}

func (rw *rewrite) apply(h *host.Headers, keepOriginal bool) {
	path, ok := h.Get(":path")
	if !ok {
		return
	}
	var n int
	if rw.kind == pathRegex {
		n = len(stripQuery(path))
	} else {
		if !hasPrefix(path, rw.value, rw.fold) {
			return // a filter changed the path under the route
		}
		n = len(rw.value)
	}
	if keepOriginal {
		h.Set("x-envoy-original-path", path)
	}
	h.Set(":path", rw.prefix+path[n:])
}

// ApplyResponse applies the route's response header mutations; it is
// ApplyResponseVars without variables.
func (m *Match) ApplyResponse(h *host.Headers) { m.ApplyResponseVars(h, nil) }

// ApplyResponseVars applies response_headers_to_remove/add of the weighted
// cluster, then of the route, virtual host and route configuration in the
// same order as ApplyRequestVars. Envoy applies them to upstream responses,
// direct responses and the router's local replies alike. %RESP(name)% reads
// the response headers; other commands (including %REQ(name)%) go to vars.
func (m *Match) ApplyResponseVars(h *host.Headers, vars Vars) {
	if m.cw != nil {
		m.cw.resp.apply(h, vars, false)
	}
	for _, mu := range m.a.resp {
		mu.apply(h, vars, false)
	}
}
