package host

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// proxy_define_metric(type, name_ptr, name_size, out_metric_id) -> status
//
// Defines (or finds) the metric of that type and name, process-wide, and
// writes a VM-local id: the low 2 bits carry the type and ids grow in steps
// of 4 (first counter 4, gauge 5, histogram 6). Defining a name again gives
// a new id for the same metric.
//
// Returns: OK; BAD_ARGUMENT when type > 2; INVALID_MEMORY_ACCESS.
func proxyDefineMetric(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	t := MetricType(uint32(stack[0]))
	if t > maxMetricType {
		stack[0] = uint64(StatusBadArgument)
		return
	}
	name, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	if !ok || !writable(m, uint32(stack[3]), 4) {
		stack[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	id := vm.nextMetricID[t]
	vm.nextMetricID[t] += 4
	vm.metricIDs[id] = vm.rt.metrics.define(t, name)
	writeU32(m, uint32(stack[3]), id)
	stack[0] = uint64(StatusOK)
}

// proxy_increment_metric(metric_id, delta i64) -> status
//
// Counter: adds delta (> 0). Gauge: adds delta (may be negative).
//
// Returns: OK; NOT_FOUND for an unknown id; BAD_ARGUMENT for a counter with
// delta <= 0 and for a histogram.
func proxyIncrementMetric(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt, ok := vm.metricIDs[uint32(stack[0])]
	delta := int64(stack[1])
	switch {
	case !ok:
		stack[0] = uint64(StatusNotFound)
	case mt.Type == MetricCounter && delta <= 0, mt.Type == MetricHistogram:
		stack[0] = uint64(StatusBadArgument)
	default:
		mt.value.Add(delta)
		stack[0] = uint64(StatusOK)
	}
}

// proxy_record_metric(metric_id, value i64) -> status
//
// Counter: adds value. Gauge: sets it. Histogram: records a sample.
//
// Returns: OK; NOT_FOUND for an unknown id.
func proxyRecordMetric(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt, ok := vm.metricIDs[uint32(stack[0])]
	if !ok {
		stack[0] = uint64(StatusNotFound)
		return
	}
	v := int64(stack[1])
	switch mt.Type {
	case MetricCounter:
		mt.value.Add(v)
	case MetricGauge:
		mt.value.Store(v)
	case MetricHistogram:
		mt.record(v)
	}
	stack[0] = uint64(StatusOK)
}

// proxy_get_metric(metric_id, out_u64) -> status
//
// Writes a counter's or gauge's value (u64).
//
// Returns: OK; NOT_FOUND for an unknown id; BAD_ARGUMENT for a histogram;
// INVALID_MEMORY_ACCESS.
func proxyGetMetric(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	mt, ok := vm.metricIDs[uint32(stack[0])]
	switch {
	case !ok:
		stack[0] = uint64(StatusNotFound)
	case mt.Type == MetricHistogram:
		stack[0] = uint64(StatusBadArgument)
	default:
		stack[0] = uint64(statusIf(writeU64(m, uint32(stack[1]), uint64(mt.value.Load()))))
	}
}
