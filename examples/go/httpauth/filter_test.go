package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/sdk/filtertest"
)

// The callout goes over real HTTP to an auth server on loopback.
func TestHTTPAuthFilter(t *testing.T) {
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" && r.Header.Get("authorization") == "Bearer good" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer auth.Close()
	f := filtertest.New(t, filtertest.Options{
		PluginConfig: `{"cluster":"auth","path":"/auth"}`,
		Upstreams:    map[string]string{"auth": auth.URL},
	})

	allowed := f.NewHTTP()
	if a := allowed.RequestHeaders(filtertest.Headers(":method", "GET", ":path", "/", ":authority", "app", "authorization", "Bearer good"), true); a == host.ActionContinue {
		t.Fatal("the request must pause while the callout runs")
	}
	allowed.WaitEvent("continue_request")
	if allowed.LocalResponse() != nil {
		t.Error("an authorized request must not get a local reply")
	}
	allowed.Close()

	denied := f.NewHTTP()
	denied.RequestHeaders(filtertest.Headers(":method", "GET", ":path", "/", ":authority", "app"), true)
	denied.WaitEvent("local_response")
	lr := denied.LocalResponse()
	if lr.StatusCode != 403 || string(lr.Body) != "access forbidden" {
		t.Errorf("local reply %d %q", lr.StatusCode, lr.Body)
	}
	// Envoy runs the local reply through the filter's response callbacks.
	denied.ResponseHeaders(lr.Headers, false)
	denied.Close()
}
