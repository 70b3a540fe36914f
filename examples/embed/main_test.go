package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

// The quick start's request, end to end over loopback HTTP: the add-header
// filter (real Go SDK module) in front of the echo upstream.
func TestEmbeddedFilterOverHTTP(t *testing.T) {
	wasm := filtertest.Build(t, filepath.Join("..", "go", "addheader"))
	rt, err := host.NewRuntime(context.Background(), host.Config{Logger: host.NewWriterLogger(io.Discard, host.LogInfo)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	mod, err := rt.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	plugin, err := rt.NewPlugin(context.Background(), mod, host.VMConfig{}, host.PluginConfig{Configuration: []byte(`{"header":"x-wasm-filter","value":"world"}`)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer plugin.Close(context.Background())
	srv := httptest.NewServer(&filtered{plugin: plugin, upstream: http.HandlerFunc(echo)})
	defer srv.Close()
	for i := 0; i < 4; i++ { // both workers
		resp, err := http.Get(srv.URL + "/headers")
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Headers map[string]string }
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("x-wasm-filter") != "world" || got.Headers["X-Wasm-Filter"] != "world" {
			t.Fatalf("response header %q, upstream saw %v", resp.Header.Get("x-wasm-filter"), got.Headers)
		}
	}
}
