package route

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmesh/wasmesh/host"
)

func seeded(seed uint64) Option {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return withRand(func() uint64 { mu.Lock(); defer mu.Unlock(); return r.Uint64() })
}

func TestWeightedClusters(t *testing.T) {
	js := `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[
		{"name":"w","match":{"prefix":"/"},"route":{"weighted_clusters":{"total_weight":100,"clusters":[
			{"name":"a","weight":10},{"name":"zero","weight":0},{"name":"b","weight":30},{"name":"c","weight":60}]}}}]}]}`
	tb := mustTable(t, js, seeded(42))
	const n = 100000
	counts := map[string]int{}
	h := req("h", "/")
	for range n {
		counts[tb.Match(h).Cluster]++
	}
	for c, want := range map[string]float64{"a": 0.10, "b": 0.30, "c": 0.60, "zero": 0} {
		got := float64(counts[c]) / n
		if got < want-0.01 || got > want+0.01 {
			t.Errorf("cluster %s: share %.4f, want %.2f±0.01 (counts %v)", c, got, want, counts)
		}
	}
	// The same pick returns the same shared Match.
	if tb.Match(h) == nil || tb.Match(h).RouteName != "w" {
		t.Fatal("weighted route lost its name")
	}

	byHeader := mustTable(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[
		{"match":{"prefix":"/"},"route":{"weighted_clusters":{"header_name":"x-rand","clusters":[
			{"name":"a","weight":1},{"name":"b","weight":3}]}}}]}]}`, seeded(1))
	for v, want := range map[string]string{"0": "a", "1": "b", "3": "b", "4": "a", " 5 ": "b"} {
		if got := byHeader.Match(req("h", "/", "x-rand", v)).Cluster; got != want {
			t.Errorf("x-rand %q: got %s, want %s", v, got, want)
		}
	}

	for _, bad := range []string{
		`{"total_weight":99,"clusters":[{"name":"a","weight":50},{"name":"b","weight":50}]}`,
		`{"clusters":[{"name":"a","weight":0}]}`,
		`{"clusters":[]}`,
	} {
		_, err := NewTable(parseRC(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[
			{"match":{"prefix":"/"},"route":{"weighted_clusters":`+bad+`}}]}]}`))
		if err == nil || !strings.HasPrefix(err.Error(), "route: ") {
			t.Errorf("%s: want a route error, got %v", bad, err)
		}
	}
}

func TestPrefixRewrite(t *testing.T) {
	tb := routesTable(t, `
		{"match":{"prefix":"/api/"},"route":{"cluster":"c","prefix_rewrite":"/"}},
		{"match":{"path":"/old"},"route":{"cluster":"c","prefix_rewrite":"/new"}},
		{"match":{"safe_regex":{"regex":"/re/[0-9]+"}},"route":{"cluster":"c","prefix_rewrite":"/regex"}},
		{"match":{"prefix":"/CI","case_sensitive":false},"route":{"cluster":"c","prefix_rewrite":"/ci"}},
		{"match":{"prefix":"/keep"},"route":{"cluster":"c"}}`)
	tests := []struct{ in, want string }{
		{"/api/v1/users?id=7&x=/api/", "/v1/users?id=7&x=/api/"},
		{"/api/", "/"},
		{"/old?q", "/new?q"},
		{"/re/123?a=b", "/regex?a=b"},
		{"/cI/x?y", "/ci/x?y"},
		{"/keep/x?y", "/keep/x?y"},
	}
	for _, tc := range tests {
		h := req("h", tc.in)
		tb.Match(h).ApplyRequest(h)
		got, _ := h.Get(":path")
		orig, hasOrig := h.Get("x-envoy-original-path")
		if got != tc.want {
			t.Errorf("%s: rewritten to %s, want %s", tc.in, got, tc.want)
		}
		if rewritten := tc.in != tc.want; hasOrig != rewritten || (hasOrig && orig != tc.in) {
			t.Errorf("%s: x-envoy-original-path = %q (%v)", tc.in, orig, hasOrig)
		}
	}
	quiet := mustTable(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[
		{"match":{"prefix":"/api/"},"route":{"cluster":"c","prefix_rewrite":"/"}}]}]}`, SuppressEnvoyHeaders(true))
	h := req("h", "/api/x")
	quiet.Match(h).ApplyRequest(h)
	if _, ok := h.Get("x-envoy-original-path"); ok {
		t.Error("suppress_envoy_headers still added x-envoy-original-path")
	}
}

func TestHostRewrite(t *testing.T) {
	tb := routesTable(t, `
		{"match":{"path":"/lit"},"route":{"cluster":"c","host_rewrite_literal":"new.example"}},
		{"match":{"path":"/xfh"},"route":{"cluster":"c","host_rewrite_literal":"new.example","append_x_forwarded_host":true}},
		{"match":{"path":"/auto"},"route":{"cluster":"c","auto_host_rewrite":true}},
		{"match":{"path":"/none"},"route":{"cluster":"c"}}`)
	h := req("orig.example", "/lit")
	m := tb.Match(h)
	m.ApplyRequest(h)
	if a, _ := h.Get(":authority"); a != "new.example" || m.AutoHostRewrite() {
		t.Errorf("literal: authority %q", a)
	}
	if o, _ := h.Get("x-envoy-original-host"); o != "orig.example" {
		t.Errorf("literal: x-envoy-original-host %q", o)
	}
	if _, ok := h.Get("x-forwarded-host"); ok {
		t.Error("literal: x-forwarded-host added without append_x_forwarded_host")
	}

	h = req("orig.example", "/xfh", "x-forwarded-host", "first.example")
	tb.Match(h).ApplyRequest(h)
	if x, _ := h.Get("x-forwarded-host"); x != "first.example,orig.example" {
		t.Errorf("xfh: %q", x)
	}
	h = req("orig.example", "/xfh", "x-forwarded-host", "a, orig.example")
	tb.Match(h).ApplyRequest(h)
	if x, _ := h.Get("x-forwarded-host"); x != "a, orig.example" {
		t.Errorf("xfh must not repeat the last value: %q", x)
	}

	h = req("orig.example", "/auto")
	m = tb.Match(h)
	m.ApplyRequest(h)
	if a, _ := h.Get(":authority"); a != "orig.example" || !m.AutoHostRewrite() {
		t.Fatalf("auto: authority changed before the host is known: %q", a)
	}
	if m.ApplyUpstreamHost(h, "") {
		t.Error("auto: empty hostname must not rewrite")
	}
	if !m.ApplyUpstreamHost(h, "backend.internal") {
		t.Error("auto: no rewrite")
	}
	if a, _ := h.Get(":authority"); a != "backend.internal" {
		t.Errorf("auto: authority %q", a)
	}
	h = req("orig.example", "/none")
	if m := tb.Match(h); m.ApplyUpstreamHost(h, "x") {
		t.Error("route without auto_host_rewrite rewrote")
	}
}

// levelsJSON builds a configuration where the route configuration (g),
// virtual host (v), route (r) and weighted cluster (w) levels each add or
// remove headers.
func levelsJSON(extra, g, v, r, w string) string {
	return `{` + extra + `"request_headers_to_add":[` + g + `],"response_headers_to_add":[` + g + `],
	"virtual_hosts":[{"name":"vh","domains":["*"],"request_headers_to_add":[` + v + `],"response_headers_to_add":[` + v + `],
	"routes":[{"match":{"prefix":"/"},"request_headers_to_add":[` + r + `],"response_headers_to_add":[` + r + `],
	"route":{"weighted_clusters":{"clusters":[{"name":"c","weight":1,"request_headers_to_add":[` + w + `],"response_headers_to_add":[` + w + `]}]}}}]}]}`
}

func hv(key, value, action string) string {
	s := `{"header":{"key":"` + key + `","value":"` + value + `"}`
	if action != "" {
		s += `,"append_action":"` + action + `"`
	}
	return s + `}`
}

func TestHeaderLevelsOrder(t *testing.T) {
	over := func(level string) string { return hv("x-level", level, "OVERWRITE_IF_EXISTS_OR_ADD") }
	appendAll := func(level string) string { return hv("x-all", level, "") + "," + over(level) }
	js := levelsJSON("", appendAll("global"), appendAll("vhost"), appendAll("route"), appendAll("cluster"))
	for _, tc := range []struct {
		table   *Table
		winner  string
		ordered string
	}{
		{mustTable(t, js), "global", "cluster,route,vhost,global"},
		{mustTable(t, levelsJSON(`"most_specific_header_mutations_wins":true,`, appendAll("global"), appendAll("vhost"), appendAll("route"), appendAll("cluster"))),
			"route", "cluster,global,vhost,route"},
	} {
		for _, apply := range []func(*Match, *host.Headers){(*Match).ApplyRequest, (*Match).ApplyResponse} {
			h := req("h", "/")
			apply(tc.table.Match(h), h)
			if got := strings.Join(h.Values("x-level"), ","); got != tc.winner {
				t.Errorf("x-level = %q, want %q", got, tc.winner)
			}
			if got := strings.Join(h.Values("x-all"), ","); got != tc.ordered {
				t.Errorf("x-all = %q, want %q", got, tc.ordered)
			}
		}
	}

	// A less specific level's removal applies after the route's addition.
	rm := mustTable(t, `{"request_headers_to_remove":["x-route"],"virtual_hosts":[{"name":"vh","domains":["*"],
		"routes":[{"match":{"prefix":"/"},"request_headers_to_add":[`+hv("x-route", "1", "")+`],"request_headers_to_remove":["x-client"],"route":{"cluster":"c"}}]}]}`)
	h := req("h", "/", "x-client", "c", "x-route", "from-client")
	rm.Match(h).ApplyRequest(h)
	if _, ok := h.Get("x-route"); ok {
		t.Errorf("route-config removal should win over the route's addition:\n%s", h)
	}
	if _, ok := h.Get("x-client"); ok {
		t.Errorf("x-client not removed:\n%s", h)
	}
}

func TestAppendActionsAndFormatting(t *testing.T) {
	adds := strings.Join([]string{
		hv("x-append", "new", ""),
		hv("x-absent", "new", "ADD_IF_ABSENT"),
		hv("x-absent-missing", "new", "ADD_IF_ABSENT"),
		hv("x-absent-missing", "second", "ADD_IF_ABSENT"), // both added: checked against the original headers
		hv("x-over", "new", "OVERWRITE_IF_EXISTS_OR_ADD"),
		hv("x-over-missing", "new", "OVERWRITE_IF_EXISTS_OR_ADD"),
		hv("x-ifexists", "new", "OVERWRITE_IF_EXISTS"),
		hv("x-ifexists-missing", "new", "OVERWRITE_IF_EXISTS"),
		`{"header":{"key":"x-legacy","value":"new"},"append":false}`,
		`{"header":{"key":"x-legacy-append","value":"new"},"append":true}`,
		hv("x-empty", "", ""),
		`{"header":{"key":"x-empty-kept","value":""},"keep_empty_value":true}`,
		`{"header":{"key":"x-raw","raw_value":"cmF3"}}`,
		hv("x-req", "p=%REQ(:path)% a=%REQ(x-missing?x-append)% t=%REQ(x-append):2%", ""),
		hv("x-req-added", "%REQ(x-over-missing)%", ""), // not visible yet: evaluated before additions
		hv("x-vars", "%DOWNSTREAM_REMOTE_ADDRESS% %UNKNOWN_VAR% 100%% %not a var%", ""),
		hv("x-missing-req", "%REQ(x-nope)%", ""), // empty: dropped
	}, ",")
	tb := mustTable(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[{"match":{"prefix":"/"},
		"request_headers_to_add":[`+adds+`],"route":{"cluster":"c"}}]}]}`)
	h := req("h", "/p?q", "x-append", "old", "x-absent", "old", "x-over", "old1", "x-over", "old2",
		"x-ifexists", "old", "x-legacy", "old", "x-legacy-append", "old")
	vars := func(name string) (string, bool) {
		if name == "DOWNSTREAM_REMOTE_ADDRESS" {
			return "10.0.0.1:5555", true
		}
		return "", false
	}
	tb.Match(h).ApplyRequestVars(h, vars)
	want := map[string]string{
		"x-append":           "old,new",
		"x-absent":           "old",
		"x-absent-missing":   "new,second",
		"x-over":             "new",
		"x-over-missing":     "new",
		"x-ifexists":         "new",
		"x-ifexists-missing": "",
		"x-legacy":           "new",
		"x-legacy-append":    "old,new",
		"x-empty":            "",
		"x-empty-kept":       "",
		"x-raw":              "raw",
		"x-req":              "p=/p?q a=old t=ol",
		"x-req-added":        "",
		"x-vars":             "10.0.0.1:5555 %UNKNOWN_VAR% 100% %not a var%",
		"x-missing-req":      "",
	}
	for k, v := range want {
		if got := strings.Join(h.Values(k), ","); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, ok := h.Get("x-empty-kept"); !ok {
		t.Error("keep_empty_value header missing")
	}
	if _, ok := h.Get("x-empty"); ok {
		t.Error("empty header without keep_empty_value was added")
	}

	// RESP() reads response headers on the response side.
	resp := mustTable(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[{"match":{"prefix":"/"},
		"response_headers_to_add":[`+hv("x-echo", "%RESP(:status)%/%REQ(x-a)%", "")+`],"route":{"cluster":"c"}}]}]}`)
	rh := &host.Headers{}
	rh.Add(":status", "200")
	resp.Match(req("h", "/")).ApplyResponseVars(rh, func(n string) (string, bool) { return "A", n == "REQ(x-a)" })
	if got, _ := rh.Get("x-echo"); got != "200/A" {
		t.Errorf("response formatting: %q", got)
	}
}

func TestDirectResponse(t *testing.T) {
	file := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(file, []byte("from file"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb := routesTable(t, `
		{"name":"s","match":{"path":"/s"},"direct_response":{"status":200,"body":{"inline_string":"hello"}},
		 "response_headers_to_add":[`+hv("x-direct", "1", "")+`]},
		{"name":"b","match":{"path":"/b"},"direct_response":{"status":503,"body":{"inline_bytes":"Ynl0ZXM="}}},
		{"name":"f","match":{"path":"/f"},"direct_response":{"status":404,"body":{"filename":"`+file+`"}}},
		{"name":"n","match":{"path":"/n"},"direct_response":{"status":204}}`)
	for path, want := range map[string]struct {
		status int
		body   string
	}{"/s": {200, "hello"}, "/b": {503, "bytes"}, "/f": {404, "from file"}, "/n": {204, ""}} {
		m := tb.Match(req("h", path))
		if m == nil || m.Direct == nil || m.Cluster != "" || m.Direct.Status != want.status || string(m.Direct.Body) != want.body {
			t.Errorf("%s: got %+v", path, m)
		}
	}
	rh := &host.Headers{}
	tb.Match(req("h", "/s")).ApplyResponse(rh)
	if v, _ := rh.Get("x-direct"); v != "1" {
		t.Error("response headers not applied to the direct response")
	}
	_, err := NewTable(parseRC(t, `{"max_direct_response_body_size_bytes":3,"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[
		{"match":{"prefix":"/"},"direct_response":{"status":200,"body":{"inline_string":"toolong"}}}]}]}`))
	if err == nil || !strings.Contains(err.Error(), "maximum is 3") {
		t.Errorf("oversized body: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	vh := func(routes string) string {
		return `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[` + routes + `]}]}`
	}
	cases := map[string]string{
		"duplicate domain":  `{"virtual_hosts":[` + vhostJSON("a", "x.com") + `,` + vhostJSON("b", "X.com") + `]}`,
		"two stars":         `{"virtual_hosts":[` + vhostJSON("a", "*") + `,` + vhostJSON("b", "*") + `]}`,
		"bad regex":         vh(`{"match":{"safe_regex":{"regex":"("}},"route":{"cluster":"c"}}`),
		"unbalanced regex":  vh(`{"match":{"safe_regex":{"regex":"a)|(b"}},"route":{"cluster":"c"}}`),
		"bad header regex":  vh(`{"match":{"prefix":"/","headers":[{"name":"x","string_match":{"safe_regex":{"regex":"["}}}]},"route":{"cluster":"c"}}`),
		"remove pseudo":     vh(`{"match":{"prefix":"/"},"request_headers_to_remove":[":path"],"route":{"cluster":"c"}}`),
		"add host":          vh(`{"match":{"prefix":"/"},"request_headers_to_add":[` + hv("Host", "x", "") + `],"route":{"cluster":"c"}}`),
		"append and action": vh(`{"match":{"prefix":"/"},"request_headers_to_add":[{"header":{"key":"x","value":"v"},"append":true,"append_action":"ADD_IF_ABSENT"}],"route":{"cluster":"c"}}`),
		"redirect":          vh(`{"match":{"prefix":"/"},"redirect":{"path_redirect":"/x"}}`),
		"query params":      vh(`{"match":{"prefix":"/","query_parameters":[{"name":"a"}]},"route":{"cluster":"c"}}`),
		"no action":         vh(`{"match":{"prefix":"/"}}`),
		"missing file":      vh(`{"match":{"prefix":"/"},"direct_response":{"status":200,"body":{"filename":"/nonexistent/x"}}}`),
	}
	for name, js := range cases {
		_, err := NewTable(parseRC(t, js))
		if err == nil || !strings.HasPrefix(err.Error(), "route: ") {
			t.Errorf("%s: want a \"route: \" error, got %v", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := NewTable(nil); err != nil {
		t.Errorf("nil configuration: %v", err)
	}
}
