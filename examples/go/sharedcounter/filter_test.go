package main

import (
	"strconv"
	"testing"

	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

func TestSharedCounterFilter(t *testing.T) {
	f := filtertest.New(t, filtertest.Options{VMID: "counter"})
	for want := 1; want <= 3; want++ {
		x := f.NewHTTP()
		x.RequestHeaders(filtertest.Headers(":method", "GET", ":path", "/"), true)
		resp := filtertest.Headers(":status", "200")
		x.ResponseHeaders(resp, true)
		x.Close()
		if v, _ := resp.Get("x-request-count"); v != strconv.Itoa(want) {
			t.Fatalf("request %d: x-request-count=%q", want, v)
		}
	}
	if v, _, ok := f.Runtime().SharedData("counter", "request_count"); !ok || len(v) != 8 || v[0] != 3 {
		t.Errorf("shared data request_count = % x", v)
	}
}
