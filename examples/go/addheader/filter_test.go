package main

import (
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

// The filter, compiled to .wasm and run in the real host.
func TestAddHeaderFilter(t *testing.T) {
	cases := []struct {
		config, header, value string
	}{
		{"", "hello", "world"},
		{`{"header":"x-wasm-filter","value":"wasmesh"}`, "x-wasm-filter", "wasmesh"},
		{"plain", "hello", "plain"},
	}
	for _, c := range cases {
		t.Run(c.config, func(t *testing.T) {
			f := filtertest.New(t, filtertest.Options{PluginConfig: c.config, Name: "addheader"})
			x := f.NewHTTP()
			req := filtertest.Headers(":method", "GET", ":path", "/", "user-agent", "curl")
			if a := x.RequestHeaders(req, true); a != host.ActionContinue {
				t.Fatalf("request headers: action %d", a)
			}
			resp := filtertest.Headers(":status", "200")
			x.ResponseHeaders(resp, true)
			x.Close()
			if v, _ := req.Get(c.header); v != c.value {
				t.Errorf("request header %s=%q, want %q", c.header, v, c.value)
			}
			if v, _ := resp.Get(c.header); v != c.value {
				t.Errorf("response header %s=%q, want %q", c.header, v, c.value)
			}
			if !strings.Contains(f.WaitLog("request header --> user-agent"), "wasm log addheader") {
				t.Error("request headers are logged with the stream's prefix")
			}
		})
	}
}

func TestAddHeaderRejectsBadConfig(t *testing.T) {
	_, err := filtertest.Start(t, filtertest.Options{PluginConfig: `{"header":`})
	if err == nil {
		t.Fatal("a malformed JSON configuration must be rejected at start")
	}
}
