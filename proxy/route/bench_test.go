package route

import (
	"fmt"
	"strings"
	"testing"
)

// benchTable has 20 virtual hosts of 20 routes each, mixing prefix, path,
// regex and header matchers, plus a weighted route.
func benchTable(b *testing.B) *Table {
	var vhosts []string
	for v := range 20 {
		var routes []string
		for r := range 18 {
			switch r % 3 {
			case 0:
				routes = append(routes, fmt.Sprintf(`{"match":{"prefix":"/svc%d/"},"route":{"cluster":"c%d"}}`, r, r))
			case 1:
				routes = append(routes, fmt.Sprintf(`{"match":{"path":"/exact/%d","case_sensitive":false},"route":{"cluster":"c%d"}}`, r, r))
			case 2:
				routes = append(routes, fmt.Sprintf(`{"match":{"prefix":"/h%d","headers":[{"name":"x-tenant","string_match":{"exact":"t%d"}}]},"route":{"cluster":"c%d"}}`, r, r, r))
			}
		}
		routes = append(routes,
			`{"match":{"safe_regex":{"regex":"/users/[0-9]+/profile"}},"route":{"cluster":"users"}}`,
			`{"match":{"prefix":"/"},"route":{"weighted_clusters":{"clusters":[{"name":"a","weight":50},{"name":"b","weight":50}]}}}`)
		vhosts = append(vhosts, fmt.Sprintf(`{"name":"vh%d","domains":["svc%d.example.com","*.svc%d.example.org"],"routes":[%s]}`,
			v, v, v, strings.Join(routes, ",")))
	}
	return mustTable(b, `{"virtual_hosts":[`+strings.Join(vhosts, ",")+`,`+vhostJSON("default", "*")+`]}`)
}

func BenchmarkMatch(b *testing.B) {
	tb := benchTable(b)
	cases := []struct {
		name string
		auth string
		path string
		kv   []string
	}{
		{"exact-host-prefix", "svc7.example.com", "/svc9/items?page=2", nil},
		{"suffix-host-header", "API.svc3.example.org", "/h17/x", []string{"user-agent", "bench", "x-tenant", "t17"}},
		{"regex", "svc12.example.com", "/users/12345/profile", nil},
		{"weighted-fallthrough", "svc19.example.com", "/nothing/matches/here", []string{"accept", "*/*"}},
		{"default-vhost", "unknown.example.net", "/", nil},
	}
	for _, c := range cases {
		h := req(c.auth, c.path, c.kv...)
		if tb.Match(h) == nil {
			b.Fatalf("%s: no match", c.name)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if tb.Match(h) == nil {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkApplyRequest(b *testing.B) {
	tb := mustTable(b, `{"virtual_hosts":[{"name":"vh","domains":["*"],"request_headers_to_add":[`+
		hv("x-vh", "1", "")+`],"routes":[{"match":{"prefix":"/api/"},"request_headers_to_add":[`+
		hv("x-route", "%REQ(:path)%", "OVERWRITE_IF_EXISTS_OR_ADD")+`],"route":{"cluster":"c","prefix_rewrite":"/"}}]}]}`)
	base := req("h", "/api/items?x=1", "user-agent", "bench")
	h := base.Clone()
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		for i := range base.Len() {
			k, v := base.Field(i)
			h.Add(string(k), string(v))
		}
		tb.Match(h).ApplyRequest(h)
	}
}
