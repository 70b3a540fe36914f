package main

import (
	"testing"

	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

func TestTickQueueFilter(t *testing.T) {
	f := filtertest.New(t, filtertest.Options{PluginConfig: "20"})
	for _, path := range []string{"/a", "/b"} {
		x := f.NewHTTP()
		x.RequestHeaders(filtertest.Headers(":method", "GET", ":path", path), true)
		x.Close()
	}
	f.WaitLog("dequeued: /a")
	f.WaitLog("dequeued: /b")
	f.WaitLog("tick")
}
