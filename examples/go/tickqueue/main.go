// Command tickqueue is a Proxy-Wasm filter that shows timers and shared
// queues: every request enqueues its path on the shared queue "events", and
// the plugin drains the queue when notified and on every tick. See
// README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o tickqueue.wasm .
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// main is required by -buildmode=c-shared but never called.
func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &pluginContext{} })
}

const (
	queueName         = "events"
	defaultTickPeriod = 1000 // milliseconds
)

// parseTickPeriod reads the tick period in milliseconds: a number, or
// {"tick_period_ms": N}, or nothing for 1000.
func parseTickPeriod(data []byte) (uint32, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return defaultTickPeriod, nil
	}
	if strings.HasPrefix(s, "{") {
		c := struct {
			TickPeriodMS *uint32 `json:"tick_period_ms"`
		}{}
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return 0, fmt.Errorf("invalid JSON configuration: %w", err)
		}
		if c.TickPeriodMS == nil {
			return defaultTickPeriod, nil
		}
		return *c.TickPeriodMS, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid tick period %q: want milliseconds", s)
	}
	return uint32(n), nil
}

type pluginContext struct {
	types.DefaultPluginContext
	queueID uint32
}

// OnPluginStart registers the queue and starts the timer.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCriticalf("tickqueue: reading the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	period, err := parseTickPeriod(data)
	if err != nil {
		proxywasm.LogCriticalf("tickqueue: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if p.queueID, err = proxywasm.RegisterSharedQueue(queueName); err != nil {
		proxywasm.LogCriticalf("tickqueue: registering queue %q: %v", queueName, err)
		return types.OnPluginStartStatusFailed
	}
	if err := proxywasm.SetTickPeriodMilliSeconds(period); err != nil {
		proxywasm.LogCriticalf("tickqueue: setting the tick period: %v", err)
		return types.OnPluginStartStatusFailed
	}
	proxywasm.LogInfof("tickqueue: queue %q has id %d, tick period %d ms", queueName, p.queueID, period)
	return types.OnPluginStartStatusOK
}

// OnTick logs "tick" and drains the queue.
func (p *pluginContext) OnTick() {
	proxywasm.LogInfo("tick")
	drain(p.queueID)
}

// OnQueueReady drains the queue that has new items.
func (p *pluginContext) OnQueueReady(queueID uint32) {
	drain(queueID)
}

// drain dequeues and logs items until the queue is empty. Other VMs may
// dequeue too, so a notification can find the queue already empty.
func drain(queueID uint32) {
	for {
		item, err := proxywasm.DequeueSharedQueue(queueID)
		if errors.Is(err, types.ErrorStatusEmpty) {
			return
		}
		if err != nil {
			proxywasm.LogErrorf("tickqueue: dequeue from %d: %v", queueID, err)
			return
		}
		proxywasm.LogInfof("dequeued: %s", item)
	}
}

// NewHttpContext creates the context of one HTTP stream.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{queueID: p.queueID}
}

type httpContext struct {
	types.DefaultHttpContext
	queueID uint32
}

// OnHttpRequestHeaders enqueues the request path.
func (c *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	path, err := proxywasm.GetHttpRequestHeader(":path")
	if err != nil {
		proxywasm.LogErrorf("tickqueue: reading :path: %v", err)
		return types.ActionContinue
	}
	if err := proxywasm.EnqueueSharedQueue(c.queueID, []byte(path)); err != nil {
		proxywasm.LogErrorf("tickqueue: enqueue %q: %v", path, err)
	}
	return types.ActionContinue
}
