package host

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Metrics holds every metric guests defined, process-wide and by name, as
// Envoy's stats store: the same name defined on several VMs (one per
// worker) is one metric. It is safe for concurrent use.
type Metrics struct {
	mu     sync.RWMutex
	byName map[metricKey]*Metric
}

// metricKey: as in Envoy's store, a counter and a gauge may share a name.
type metricKey struct {
	name string
	t    MetricType
}

func newMetrics() *Metrics { return &Metrics{byName: map[metricKey]*Metric{}} }

// HistogramBuckets are the upper bounds of histogram buckets: Envoy's
// default supported_buckets.
var HistogramBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// Metric is one counter, gauge or histogram.
type Metric struct {
	Name string
	Type MetricType

	value atomic.Int64 // counter or gauge

	hmu     sync.Mutex
	count   uint64
	sum     float64
	buckets []uint64 // cumulative is computed on read
}

// Value returns a counter's or gauge's value.
func (m *Metric) Value() int64 { return m.value.Load() }

// HistogramSnapshot is a histogram's state.
type HistogramSnapshot struct {
	Count uint64
	Sum   float64
	// Buckets[i] counts samples <= HistogramBuckets[i] (cumulative).
	Buckets []uint64
}

// Histogram returns a histogram's samples so far.
func (m *Metric) Histogram() HistogramSnapshot {
	m.hmu.Lock()
	defer m.hmu.Unlock()
	s := HistogramSnapshot{Count: m.count, Sum: m.sum, Buckets: make([]uint64, len(HistogramBuckets))}
	var c uint64
	for i, n := range m.buckets {
		c += n
		s.Buckets[i] = c
	}
	return s
}

func (m *Metric) record(v int64) {
	m.hmu.Lock()
	m.count++
	m.sum += float64(v)
	i := sort.SearchFloat64s(HistogramBuckets, float64(v))
	if i < len(m.buckets) {
		m.buckets[i]++
	}
	m.hmu.Unlock()
}

// Get returns the metric of that type and name, or nil.
func (ms *Metrics) Get(t MetricType, name string) *Metric {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return ms.byName[metricKey{name, t}]
}

// All returns every metric, sorted by name.
func (ms *Metrics) All() []*Metric {
	ms.mu.RLock()
	out := make([]*Metric, 0, len(ms.byName))
	for _, m := range ms.byName {
		out = append(out, m)
	}
	ms.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// define returns the metric of that type and name, creating it.
func (ms *Metrics) define(t MetricType, name []byte) *Metric {
	ms.mu.RLock()
	m := ms.byName[metricKey{string(name), t}]
	ms.mu.RUnlock()
	if m != nil {
		return m
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	k := metricKey{string(name), t}
	if m = ms.byName[k]; m != nil {
		return m
	}
	m = &Metric{Name: k.name, Type: t}
	if t == MetricHistogram {
		m.buckets = make([]uint64, len(HistogramBuckets))
	}
	ms.byName[k] = m
	return m
}
