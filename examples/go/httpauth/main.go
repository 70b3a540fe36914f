// Command httpauth is a Proxy-Wasm filter that asks an external HTTP service
// whether each request may pass: it forwards the request's authorization
// header to the service and lets the request through only on a 200 answer.
// See README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o httpauth.wasm .
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// main is required by -buildmode=c-shared but never called.
func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &pluginContext{} })
}

type config struct {
	Cluster   string `json:"cluster"`
	Path      string `json:"path"`
	Authority string `json:"authority"`
	TimeoutMS uint32 `json:"timeout_ms"`
}

// parseConfig reads {"cluster": ..., "path": ..., "authority": ...,
// "timeout_ms": ...}; defaults: cluster "auth", path "/auth", authority =
// cluster, timeout 5000 ms.
func parseConfig(data []byte) (config, error) {
	c := config{Cluster: "auth", Path: "/auth", TimeoutMS: 5000}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &c); err != nil {
			return c, fmt.Errorf("invalid JSON configuration: %w", err)
		}
	}
	if c.Cluster == "" || c.Path == "" {
		return c, errors.New(`"cluster" and "path" must not be empty`)
	}
	if c.Authority == "" {
		c.Authority = c.Cluster
	}
	return c, nil
}

type pluginContext struct {
	types.DefaultPluginContext
	config config
}

// OnPluginStart reads and checks the plugin configuration.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCriticalf("httpauth: reading the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if p.config, err = parseConfig(data); err != nil {
		proxywasm.LogCriticalf("httpauth: %v", err)
		return types.OnPluginStartStatusFailed
	}
	proxywasm.LogInfof("httpauth: checking requests with GET %s on cluster %s", p.config.Path, p.config.Cluster)
	return types.OnPluginStartStatusOK
}

// NewHttpContext creates the context of one HTTP stream.
func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return &httpContext{config: p.config, contextID: contextID}
}

type httpContext struct {
	types.DefaultHttpContext
	config    config
	contextID uint32
}

// OnHttpRequestHeaders sends the auth request and pauses the stream until
// the answer comes back.
func (c *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	headers := [][2]string{
		{":method", "GET"},
		{":path", c.config.Path},
		{":authority", c.config.Authority},
	}
	if auth, err := proxywasm.GetHttpRequestHeader("authorization"); err == nil {
		headers = append(headers, [2]string{"authorization", auth})
	}
	if _, err := proxywasm.DispatchHttpCall(c.config.Cluster, headers, nil, nil,
		c.config.TimeoutMS, c.onAuthResponse); err != nil {
		proxywasm.LogErrorf("httpauth: calling cluster %s: %v", c.config.Cluster, err)
		deny()
	}
	return types.ActionPause
}

// onAuthResponse runs when the auth service answered (or the call failed,
// in which case there are no headers).
func (c *httpContext) onAuthResponse(numHeaders, _, _ int) {
	status := ""
	if numHeaders > 0 {
		headers, err := proxywasm.GetHttpCallResponseHeaders()
		if err != nil {
			proxywasm.LogErrorf("httpauth: reading the auth response: %v", err)
		}
		status = headerValue(headers, ":status")
	}
	if status == "200" {
		proxywasm.LogInfof("httpauth: request %d allowed", c.contextID)
		if err := proxywasm.ResumeHttpRequest(); err != nil {
			proxywasm.LogErrorf("httpauth: resuming request: %v", err)
		}
		return
	}
	proxywasm.LogInfof("httpauth: request %d denied (auth status %q)", c.contextID, status)
	deny()
}

func deny() {
	err := proxywasm.SendHttpResponse(403, [][2]string{{"content-type", "text/plain"}},
		[]byte("access forbidden"), -1)
	if err != nil {
		proxywasm.LogErrorf("httpauth: sending 403: %v", err)
	}
}

func headerValue(headers [][2]string, key string) string {
	for _, h := range headers {
		if h[0] == key {
			return h[1]
		}
	}
	return ""
}
