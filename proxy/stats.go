package proxy

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wasmesh/wasmesh/host"
)

// Stats is the proxy's own counters and gauges, named as Envoy names them
// (http.<stat_prefix>.downstream_rq_total, listener.<addr>.downstream_cx_total,
// cluster.<name>.upstream_rq_total, wasm.<...>). Guest metrics come from
// the host runtime and are merged when rendering.
type Stats struct {
	mu       sync.RWMutex
	counters map[string]*atomic.Uint64
	gauges   map[string]*atomic.Int64
}

func newStats() *Stats {
	return &Stats{counters: map[string]*atomic.Uint64{}, gauges: map[string]*atomic.Int64{}}
}

// Counter returns the counter of that name, creating it.
func (s *Stats) Counter(name string) *atomic.Uint64 {
	s.mu.RLock()
	c := s.counters[name]
	s.mu.RUnlock()
	if c != nil {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c = s.counters[name]; c == nil {
		c = &atomic.Uint64{}
		s.counters[name] = c
	}
	return c
}

// Gauge returns the gauge of that name, creating it.
func (s *Stats) Gauge(name string) *atomic.Int64 {
	s.mu.RLock()
	g := s.gauges[name]
	s.mu.RUnlock()
	if g != nil {
		return g
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g = s.gauges[name]; g == nil {
		g = &atomic.Int64{}
		s.gauges[name] = g
	}
	return g
}

// statValue is one rendered stat.
type statValue struct {
	name   string
	kind   string // counter, gauge, histogram
	value  int64
	hist   *host.HistogramSnapshot
	tags   [][2]string // from stats_tags (prometheus labels)
	tagged string      // name with tag values removed
}

// StatsTag is one stats_tags entry: a regex whose first capture group is
// the tag value, removed from the name (Envoy's tag extraction), or a
// fixed value.
type StatsTag struct {
	Name  string
	Regex *regexp.Regexp
	Fixed string
}

// snapshot returns every stat, sorted by name.
func (s *Stats) snapshot(metrics *host.Metrics, tags []StatsTag) []statValue {
	var out []statValue
	s.mu.RLock()
	for n, c := range s.counters {
		out = append(out, statValue{name: n, kind: "counter", value: int64(c.Load())})
	}
	for n, g := range s.gauges {
		out = append(out, statValue{name: n, kind: "gauge", value: g.Load()})
	}
	s.mu.RUnlock()
	if metrics != nil {
		for _, m := range metrics.All() {
			v := statValue{name: m.Name, value: m.Value()}
			switch m.Type {
			case host.MetricCounter:
				v.kind = "counter"
			case host.MetricGauge:
				v.kind = "gauge"
			default:
				v.kind = "histogram"
				h := m.Histogram()
				v.hist = &h
			}
			out = append(out, v)
		}
	}
	for i := range out {
		out[i].tagged, out[i].tags = extractTags(out[i].name, tags)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// extractTags applies stats_tags: each regex's first submatch is a tag
// value; the text matched by the first group's enclosing match is removed
// from the name, as Envoy does.
func extractTags(name string, tags []StatsTag) (string, [][2]string) {
	var out [][2]string
	for _, t := range tags {
		if t.Regex == nil {
			out = append(out, [2]string{t.Name, t.Fixed})
			continue
		}
		m := t.Regex.FindStringSubmatchIndex(name)
		if m == nil || len(m) < 4 || m[2] < 0 {
			continue
		}
		out = append(out, [2]string{t.Name, name[m[2]:m[3]]})
		// Envoy removes the part matched by the whole regex, or by a
		// second group when the regex has one.
		rs, re := m[0], m[1]
		if len(m) >= 6 && m[4] >= 0 {
			rs, re = m[4], m[5]
		}
		name = name[:rs] + name[re:]
	}
	return strings.Trim(name, "."), out
}

// writeText renders /stats: "name: value" lines, histograms as Envoy's
// summary line.
func writeText(w io.Writer, stats []statValue) {
	for _, s := range stats {
		if s.hist != nil {
			if s.hist.Count == 0 {
				fmt.Fprintf(w, "%s: No recorded values\n", s.name)
				continue
			}
			fmt.Fprintf(w, "%s: P0(nan,%g) P25(nan,%g) P50(nan,%g) P75(nan,%g) P90(nan,%g) P95(nan,%g) P99(nan,%g) P99.5(nan,%g) P99.9(nan,%g) P100(nan,%g)\n",
				s.name, q(s.hist, 0), q(s.hist, .25), q(s.hist, .5), q(s.hist, .75), q(s.hist, .9), q(s.hist, .95), q(s.hist, .99), q(s.hist, .995), q(s.hist, .999), q(s.hist, 1))
			continue
		}
		fmt.Fprintf(w, "%s: %d\n", s.name, s.value)
	}
}

// q estimates a quantile from cumulative buckets (upper bound of the bucket).
func q(h *host.HistogramSnapshot, p float64) float64 {
	want := uint64(p * float64(h.Count))
	for i, c := range h.Buckets {
		if c >= want && c > 0 {
			return host.HistogramBuckets[i]
		}
	}
	return host.HistogramBuckets[len(host.HistogramBuckets)-1]
}

// promName turns a stat name into a Prometheus metric name: built-in stats
// get Envoy's "envoy_" prefix; guest metrics (Envoy's wasmcustom namespace)
// keep their own name.
func promName(s statValue, custom bool) string {
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ':' {
			return r
		}
		return '_'
	}, s.tagged)
	if custom {
		return n
	}
	return "envoy_" + n
}

// writePrometheus renders /stats/prometheus in the text exposition format.
func writePrometheus(w io.Writer, stats []statValue, isCustom func(string) bool) {
	type family struct {
		kind  string
		lines []string
	}
	fams := map[string]*family{}
	var order []string
	for _, s := range stats {
		name := promName(s, isCustom(s.name))
		f := fams[name]
		if f == nil {
			f = &family{kind: s.kind}
			fams[name] = f
			order = append(order, name)
		}
		labels := promLabels(s.tags, "")
		if s.hist == nil {
			f.lines = append(f.lines, fmt.Sprintf("%s%s %d", name, labels, s.value))
			continue
		}
		for i, c := range s.hist.Buckets {
			f.lines = append(f.lines, fmt.Sprintf("%s_bucket%s %d", name, promLabels(s.tags, fmt.Sprintf("%g", host.HistogramBuckets[i])), c))
		}
		f.lines = append(f.lines, fmt.Sprintf("%s_bucket%s %d", name, promLabels(s.tags, "+Inf"), s.hist.Count))
		f.lines = append(f.lines, fmt.Sprintf("%s_sum%s %g", name, labels, s.hist.Sum))
		f.lines = append(f.lines, fmt.Sprintf("%s_count%s %d", name, labels, s.hist.Count))
	}
	sort.Strings(order)
	for _, name := range order {
		f := fams[name]
		fmt.Fprintf(w, "# TYPE %s %s\n", name, f.kind)
		for _, l := range f.lines {
			fmt.Fprintln(w, l)
		}
	}
}

func promLabels(tags [][2]string, le string) string {
	if len(tags) == 0 && le == "" {
		return ""
	}
	var parts []string
	for _, t := range tags {
		parts = append(parts, fmt.Sprintf("%s=%q", t[0], t[1]))
	}
	if le != "" {
		parts = append(parts, fmt.Sprintf("le=%q", le))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
