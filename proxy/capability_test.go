package proxy

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCapabilityRestrictionConfig: a plugin's
// capability_restriction_config restricts its VM. The recorder fixture
// answers 403 from proxy_on_request_headers; when proxy_send_local_response
// is not allowed the reply fails and the request reaches the upstream, and
// when proxy_on_request_headers is not allowed the callback is not called.
func TestCapabilityRestrictionConfig(t *testing.T) {
	file, err := filepath.Abs("../host/testdata/recorder/filter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	everything := []string{"proxy_log", "proxy_get_buffer_bytes", "proxy_send_local_response",
		"proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure", "proxy_on_request_headers",
		"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_log", "proxy_on_done", "proxy_on_delete"}
	filter := func(leaveOut string) string {
		var caps []string
		for _, c := range everything {
			if c != leaveOut {
				caps = append(caps, c+": {}")
			}
		}
		return fmt.Sprintf(`
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: "local_reply=proxy_on_request_headers" }
                capability_restriction_config: { allowed_capabilities: { %s } }
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: %q } } }`, strings.Join(caps, ", "), file)
	}
	up, _ := startH1Upstream(t, http.HandlerFunc(echoUpstream))
	for _, c := range []struct {
		leaveOut string
		want     int
	}{
		{"", 403},
		{"proxy_send_local_response", 200},
		{"proxy_on_request_headers", 200},
	} {
		t.Run("without "+c.leaveOut, func(t *testing.T) {
			srv := startH1ProxyWith(t, filter(c.leaveOut), time.Second, testRoute{prefix: "/", addr: up})
			resp, err := http.Get("http://" + srv.ListenerAddr("main").String() + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
}
