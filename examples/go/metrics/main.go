// Command metrics is a Proxy-Wasm filter that keeps three metrics about the
// HTTP requests it sees: a counter, a gauge and a histogram. See README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o metrics.wasm .
package main

import (
	"time"

	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// main is required by -buildmode=c-shared but never called.
func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &pluginContext{} })
}

// Metric names, as they appear in the host's statistics.
const (
	requestsTotal   = "wasmesh_requests_total"
	requestsActive  = "wasmesh_requests_active"
	requestDuration = "wasmesh_request_duration_milliseconds"
)

type pluginContext struct {
	types.DefaultPluginContext
	total    proxywasm.MetricCounter
	active   proxywasm.MetricGauge
	duration proxywasm.MetricHistogram
}

// OnPluginStart defines the metrics. (Metrics cannot be defined in init: the
// host only allows logging while the module starts.)
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	p.total = proxywasm.DefineCounterMetric(requestsTotal)
	p.active = proxywasm.DefineGaugeMetric(requestsActive)
	p.duration = proxywasm.DefineHistogramMetric(requestDuration)
	proxywasm.LogInfof("metrics: defined %s, %s and %s", requestsTotal, requestsActive, requestDuration)
	return types.OnPluginStartStatusOK
}

// NewHttpContext creates the context of one HTTP stream.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{plugin: p}
}

type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	start  time.Time // zero until the request headers were seen
}

// OnHttpRequestHeaders counts the request and marks it active.
func (c *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	c.start = time.Now()
	c.plugin.total.Increment(1)
	c.plugin.active.Add(1)
	if n, err := c.plugin.total.Get(); err == nil {
		proxywasm.LogDebugf("metrics: %s = %d", requestsTotal, n)
	}
	return types.ActionContinue
}

// OnHttpStreamDone runs once per stream, after the response: the request
// is no longer active and its duration is known.
func (c *httpContext) OnHttpStreamDone() {
	if c.start.IsZero() {
		return
	}
	c.plugin.active.Add(-1)
	c.plugin.duration.Record(uint64(time.Since(c.start).Milliseconds()))
}
