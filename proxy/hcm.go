package proxy

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy/route"
)

// httpConnManager is an envoy.filters.network.http_connection_manager: the
// HTTP codec (HTTP/1.1 and h2c), the Wasm HTTP filters, the router.
type httpConnManager struct {
	srv        *Server
	statPrefix string
	routes     *route.Table
	plugins    []*wasmPlugin
	serverName string
	accessLogs []*accessLog
	genReqID   bool
	upgrades   map[string]bool // upgrade_configs: upgrade type (lower case) to enabled
	// upstream ends the filter chain: the router, or the wrapped handler
	// of a Middleware.
	upstream func(x *exchange, body []byte)

	rqTotal, rq1xx, rq2xx, rq3xx, rq4xx, rq5xx, cxTotal *atomic.Uint64
	rqActive, cxActive                                  *atomic.Int64
}

// connInfo is attached to each downstream connection's context.
type connInfo struct {
	id            uint64
	worker        int
	local, remote string
	tls           *tls.ConnectionState // TCP proxy connections over TLS (HTTP uses r.TLS)
}

type connKey struct{}

func (s *Server) newHCM(path string, cfg *hcmv3.HttpConnectionManager, l *loader) (*httpConnManager, error) {
	h := &httpConnManager{srv: s, statPrefix: cfg.GetStatPrefix(), serverName: "envoy", upstream: (*exchange).route}
	if n := cfg.GetServerName(); n != "" {
		h.serverName = n
	}
	h.genReqID = cfg.GetGenerateRequestId() == nil || cfg.GetGenerateRequestId().GetValue()
	for _, u := range cfg.GetUpgradeConfigs() {
		if h.upgrades == nil {
			h.upgrades = map[string]bool{}
		}
		h.upgrades[strings.ToLower(u.GetUpgradeType())] = u.GetEnabled() == nil || u.GetEnabled().GetValue()
	}
	if err := s.checkRouteClusters(path+".route_config", cfg); err != nil {
		return nil, err
	}
	rt, err := route.NewTable(cfg.GetRouteConfig())
	if err != nil {
		return nil, fmt.Errorf("%s.route_config: %w", path, err)
	}
	h.routes = rt
	for i, f := range cfg.GetHttpFilters() {
		fpath := fmt.Sprintf("%s.http_filters[%d]", path, i)
		switch tc := f.GetTypedConfig(); tc.GetTypeUrl() {
		case "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router":
			if i != len(cfg.GetHttpFilters())-1 {
				return nil, fmt.Errorf("%s: the router must be the last http filter", fpath)
			}
		case "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm":
			w, err := envoyconfig.HTTPWasm(tc)
			if err != nil {
				return nil, fmt.Errorf("%s.typed_config: %w", fpath, err)
			}
			p, err := l.wasm.load(fpath+".typed_config.config", w.GetConfig())
			if err != nil {
				return nil, err
			}
			h.plugins = append(h.plugins, p)
		default:
			return nil, fmt.Errorf("%s: unsupported http filter %s", fpath, tc.GetTypeUrl())
		}
	}
	for i, al := range cfg.GetAccessLog() {
		a, err := newAccessLog(al)
		if err != nil {
			return nil, fmt.Errorf("%s.access_log[%d]: %w", path, i, err)
		}
		h.accessLogs = append(h.accessLogs, a)
	}
	h.initStats()
	return h, nil
}

func (h *httpConnManager) initStats() {
	st := h.srv.stats
	p := "http." + h.statPrefix + "."
	h.rqTotal, h.cxTotal = st.Counter(p+"downstream_rq_total"), st.Counter(p+"downstream_cx_total")
	h.rq1xx, h.rq2xx, h.rq3xx = st.Counter(p+"downstream_rq_1xx"), st.Counter(p+"downstream_rq_2xx"), st.Counter(p+"downstream_rq_3xx")
	h.rq4xx, h.rq5xx = st.Counter(p+"downstream_rq_4xx"), st.Counter(p+"downstream_rq_5xx")
	h.rqActive, h.cxActive = st.Gauge(p+"downstream_rq_active"), st.Gauge(p+"downstream_cx_active")
}

// checkRouteClusters fails on a route to a cluster that does not exist, as
// Envoy does for static route configurations (validate_clusters).
func (s *Server) checkRouteClusters(path string, cfg *hcmv3.HttpConnectionManager) error {
	for i, vh := range cfg.GetRouteConfig().GetVirtualHosts() {
		for j, r := range vh.GetRoutes() {
			rpath := fmt.Sprintf("%s.virtual_hosts[%d].routes[%d].route", path, i, j)
			a := r.GetRoute()
			if c := a.GetCluster(); c != "" && s.clusters.Cluster(c) == nil {
				return fmt.Errorf("%s.cluster: unknown cluster %q", rpath, c)
			}
			for k, wc := range a.GetWeightedClusters().GetClusters() {
				if s.clusters.Cluster(wc.GetName()) == nil {
					return fmt.Errorf("%s.weighted_clusters.clusters[%d].name: unknown cluster %q", rpath, k, wc.GetName())
				}
			}
		}
	}
	return nil
}

// ServeHTTP runs one request through the filter chain.
func (h *httpConnManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ci, _ := r.Context().Value(connKey{}).(*connInfo)
	if ci == nil {
		ci = h.srv.newConn(nil)
	}
	x := &exchange{hcm: h, worker: ci.worker, down: &stdDownstream{w: w, r: r}, ctx: r.Context(), events: make(chan event, 16), start: time.Now()}
	x.props = &streamProps{x: x, connID: ci.id, source: ci.remote, dest: ci.local}
	x.reqHeaders, x.reqEOS = requestHeaders(r), requestEOS(r)
	h.serve(x)
}

// serve runs an exchange whose request headers the codec has read.
func (h *httpConnManager) serve(x *exchange) {
	h.rqTotal.Add(1)
	h.rqActive.Add(1)
	defer h.finish(x)
	if h.genReqID {
		if _, ok := x.reqHeaders.GetBytes("x-request-id"); !ok {
			var id [36]byte
			x.reqHeaders.SetBytes("x-request-id", newRequestID(id[:0], x.start))
		}
	}
	x.run()
}

func (h *httpConnManager) finish(x *exchange) {
	h.rqActive.Add(-1)
	switch {
	case x.code >= 500:
		h.rq5xx.Add(1)
	case x.code >= 400:
		h.rq4xx.Add(1)
	case x.code >= 300:
		h.rq3xx.Add(1)
	case x.code >= 200:
		h.rq2xx.Add(1)
	case x.code >= 100:
		h.rq1xx.Add(1)
	}
	x.closeAll()
	for _, a := range h.accessLogs {
		a.log(x)
	}
}

var reqIDCounter atomic.Uint64

// upgradeAllowed reports whether a request's upgrade (its upgrade field)
// may go ahead, as Envoy decides before any filter runs: the matched
// route's upgrade_configs for that type win, else the connection
// manager's.
func (h *httpConnManager) upgradeAllowed(req *host.Headers) bool {
	v, _ := req.Get("upgrade")
	typ := strings.ToLower(v)
	if m := h.routes.Match(req); m != nil {
		if on, ok := m.Upgrades[typ]; ok {
			return on
		}
	}
	return h.upgrades[typ]
}

// newRequestID appends a UUID-shaped id (version 4 layout, as Envoy's
// x-request-id) to b: the time and a process-wide counter, unique within
// the process. now is the request's start, so that no clock is read here.
func newRequestID(b []byte, now time.Time) []byte {
	n := reqIDCounter.Add(1)
	t := uint64(now.UnixNano())
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], t)
	binary.BigEndian.PutUint64(u[8:], n)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

const hexDigits = "0123456789abcdef"

// newConn assigns a downstream connection an id and a worker (round robin,
// as the kernel balances accepts over Envoy's workers).
func (s *Server) newConn(c net.Conn) *connInfo {
	ci := &connInfo{id: s.connID.Add(1)}
	ci.worker = int(ci.id % uint64(s.workers))
	if c != nil {
		ci.local, ci.remote = c.LocalAddr().String(), c.RemoteAddr().String()
	}
	return ci
}
