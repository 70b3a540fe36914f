package proxy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wasmesh/wasmesh/host"
)

// Version is what /server_info reports.
var Version = "wasmesh-dev"

type adminServer struct {
	ln  net.Listener
	srv *http.Server
}

// newAdmin binds Envoy's admin interface.
func (s *Server) newAdmin(addr *corev3.Address) (*adminServer, error) {
	sa := addr.GetSocketAddress()
	if sa == nil {
		return nil, fmt.Errorf("a socket_address is required")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(sa.GetAddress(), fmt.Sprint(sa.GetPortValue())))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.adminHome)
	mux.HandleFunc("/ready", s.adminReady)
	mux.HandleFunc("/server_info", s.adminServerInfo)
	mux.HandleFunc("/listeners", s.adminListeners)
	mux.HandleFunc("/clusters", s.adminClusters)
	mux.HandleFunc("/stats", s.adminStats)
	mux.HandleFunc("/stats/prometheus", s.adminPrometheus)
	mux.HandleFunc("/config_dump", s.adminConfigDump)
	mux.HandleFunc("/logging", s.adminLogging)
	mux.HandleFunc("/quitquitquit", s.adminQuit)
	mux.HandleFunc("/wasm", s.adminWasm)
	return &adminServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

var adminEndpoints = [][2]string{
	{"/clusters", "upstream cluster status"},
	{"/config_dump", "dump current Envoy configs"},
	{"/listeners", "print listener info"},
	{"/logging", "query/change logging levels"},
	{"/quitquitquit", "exit the server"},
	{"/ready", "print server state, return 200 if LIVE, otherwise return 503"},
	{"/server_info", "print server version/status information"},
	{"/stats", "print server stats"},
	{"/stats/prometheus", "print server stats in prometheus format"},
	{"/wasm", "Wasm plugins: code, digests, policy, state (fetching, fetch failed + retry time, running, ...) (wasmesh)"},
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("content-type", "text/plain")
	fmt.Fprintln(w, "admin commands are:")
	for _, e := range adminEndpoints {
		fmt.Fprintf(w, "  %s: %s\n", e[0], e[1])
	}
}

func (s *Server) adminReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("content-type", "text/plain")
	if s.ready.Load() {
		fmt.Fprintln(w, "LIVE")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintln(w, "PRE_INITIALIZING")
}

func (s *Server) state() string {
	if s.ready.Load() {
		return "LIVE"
	}
	return "DRAINING"
}

func (s *Server) adminServerInfo(w http.ResponseWriter, _ *http.Request) {
	node, _ := protojson.Marshal(s.cfg.Bootstrap.GetNode())
	info := map[string]any{
		"version":              Version,
		"state":                s.state(),
		"uptime_current_epoch": fmt.Sprintf("%ds", int(time.Since(s.start).Seconds())),
		"uptime_all_epochs":    fmt.Sprintf("%ds", int(time.Since(s.start).Seconds())),
		"hot_restart_version":  "disabled",
		"command_line_options": map[string]any{"concurrency": s.workers, "args": s.opts.CommandLine},
		"node":                 json.RawMessage(orEmpty(node)),
	}
	writeJSON(w, info)
}

func orEmpty(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("content-type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

func (s *Server) adminListeners(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("format") == "json" {
		var ls []map[string]any
		for _, ln := range s.listeners {
			host, port := hostPort(ln.ln.Addr())
			ls = append(ls, map[string]any{"name": ln.name, "local_address": map[string]any{"socket_address": map[string]any{"address": host, "port_value": port}}})
		}
		writeJSON(w, map[string]any{"listener_statuses": ls})
		return
	}
	w.Header().Set("content-type", "text/plain")
	for _, ln := range s.listeners {
		fmt.Fprintf(w, "%s::%s\n", ln.name, ln.ln.Addr())
	}
}

func (s *Server) adminClusters(w http.ResponseWriter, r *http.Request) {
	names := s.clusters.Names()
	sort.Strings(names)
	if r.URL.Query().Get("format") == "json" {
		var out []map[string]any
		for _, n := range names {
			c := s.clusters.Cluster(n)
			var hosts []map[string]any
			for _, h := range c.Hosts() {
				hosts = append(hosts, map[string]any{"address": h.Address, "hostname": h.Hostname, "weight": h.Weight,
					"health_status": map[string]any{"eds_health_status": healthy(h.Healthy)},
					"stats":         []map[string]any{{"name": "rq_total", "value": h.RqTotal}, {"name": "rq_active", "value": h.RqActive}, {"name": "cx_total", "value": h.CxTotal}}})
			}
			out = append(out, map[string]any{"name": n, "added_via_api": false, "host_statuses": hosts})
		}
		writeJSON(w, map[string]any{"cluster_statuses": out})
		return
	}
	w.Header().Set("content-type", "text/plain")
	for _, n := range names {
		c := s.clusters.Cluster(n)
		fmt.Fprintf(w, "%s::observability_name::%s\n", n, n)
		fmt.Fprintf(w, "%s::default_priority::max_connections::1024\n", n)
		fmt.Fprintf(w, "%s::added_via_api::false\n", n)
		for _, h := range c.Hosts() {
			p := n + "::" + h.Address
			fmt.Fprintf(w, "%s::cx_active::%d\n%s::cx_total::%d\n%s::rq_active::%d\n%s::rq_error::%d\n%s::rq_total::%d\n",
				p, h.CxActive, p, h.CxTotal, p, h.RqActive, p, h.RqError, p, h.RqTotal)
			fmt.Fprintf(w, "%s::hostname::%s\n%s::health_flags::%s\n%s::weight::%d\n", p, h.Hostname, p, healthFlags(h.Healthy), p, h.Weight)
		}
	}
}

func healthy(ok bool) string {
	if ok {
		return "HEALTHY"
	}
	return "UNHEALTHY"
}

func healthFlags(ok bool) string {
	if ok {
		return "healthy"
	}
	return "/failed_active_hc"
}

// allStats merges the proxy's stats, cluster stats and guest metrics.
func (s *Server) allStats() []statValue {
	for _, n := range s.clusters.Names() {
		c := s.clusters.Cluster(n)
		st := c.Stats()
		p := "cluster." + n + "."
		for name, v := range st.Counters() {
			s.stats.Counter(p + name).Store(v)
		}
		for name, v := range st.Gauges() {
			s.stats.Gauge(p + name).Store(v)
		}
	}
	s.stats.Gauge("server.uptime").Store(int64(time.Since(s.start).Seconds()))
	live := int64(0)
	if s.ready.Load() {
		live = 1
	}
	s.stats.Gauge("server.live").Store(live)
	return s.stats.snapshot(s.rt.Metrics(), s.tags)
}

func (s *Server) isGuestMetric(name string) bool {
	for _, t := range []host.MetricType{host.MetricCounter, host.MetricGauge, host.MetricHistogram} {
		if s.rt.Metrics().Get(t, name) != nil {
			return true
		}
	}
	return false
}

func (s *Server) adminStats(w http.ResponseWriter, r *http.Request) {
	stats := s.allStats()
	if f := r.URL.Query().Get("filter"); f != "" {
		re, err := regexp.Compile(f)
		if err != nil {
			http.Error(w, "invalid regex: "+err.Error(), http.StatusBadRequest)
			return
		}
		kept := stats[:0]
		for _, st := range stats {
			if re.MatchString(st.name) {
				kept = append(kept, st)
			}
		}
		stats = kept
	}
	if r.URL.Query().Get("format") == "json" {
		var out []map[string]any
		for _, st := range stats {
			if st.hist == nil {
				out = append(out, map[string]any{"name": st.name, "value": st.value})
			}
		}
		writeJSON(w, map[string]any{"stats": out})
		return
	}
	if r.URL.Query().Get("format") == "prometheus" {
		s.adminPrometheus(w, r)
		return
	}
	w.Header().Set("content-type", "text/plain")
	writeText(w, stats)
}

func (s *Server) adminPrometheus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("content-type", "text/plain; version=0.0.4")
	writePrometheus(w, s.allStats(), s.isGuestMetric)
}

func (s *Server) adminConfigDump(w http.ResponseWriter, _ *http.Request) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(s.cfg.Bootstrap)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"configs": []any{map[string]any{
		"@type":        "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
		"bootstrap":    json.RawMessage(b),
		"last_updated": s.start.UTC().Format(time.RFC3339Nano),
	}}})
}

// adminLogging is Envoy's /logging: GET lists levels; POST ?level=L sets
// every logger, ?<component>=L one of them.
func (s *Server) adminLogging(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("content-type", "text/plain")
	q := r.URL.Query()
	if len(q) > 0 {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprintln(w, "This endpoint requires POST.")
			return
		}
		for k, vs := range q {
			lvl, err := host.ParseLogLevel(vs[0])
			if err != nil {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, "error: unknown level %q\n", vs[0])
				return
			}
			if k == "level" {
				s.log.SetAll(lvl)
			} else if k == "paths" {
				for _, kv := range strings.Split(vs[0], ",") {
					if c, l, ok := strings.Cut(kv, ":"); ok {
						if lv, err := host.ParseLogLevel(l); err == nil {
							s.log.SetLevel(c, lv)
						}
					}
				}
			} else {
				s.log.SetLevel(k, lvl)
			}
		}
	}
	fmt.Fprintln(w, "active loggers:")
	for _, kv := range s.log.Levels() {
		fmt.Fprintf(w, "  %s: %s\n", kv[0], kv[1])
	}
}

func (s *Server) adminQuit(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprintln(w, "This endpoint requires POST.")
		return
	}
	fmt.Fprintln(w, "OK")
	go s.Shutdown(r.Context())
}

func (s *Server) adminWasm(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"plugins": s.Plugins()})
}
