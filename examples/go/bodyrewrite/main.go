// Command bodyrewrite is a Proxy-Wasm filter that buffers HTTP bodies and
// replaces every occurrence of one string with another, in responses and
// (optionally) requests. See README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o bodyrewrite.wasm .
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
	From     string `json:"from"`
	To       string `json:"to"`
	Request  bool   `json:"request"`
	Response bool   `json:"response"`
}

// parseConfig reads {"from": ..., "to": ..., "request": bool, "response":
// bool}. Missing fields keep their defaults: "hello" -> "bye" on both
// requests and responses.
func parseConfig(data []byte) (config, error) {
	c := config{From: "hello", To: "bye", Request: true, Response: true}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("invalid JSON configuration: %w", err)
	}
	if c.From == "" {
		return c, errors.New(`"from" must not be empty`)
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
		proxywasm.LogCriticalf("bodyrewrite: reading the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if p.config, err = parseConfig(data); err != nil {
		proxywasm.LogCriticalf("bodyrewrite: %v", err)
		return types.OnPluginStartStatusFailed
	}
	proxywasm.LogInfof("bodyrewrite: replacing %q with %q (requests: %v, responses: %v)",
		p.config.From, p.config.To, p.config.Request, p.config.Response)
	return types.OnPluginStartStatusOK
}

// NewHttpContext creates the context of one HTTP stream.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{config: p.config}
}

type httpContext struct {
	types.DefaultHttpContext
	config config
}

// OnHttpRequestHeaders drops content-length when the request body will be
// rewritten: the body changes size, and the proxy then sends it chunked.
func (c *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	if c.config.Request && !endOfStream {
		if err := proxywasm.RemoveHttpRequestHeader("content-length"); err != nil {
			proxywasm.LogErrorf("bodyrewrite: removing request content-length: %v", err)
		}
	}
	return types.ActionContinue
}

// OnHttpRequestBody buffers the request body and rewrites it at the end.
func (c *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	if !c.config.Request {
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause // buffer until the whole body is there
	}
	c.rewrite("request", bodySize, proxywasm.GetHttpRequestBody, proxywasm.ReplaceHttpRequestBody)
	return types.ActionContinue
}

// OnHttpResponseHeaders drops content-length when the response body will be rewritten.
func (c *httpContext) OnHttpResponseHeaders(_ int, endOfStream bool) types.Action {
	if c.config.Response && !endOfStream {
		if err := proxywasm.RemoveHttpResponseHeader("content-length"); err != nil {
			proxywasm.LogErrorf("bodyrewrite: removing response content-length: %v", err)
		}
	}
	return types.ActionContinue
}

// OnHttpResponseBody buffers the response body and rewrites it at the end.
func (c *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	if !c.config.Response {
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause
	}
	c.rewrite("response", bodySize, proxywasm.GetHttpResponseBody, proxywasm.ReplaceHttpResponseBody)
	return types.ActionContinue
}

// rewrite reads the whole buffered body and replaces it if it changes.
func (c *httpContext) rewrite(what string, size int,
	get func(start, maxSize int) ([]byte, error), replace func([]byte) error,
) {
	body, err := get(0, size)
	if errors.Is(err, types.ErrorStatusNotFound) {
		return // empty body
	}
	if err != nil {
		proxywasm.LogErrorf("bodyrewrite: reading %s body: %v", what, err)
		return
	}
	out := replaceAll(body, c.config)
	if bytes.Equal(out, body) {
		return
	}
	if err := replace(out); err != nil {
		proxywasm.LogErrorf("bodyrewrite: replacing %s body: %v", what, err)
	}
}

func replaceAll(body []byte, c config) []byte {
	return bytes.ReplaceAll(body, []byte(c.From), []byte(c.To))
}
