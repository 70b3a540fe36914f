// Command addheader is a Proxy-Wasm filter that adds a header, named and
// valued by the plugin configuration, to every request and response, and
// logs the request headers. See README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o addheader.wasm .
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// main is required by -buildmode=c-shared but never called: the host runs
// _initialize, which runs init.
func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &pluginContext{} })
}

// Defaults used when the configuration is empty or leaves a field out.
const (
	defaultHeader = "hello"
	defaultValue  = "world"
)

type config struct {
	Header string `json:"header"`
	Value  string `json:"value"`
}

// parseConfig accepts an empty configuration (hello: world), a JSON object
// {"header": ..., "value": ...}, a JSON string, or any other text, which is
// taken as the header value.
func parseConfig(data []byte) (config, error) {
	c := config{Header: defaultHeader, Value: defaultValue}
	s := strings.TrimSpace(string(data))
	switch {
	case s == "":
	case strings.HasPrefix(s, "{"):
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return c, fmt.Errorf("invalid JSON configuration: %w", err)
		}
		if c.Header == "" {
			return c, errors.New(`"header" must not be empty`)
		}
	case strings.HasPrefix(s, `"`):
		if err := json.Unmarshal([]byte(s), &c.Value); err != nil {
			return c, fmt.Errorf("invalid JSON string configuration: %w", err)
		}
	default:
		c.Value = s
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
		proxywasm.LogCriticalf("addheader: reading the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if p.config, err = parseConfig(data); err != nil {
		proxywasm.LogCriticalf("addheader: %v", err)
		return types.OnPluginStartStatusFailed
	}
	proxywasm.LogInfof("addheader: adding header %q with value %q", p.config.Header, p.config.Value)
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

// OnHttpRequestHeaders logs the request headers and adds the configured one.
func (c *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	headers, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		proxywasm.LogErrorf("addheader: reading request headers: %v", err)
	}
	for _, h := range headers {
		proxywasm.LogInfof("request header --> %s: %s", h[0], h[1])
	}
	if err := proxywasm.AddHttpRequestHeader(c.config.Header, c.config.Value); err != nil {
		proxywasm.LogErrorf("addheader: adding request header: %v", err)
	}
	return types.ActionContinue
}

// OnHttpResponseHeaders adds the configured header to the response.
func (c *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	if err := proxywasm.AddHttpResponseHeader(c.config.Header, c.config.Value); err != nil {
		proxywasm.LogErrorf("addheader: adding response header: %v", err)
	}
	return types.ActionContinue
}
