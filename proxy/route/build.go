package route

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// defaultTimeout is Envoy's route timeout when RouteAction.timeout is unset.
const defaultTimeout = 15 * time.Second

// builder carries what compiling a virtual host needs from the enclosing
// route configuration.
type builder struct {
	opts         options
	mostSpecLast bool // most_specific_header_mutations_wins
	maxBody      int  // max_direct_response_body_size_bytes
	global       level
}

// level holds the header mutations of one configuration level.
type level struct {
	req, resp *mutations
}

func buildLevel(what string, reqAdd []*corev3.HeaderValueOption, reqRemove []string,
	respAdd []*corev3.HeaderValueOption, respRemove []string) (level, error) {
	var l level
	var err error
	if l.req, err = buildMutations(what+"request_headers_to_add", what+"request_headers_to_remove", reqAdd, reqRemove); err != nil {
		return l, err
	}
	l.resp, err = buildMutations(what+"response_headers_to_add", what+"response_headers_to_remove", respAdd, respRemove)
	return l, err
}

func (b *builder) virtualHost(vhc *routev3.VirtualHost) (*virtualHost, error) {
	if vhc.GetMatcher() != nil {
		return nil, errors.New("matcher is not supported")
	}
	if vhc.GetRequireTls() != routev3.VirtualHost_NONE {
		return nil, errors.New("require_tls is not supported")
	}
	vl, err := buildLevel("", vhc.GetRequestHeadersToAdd(), vhc.GetRequestHeadersToRemove(),
		vhc.GetResponseHeadersToAdd(), vhc.GetResponseHeadersToRemove())
	if err != nil {
		return nil, err
	}
	var vd vhostDefaults
	if vd.retry, err = buildRetry(vhc.GetRetryPolicy()); err != nil {
		return nil, fmt.Errorf("retry_policy.%w", err)
	}
	vd.attemptsUp, vd.attemptsDown = vhc.GetIncludeRequestAttemptCount(), vhc.GetIncludeAttemptCountInResponse()
	vh := &virtualHost{name: vhc.GetName()}
	for i, rc := range vhc.GetRoutes() {
		r, err := b.route(vhc.GetName(), vl, vd, rc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", named("routes", i, rc.GetName()), err)
		}
		vh.routes = append(vh.routes, r)
	}
	return vh, nil
}

// vhostDefaults are what a virtual host gives its routes' Matches.
type vhostDefaults struct {
	retry                    *RetryPolicy
	attemptsUp, attemptsDown bool
}

func (b *builder) route(vhName string, vl level, vd vhostDefaults, rc *routev3.Route) (*routeEntry, error) {
	r := &routeEntry{}
	if err := r.buildMatch(rc.GetMatch()); err != nil {
		return nil, err
	}
	rl, err := buildLevel("", rc.GetRequestHeadersToAdd(), rc.GetRequestHeadersToRemove(),
		rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove())
	if err != nil {
		return nil, err
	}
	a := &action{suppress: b.opts.suppressEnvoyHeaders, rewrite: r.rewriteBase()}
	// Envoy evaluates the levels from most to least specific unless
	// most_specific_header_mutations_wins; later levels override earlier.
	levels := []level{rl, vl, b.global}
	if b.mostSpecLast {
		levels = []level{b.global, vl, rl}
	}
	for _, l := range levels {
		if l.req != nil {
			a.req = append(a.req, l.req)
		}
		if l.resp != nil {
			a.resp = append(a.resp, l.resp)
		}
	}
	base := Match{RouteName: rc.GetName(), VirtualHostName: vhName, a: a}

	switch act := rc.GetAction().(type) {
	case *routev3.Route_Route:
		base.Retry, base.AttemptCountUpstream, base.AttemptCountDownstream = vd.retry, vd.attemptsUp, vd.attemptsDown
		return r, b.routeAction(r, a, base, act.Route)
	case *routev3.Route_DirectResponse:
		d, err := b.directResponse(act.DirectResponse)
		if err != nil {
			return nil, fmt.Errorf("direct_response: %w", err)
		}
		m := base
		m.Direct = d
		r.single = &m
		return r, nil
	case nil:
		return nil, errors.New("action: one of route or direct_response is required")
	default:
		return nil, fmt.Errorf("%s: not supported (only route and direct_response)", whichOneof(rc, "action"))
	}
}

func (b *builder) routeAction(r *routeEntry, a *action, base Match, ra *routev3.RouteAction) error {
	if err := checkRouteAction(ra); err != nil {
		return fmt.Errorf("route.%w", err)
	}
	base.Timeout = defaultTimeout
	if t := ra.GetTimeout(); t != nil {
		base.Timeout = t.AsDuration()
	}
	for i, u := range ra.GetUpgradeConfigs() {
		if u.GetConnectConfig() != nil {
			return fmt.Errorf("route.upgrade_configs[%d].connect_config: not supported", i)
		}
		if base.Upgrades == nil {
			base.Upgrades = map[string]bool{}
		}
		base.Upgrades[strings.ToLower(u.GetUpgradeType())] = u.GetEnabled() == nil || u.GetEnabled().GetValue()
	}
	if rp := ra.GetRetryPolicy(); rp != nil {
		retry, err := buildRetry(rp)
		if err != nil {
			return fmt.Errorf("route.retry_policy.%w", err)
		}
		base.Retry = retry
	}
	a.rewrite.prefix = ra.GetPrefixRewrite()
	a.rewrite.enabled = ra.GetPrefixRewrite() != ""
	a.appendXFH = ra.GetAppendXForwardedHost()
	switch hr := ra.GetHostRewriteSpecifier().(type) {
	case nil:
	case *routev3.RouteAction_HostRewriteLiteral:
		a.hostRewrite = hr.HostRewriteLiteral
	case *routev3.RouteAction_AutoHostRewrite:
		a.autoHost = hr.AutoHostRewrite.GetValue()
	default:
		return fmt.Errorf("route.%s: not supported", whichOneof(ra, "host_rewrite_specifier"))
	}
	switch cs := ra.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		m := base
		m.Cluster = cs.Cluster
		r.single = &m
		return nil
	case *routev3.RouteAction_WeightedClusters:
		return b.weighted(r, base, cs.WeightedClusters)
	case nil:
		return errors.New("route.cluster_specifier: cluster or weighted_clusters is required")
	default:
		return fmt.Errorf("route.%s: not supported", whichOneof(ra, "cluster_specifier"))
	}
}

// checkRouteAction rejects RouteAction fields that change what reaches the
// upstream and that this package does not implement.
func checkRouteAction(ra *routev3.RouteAction) error {
	switch {
	case ra.GetRegexRewrite() != nil:
		return errors.New("regex_rewrite: not supported")
	case ra.GetPathRewritePolicy() != nil:
		return errors.New("path_rewrite_policy: not supported")
	case ra.GetPathRewrite() != "":
		return errors.New("path_rewrite: not supported")
	}
	return nil
}

func (b *builder) weighted(r *routeEntry, base Match, wc *routev3.WeightedCluster) error {
	if len(wc.GetClusters()) == 0 {
		return errors.New("route.weighted_clusters.clusters: at least one cluster is required")
	}
	var total uint64
	for i, c := range wc.GetClusters() {
		field := fmt.Sprintf("route.weighted_clusters.clusters[%d]", i)
		if c.GetName() == "" {
			return fmt.Errorf("%s.name: required (cluster_header is not supported)", field)
		}
		cl, err := buildLevel(field+".", c.GetRequestHeadersToAdd(), c.GetRequestHeadersToRemove(),
			c.GetResponseHeadersToAdd(), c.GetResponseHeadersToRemove())
		if err != nil {
			return err
		}
		total += uint64(c.GetWeight().GetValue())
		if total > 1<<32-1 {
			return errors.New("route.weighted_clusters: the sum of weights exceeds 4294967295")
		}
		m := base
		m.Cluster = c.GetName()
		m.cw = &clusterWeight{req: cl.req, resp: cl.resp, hostRewrite: c.GetHostRewriteLiteral()}
		r.weighted = append(r.weighted, weightedMatch{end: total, m: &m})
	}
	if total == 0 {
		return errors.New("route.weighted_clusters: sum of weights in the weighted_cluster must be greater than 0")
	}
	if tw := wc.GetTotalWeight(); tw != nil && tw.GetValue() > 0 && uint64(tw.GetValue()) != total {
		return fmt.Errorf("route.weighted_clusters.total_weight: sum of weights in the weighted_cluster should add up to %d, got %d", tw.GetValue(), total)
	}
	r.total = total
	switch rv := wc.GetRandomValueSpecifier().(type) {
	case nil:
	case *routev3.WeightedCluster_HeaderName:
		r.randomHeader = strings.ToLower(rv.HeaderName)
	default:
		return fmt.Errorf("route.weighted_clusters.%s: not supported", whichOneof(wc, "random_value_specifier"))
	}
	return nil
}

// DirectResponse is a route's direct_response action: the caller answers the
// request itself with Status and Body (Envoy sends a non-empty body with
// content-type text/plain unless response headers set one).
type DirectResponse struct {
	// Status is the HTTP status code.
	Status int
	// Body is the response body; nil when the route has none. Shared: do
	// not modify.
	Body []byte
}

func (b *builder) directResponse(dr *routev3.DirectResponseAction) (*DirectResponse, error) {
	if dr.GetBodyFormat() != nil {
		return nil, errors.New("body_format: not supported")
	}
	d := &DirectResponse{Status: int(dr.GetStatus())}
	if d.Status < 100 || d.Status > 599 {
		return nil, fmt.Errorf("status: %d is not in [100, 599]", d.Status)
	}
	if dr.GetBody() == nil {
		return d, nil
	}
	switch s := dr.GetBody().GetSpecifier().(type) {
	case *corev3.DataSource_InlineString:
		d.Body = []byte(s.InlineString)
	case *corev3.DataSource_InlineBytes:
		d.Body = s.InlineBytes
	case *corev3.DataSource_Filename:
		body, err := os.ReadFile(s.Filename)
		if err != nil {
			return nil, fmt.Errorf("body.filename: %w", err)
		}
		d.Body = body
	default:
		return nil, fmt.Errorf("body.%s: not supported", whichOneof(dr.GetBody(), "specifier"))
	}
	if len(d.Body) > b.maxBody {
		return nil, fmt.Errorf("body: response body size is %d bytes; maximum is %d", len(d.Body), b.maxBody)
	}
	return d, nil
}

// buildMatch compiles a RouteMatch.
func (r *routeEntry) buildMatch(m *routev3.RouteMatch) error {
	if m == nil {
		return errors.New("match: required")
	}
	switch {
	case m.GetRuntimeFraction() != nil:
		return errors.New("match.runtime_fraction: not supported")
	case len(m.GetQueryParameters()) > 0:
		return errors.New("match.query_parameters: not supported")
	case len(m.GetCookies()) > 0:
		return errors.New("match.cookies: not supported")
	case m.GetGrpc() != nil:
		return errors.New("match.grpc: not supported")
	case m.GetTlsContext() != nil:
		return errors.New("match.tls_context: not supported")
	case len(m.GetDynamicMetadata()) > 0:
		return errors.New("match.dynamic_metadata: not supported")
	case len(m.GetFilterState()) > 0:
		return errors.New("match.filter_state: not supported")
	}
	r.fold = m.GetCaseSensitive() != nil && !m.GetCaseSensitive().GetValue()
	switch ps := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		r.kind, r.value = pathPrefix, ps.Prefix
	case *routev3.RouteMatch_Path:
		r.kind, r.value = pathExact, ps.Path
	case *routev3.RouteMatch_PathSeparatedPrefix:
		r.kind, r.value = pathSeparated, ps.PathSeparatedPrefix
	case *routev3.RouteMatch_SafeRegex:
		// Envoy's regex routes ignore case_sensitive.
		r.kind, r.fold = pathRegex, false
		re, err := compileFull(ps.SafeRegex.GetRegex())
		if err != nil {
			return fmt.Errorf("match.safe_regex: %w", err)
		}
		r.re = re
	case nil:
		return errors.New("match: one of prefix, path, safe_regex or path_separated_prefix is required")
	default:
		return fmt.Errorf("match.%s: not supported", whichOneof(m, "path_specifier"))
	}
	for i, hm := range m.GetHeaders() {
		c, err := buildHeaderMatcher(hm)
		if err != nil {
			return fmt.Errorf("match.headers[%d] (%s): %w", i, hm.GetName(), err)
		}
		r.headers = append(r.headers, c)
	}
	return nil
}

// whichOneof names the field set in a oneof, for error messages.
func whichOneof(m proto.Message, oneof string) string {
	r := m.ProtoReflect()
	if od := r.Descriptor().Oneofs().ByName(protoreflect.Name(oneof)); od != nil {
		if fd := r.WhichOneof(od); fd != nil {
			return string(fd.Name())
		}
	}
	return oneof
}

// compileFull compiles an RE2 pattern that must match the whole input, as
// Envoy's safe_regex matchers do.
func compileFull(pattern string) (*regexp.Regexp, error) {
	// Compiling the bare pattern first guarantees it is balanced, so the
	// anchoring group cannot change its meaning.
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, fmt.Errorf("invalid regex %q: %w", pattern, err)
	}
	return regexp.Compile(`\A(?:` + pattern + `)\z`)
}
