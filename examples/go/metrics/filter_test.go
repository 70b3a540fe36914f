package main

import (
	"testing"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

func TestMetricsFilter(t *testing.T) {
	f := filtertest.New(t, filtertest.Options{})
	for i := 0; i < 3; i++ {
		x := f.NewHTTP()
		x.RequestHeaders(filtertest.Headers(":method", "GET", ":path", "/"), true)
		x.ResponseHeaders(filtertest.Headers(":status", "200"), true)
		x.Close()
	}
	ms := f.Runtime().Metrics()
	if c := ms.Get(host.MetricCounter, "wasmesh_requests_total"); c == nil || c.Value() != 3 {
		t.Errorf("requests counter: %+v", c)
	}
	if g := ms.Get(host.MetricGauge, "wasmesh_requests_active"); g == nil || g.Value() != 0 {
		t.Errorf("active gauge must be back to 0: %+v", g)
	}
	if h := ms.Get(host.MetricHistogram, "wasmesh_request_duration_milliseconds"); h == nil || h.Histogram().Count != 3 {
		t.Errorf("duration histogram: %+v", h)
	}
}
