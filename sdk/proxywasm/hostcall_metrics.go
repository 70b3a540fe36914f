package proxywasm

import (
	"fmt"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// Metrics. Define them in PluginContext.OnPluginStart (not in init: the host
// allows no proxy_* call but logging while the module starts). Ids are per
// VM. Envoy exports a metric named "x" as "x" in /stats (it is stored as
// "wasmcustom.x").
//
// The typed helpers (MetricCounter, MetricGauge, MetricHistogram) panic when
// the host returns an error, like upstream's; DefineMetric, IncrementMetric,
// RecordMetric and GetMetric return the error instead.

type (
	// MetricCounter is a counter; create it with DefineCounterMetric.
	MetricCounter uint32
	// MetricGauge is a gauge; create it with DefineGaugeMetric.
	MetricGauge uint32
	// MetricHistogram is a histogram; create it with DefineHistogramMetric.
	MetricHistogram uint32
)

// DefineMetric defines a metric of the given type and returns its id. It
// calls proxy_define_metric; an invalid type gives
// types.ErrorStatusBadArgument.
func DefineMetric(metricType types.MetricType, name string) (metricID uint32, err error) {
	st := abi.ProxyDefineMetric(uint32(metricType), stringPtr(name), uint32(len(name)), &metricID)
	if err := statusToError(st); err != nil {
		return 0, err
	}
	return metricID, nil
}

// IncrementMetric adds offset to a counter or gauge. It calls
// proxy_increment_metric; in Envoy an offset <= 0 on a counter, or any
// increment of a histogram, gives types.ErrorStatusBadArgument and an
// unknown id types.ErrorStatusNotFound.
func IncrementMetric(metricID uint32, offset int64) error {
	return statusToError(abi.ProxyIncrementMetric(metricID, offset))
}

// RecordMetric records value: it adds to a counter, sets a gauge and records
// a histogram sample. It calls proxy_record_metric; an unknown id gives
// types.ErrorStatusNotFound.
func RecordMetric(metricID uint32, value uint64) error {
	return statusToError(abi.ProxyRecordMetric(metricID, value))
}

// GetMetric returns the value of a counter or gauge. It calls
// proxy_get_metric; Envoy answers types.ErrorStatusBadArgument for a
// histogram and types.ErrorStatusNotFound for an unknown id.
func GetMetric(metricID uint32) (uint64, error) {
	var v uint64
	if err := statusToError(abi.ProxyGetMetric(metricID, &v)); err != nil {
		return 0, err
	}
	return v, nil
}

func mustDefine(metricType types.MetricType, name string) uint32 {
	id, err := DefineMetric(metricType, name)
	if err != nil {
		panic(fmt.Sprintf("proxywasm: define metric %q: %v", name, err))
	}
	return id
}

// DefineCounterMetric defines a counter. It calls proxy_define_metric and
// panics if the host returns an error.
func DefineCounterMetric(name string) MetricCounter {
	return MetricCounter(mustDefine(types.MetricTypeCounter, name))
}

// Value returns the counter's value. It calls proxy_get_metric and panics if
// the host returns an error.
func (m MetricCounter) Value() uint64 {
	v, err := m.Get()
	if err != nil {
		panic(fmt.Sprintf("proxywasm: get metric %d: %v", uint32(m), err))
	}
	return v
}

// Get returns the counter's value. It calls proxy_get_metric.
func (m MetricCounter) Get() (uint64, error) {
	return GetMetric(uint32(m))
}

// Increment adds offset to the counter; an offset of 0 does nothing. It
// calls proxy_increment_metric and panics if the host returns an error.
func (m MetricCounter) Increment(offset uint64) {
	if offset == 0 {
		return
	}
	if err := IncrementMetric(uint32(m), int64(offset)); err != nil {
		panic(fmt.Sprintf("proxywasm: increment metric %d by %d: %v", uint32(m), offset, err))
	}
}

// DefineGaugeMetric defines a gauge. It calls proxy_define_metric and panics
// if the host returns an error.
func DefineGaugeMetric(name string) MetricGauge {
	return MetricGauge(mustDefine(types.MetricTypeGauge, name))
}

// Value returns the gauge's value. It calls proxy_get_metric and panics if
// the host returns an error.
func (m MetricGauge) Value() int64 {
	v, err := m.Get()
	if err != nil {
		panic(fmt.Sprintf("proxywasm: get metric %d: %v", uint32(m), err))
	}
	return v
}

// Get returns the gauge's value. It calls proxy_get_metric.
func (m MetricGauge) Get() (int64, error) {
	v, err := GetMetric(uint32(m))
	return int64(v), err
}

// Add adds offset (which may be negative) to the gauge; 0 does nothing. It
// calls proxy_increment_metric and panics if the host returns an error.
func (m MetricGauge) Add(offset int64) {
	if offset == 0 {
		return
	}
	if err := IncrementMetric(uint32(m), offset); err != nil {
		panic(fmt.Sprintf("proxywasm: add %d to metric %d: %v", offset, uint32(m), err))
	}
}

// Set sets the gauge to value. It calls proxy_record_metric and panics if
// the host returns an error. (A wasmesh addition.)
func (m MetricGauge) Set(value int64) {
	if err := RecordMetric(uint32(m), uint64(value)); err != nil {
		panic(fmt.Sprintf("proxywasm: set metric %d to %d: %v", uint32(m), value, err))
	}
}

// DefineHistogramMetric defines a histogram. It calls proxy_define_metric
// and panics if the host returns an error.
func DefineHistogramMetric(name string) MetricHistogram {
	return MetricHistogram(mustDefine(types.MetricTypeHistogram, name))
}

// Value returns the histogram's value as the host reports it. It calls
// proxy_get_metric and panics if the host returns an error, which Envoy
// always does for histograms; prefer Get.
func (m MetricHistogram) Value() uint64 {
	v, err := m.Get()
	if err != nil {
		panic(fmt.Sprintf("proxywasm: get metric %d: %v", uint32(m), err))
	}
	return v
}

// Get returns the histogram's value as the host reports it. It calls
// proxy_get_metric; Envoy answers types.ErrorStatusBadArgument.
func (m MetricHistogram) Get() (uint64, error) {
	return GetMetric(uint32(m))
}

// Record records a sample. It calls proxy_record_metric and panics if the
// host returns an error.
func (m MetricHistogram) Record(value uint64) {
	if err := RecordMetric(uint32(m), value); err != nil {
		panic(fmt.Sprintf("proxywasm: record %d in metric %d: %v", value, uint32(m), err))
	}
}
