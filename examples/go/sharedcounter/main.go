// Command sharedcounter is a Proxy-Wasm filter that counts requests in
// shared data, across every worker VM with the same vm_id, and reports the
// count in the response header x-request-count. See README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o sharedcounter.wasm .
package main

import (
	"encoding/binary"
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
	defaultKey = "request_count"
	// maxAttempts bounds the compare-and-swap retries under contention.
	maxAttempts = 16
)

// parseKey reads the shared-data key: {"key": "..."}, a JSON string, plain
// text, or nothing for "request_count".
func parseKey(data []byte) (string, error) {
	s := strings.TrimSpace(string(data))
	switch {
	case s == "":
		return defaultKey, nil
	case strings.HasPrefix(s, "{"):
		var c struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return "", fmt.Errorf("invalid JSON configuration: %w", err)
		}
		if c.Key == "" {
			return defaultKey, nil
		}
		return c.Key, nil
	case strings.HasPrefix(s, `"`):
		var key string
		if err := json.Unmarshal([]byte(s), &key); err != nil {
			return "", fmt.Errorf("invalid JSON string configuration: %w", err)
		}
		return key, nil
	}
	return s, nil
}

type pluginContext struct {
	types.DefaultPluginContext
	key string
}

// OnPluginStart reads the shared-data key from the plugin configuration.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCriticalf("sharedcounter: reading the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if p.key, err = parseKey(data); err != nil {
		proxywasm.LogCriticalf("sharedcounter: %v", err)
		return types.OnPluginStartStatusFailed
	}
	proxywasm.LogInfof("sharedcounter: counting requests in shared data key %q", p.key)
	return types.OnPluginStartStatusOK
}

// NewHttpContext creates the context of one HTTP stream.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{key: p.key}
}

type httpContext struct {
	types.DefaultHttpContext
	key   string
	count uint64 // 0 until the increment succeeded
}

// OnHttpRequestHeaders counts the request.
func (c *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	n, err := increment(c.key)
	if err != nil {
		proxywasm.LogErrorf("sharedcounter: incrementing %q: %v", c.key, err)
		return types.ActionContinue
	}
	c.count = n
	return types.ActionContinue
}

// OnHttpResponseHeaders reports the count in x-request-count.
func (c *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	if c.count == 0 {
		return types.ActionContinue
	}
	if err := proxywasm.AddHttpResponseHeader("x-request-count", strconv.FormatUint(c.count, 10)); err != nil {
		proxywasm.LogErrorf("sharedcounter: adding x-request-count: %v", err)
	}
	return types.ActionContinue
}

// increment adds one to the counter stored under key (an 8-byte
// little-endian uint64) and returns the new value. Another VM may write
// between our read and our write; the CAS token makes that write fail with
// ErrorStatusCasMismatch, and we read again and retry.
func increment(key string) (uint64, error) {
	for range maxAttempts {
		value, cas, err := proxywasm.GetSharedData(key)
		var n uint64
		switch {
		case errors.Is(err, types.ErrorStatusNotFound):
			// First request: cas stays 0, which writes unconditionally.
		case err != nil:
			return 0, err
		case len(value) != 8:
			return 0, fmt.Errorf("stored value has %d bytes, want 8", len(value))
		default:
			n = binary.LittleEndian.Uint64(value)
		}
		n++
		err = proxywasm.SetSharedData(key, binary.LittleEndian.AppendUint64(nil, n), cas)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, types.ErrorStatusCasMismatch) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("gave up after %d CAS conflicts", maxAttempts)
}
