package main

import (
	"testing"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

func TestBodyRewriteFilter(t *testing.T) {
	f := filtertest.New(t, filtertest.Options{PluginConfig: `{"from":"hello","to":"bye"}`})
	x := f.NewHTTP()
	x.RequestHeaders(filtertest.Headers(":method", "GET", ":path", "/"), true)
	resp := filtertest.Headers(":status", "200", "content-length", "22")
	x.ResponseHeaders(resp, false)
	// Envoy buffers while the filter pauses: the embedder appends each chunk
	// to the same buffer and reports the total size.
	body := &host.Buffer{Bytes: []byte("hello world, ")}
	if a := x.ResponseBody(body, false); a != host.ActionPause {
		t.Fatalf("first chunk: action %d, want pause until end of stream", a)
	}
	body.Bytes = append(body.Bytes, "hello!"...)
	if a := x.ResponseBody(body, true); a != host.ActionContinue {
		t.Fatalf("last chunk: action %d", a)
	}
	x.Close()
	if got := string(body.Bytes); got != "bye world, bye!" {
		t.Errorf("body %q", got)
	}
	if _, ok := resp.Get("content-length"); ok {
		t.Error("content-length must be removed when the size changes")
	}
}
