package route

import (
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wasmesh/wasmesh/host"
)

func parseRC(t testing.TB, js string) *routev3.RouteConfiguration {
	t.Helper()
	rc := &routev3.RouteConfiguration{}
	if err := protojson.Unmarshal([]byte(js), rc); err != nil {
		t.Fatalf("bad test config: %v\n%s", err, js)
	}
	return rc
}

func mustTable(t testing.TB, js string, opts ...Option) *Table {
	t.Helper()
	tb, err := NewTable(parseRC(t, js), opts...)
	if err != nil {
		t.Fatalf("NewTable: %v", err)
	}
	return tb
}

// req builds request headers; an empty authority or path is left out.
func req(authority, path string, kv ...string) *host.Headers {
	h := &host.Headers{}
	h.Add(":method", "GET")
	if path != "" {
		h.Add(":path", path)
	}
	if authority != "" {
		h.Add(":authority", authority)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// vhostJSON is a virtual host with one catch-all route to cluster name.
func vhostJSON(name string, domains ...string) string {
	return `{"name":"` + name + `","domains":["` + strings.Join(domains, `","`) +
		`"],"routes":[{"match":{"prefix":"/"},"route":{"cluster":"` + name + `"}}]}`
}

func TestDomainSelection(t *testing.T) {
	vhosts := strings.Join([]string{
		vhostJSON("exact", "www.foo.com"),
		vhostJSON("exactport", "foo.com:8080"),
		vhostJSON("suffix", "*.foo.com"),
		vhostJSON("longsuffix", "*-bar.foo.com"),
		vhostJSON("prefix", "foo.*"),
		vhostJSON("longprefix", "foo.bar.*"),
		vhostJSON("ipv6", "[::1]"),
		vhostJSON("default", "*"),
	}, ",")
	plain := mustTable(t, `{"virtual_hosts":[`+vhosts+`]}`)
	noPort := mustTable(t, `{"ignore_port_in_host_matching":true,"virtual_hosts":[`+vhosts+`]}`)
	tests := []struct {
		table     *Table
		authority string
		want      string
	}{
		{plain, "www.foo.com", "exact"},
		{plain, "WWW.Foo.COM", "exact"},
		{plain, "a.foo.com", "suffix"},
		{plain, "baz-bar.foo.com", "longsuffix"},
		{plain, "-bar.foo.com", "suffix"}, // "*-bar.foo.com" must not match the empty string
		{plain, ".foo.com", "default"},
		{plain, "foo.baz", "prefix"},
		{plain, "foo.bar.baz", "longprefix"},
		{plain, "foo.", "default"},
		{plain, "foo.com:8080", "exactport"},
		{plain, "foo.com:9090", "prefix"},    // port is part of the authority: "foo.*"
		{plain, "www.foo.com:80", "default"}, // no port stripping by default
		{plain, "x.foo.com:80", "default"},   // suffix wildcards see the port too
		{plain, "elsewhere.org", "default"},
		{noPort, "www.foo.com:80", "exact"},
		{noPort, "x.foo.com:443", "suffix"},
		{noPort, "[::1]:8080", "ipv6"},
		{noPort, "[::1]", "ipv6"},
		{noPort, "foo.com:8080", "prefix"}, // the domain keeps its port; the authority loses it
	}
	for _, tc := range tests {
		m := tc.table.Match(req(tc.authority, "/"))
		got := "<nil>"
		if m != nil {
			got = m.VirtualHostName
		}
		if got != tc.want {
			t.Errorf("authority %q (ignore port %v): got %s, want %s", tc.authority, tc.table.ignorePort, got, tc.want)
		}
	}

	noDefault := mustTable(t, `{"virtual_hosts":[`+vhostJSON("exact", "www.foo.com")+`]}`)
	if m := noDefault.Match(req("other.com", "/")); m != nil {
		t.Errorf("unknown host matched %q", m.VirtualHostName)
	}
	if m := noDefault.Match(req("", "/")); m != nil {
		t.Errorf("request without authority matched %q", m.VirtualHostName)
	}
	onlyDefault := mustTable(t, `{"virtual_hosts":[`+vhostJSON("default", "*")+`]}`)
	if m := onlyDefault.Match(req("", "/")); m == nil || m.VirtualHostName != "default" {
		t.Errorf("a lone \"*\" virtual host must match without authority, got %v", m)
	}
	vhHeader := mustTable(t, `{"vhost_header":"X-Vhost","virtual_hosts":[`+vhostJSON("exact", "www.foo.com")+`]}`)
	if m := vhHeader.Match(req("other", "/", "x-vhost", "www.foo.com")); m == nil {
		t.Error("vhost_header was not used")
	}
}

func routesTable(t testing.TB, routes string) *Table {
	return mustTable(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[`+routes+`]}]}`)
}

func matchName(tb *Table, h *host.Headers) string {
	if m := tb.Match(h); m != nil {
		return m.RouteName
	}
	return "<nil>"
}

func TestPathMatching(t *testing.T) {
	tb := routesTable(t, `
		{"name":"exact","match":{"path":"/exact"},"route":{"cluster":"c"}},
		{"name":"exact-ci","match":{"path":"/Exact-CI","case_sensitive":false},"route":{"cluster":"c"}},
		{"name":"regex","match":{"safe_regex":{"regex":"/re/v[0-9]+"}},"route":{"cluster":"c"}},
		{"name":"regex-cs","match":{"safe_regex":{"regex":"/RX/[a-z]+"},"case_sensitive":false},"route":{"cluster":"c"}},
		{"name":"sep","match":{"path_separated_prefix":"/sep"},"route":{"cluster":"c"}},
		{"name":"prefix-ci","match":{"prefix":"/CI/","case_sensitive":false},"route":{"cluster":"c"}},
		{"name":"prefix","match":{"prefix":"/p"},"route":{"cluster":"c"}},
		{"name":"root","match":{"prefix":"/"},"route":{"cluster":"c"}}`)
	tests := []struct{ path, want string }{
		{"/exact", "exact"},
		{"/exact?q=1", "exact"},
		{"/exact#frag", "exact"},
		{"/exact/", "root"},
		{"/EXACT", "root"},
		{"/exact-ci", "exact-ci"},
		{"/EXACT-ci?x", "exact-ci"},
		{"/re/v12", "regex"},
		{"/re/v12?v=1", "regex"},
		{"/re/v12/more", "root"}, // full match only
		{"/x/re/v1", "root"},
		{"/RX/abc", "regex-cs"},
		{"/RX/ABC", "root"}, // case_sensitive is ignored for regexes
		{"/sep", "sep"},
		{"/sep/x", "sep"},
		{"/sep?x", "sep"},
		{"/sepx", "root"},
		{"/ci/a", "prefix-ci"},
		{"/Ci/a", "prefix-ci"},
		{"/p", "prefix"},
		{"/pxyz", "prefix"},
		{"/P", "root"},
		{"/q?/p", "root"},
	}
	for _, tc := range tests {
		if got := matchName(tb, req("h", tc.path)); got != tc.want {
			t.Errorf("path %q: got %s, want %s", tc.path, got, tc.want)
		}
	}
	if got := matchName(tb, req("h", "")); got != "<nil>" {
		t.Errorf("request without :path matched %s", got)
	}
	empty := mustTable(t, `{"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[{"match":{"path":"/only"},"route":{"cluster":"c"}}]}]}`)
	if m := empty.Match(req("h", "/other")); m != nil {
		t.Errorf("no route should match, got %+v", m)
	}
}

func TestHeaderMatchers(t *testing.T) {
	route := func(name, matcher string) string {
		return `{"name":"` + name + `","match":{"prefix":"/` + name + `","headers":[` + matcher + `]},"route":{"cluster":"c"}}`
	}
	tb := routesTable(t, strings.Join([]string{
		route("exact", `{"name":"X-A","exact_match":"v"}`),
		route("exactany", `{"name":"x-a","exact_match":""}`),
		route("sexact", `{"name":"x-a","string_match":{"exact":"V","ignore_case":true}}`),
		route("sexactcs", `{"name":"x-a","string_match":{"exact":"V"}}`),
		route("prefix", `{"name":"x-a","string_match":{"prefix":"ab"}}`),
		route("prefixci", `{"name":"x-a","string_match":{"prefix":"AB","ignore_case":true}}`),
		route("suffix", `{"name":"x-a","string_match":{"suffix":"yz"}}`),
		route("suffixci", `{"name":"x-a","string_match":{"suffix":"YZ","ignore_case":true}}`),
		route("contains", `{"name":"x-a","string_match":{"contains":"mid"}}`),
		route("containsci", `{"name":"x-a","string_match":{"contains":"MiD","ignore_case":true}}`),
		route("regex", `{"name":"x-a","string_match":{"safe_regex":{"regex":"\\d{3}"}}}`),
		route("oldregex", `{"name":"x-a","safe_regex_match":{"regex":"[a-c]+"}}`),
		route("oldprefix", `{"name":"x-a","prefix_match":"pre"}`),
		route("oldsuffix", `{"name":"x-a","suffix_match":"suf"}`),
		route("oldcontains", `{"name":"x-a","contains_match":"con"}`),
		route("present", `{"name":"x-a","present_match":true}`),
		route("absent", `{"name":"x-a","present_match":false}`),
		route("nospec", `{"name":"x-a"}`),
		route("invpresent", `{"name":"x-a","present_match":true,"invert_match":true}`),
		route("invert", `{"name":"x-a","string_match":{"exact":"v"},"invert_match":true}`),
		route("invertempty", `{"name":"x-a","string_match":{"exact":"v"},"invert_match":true,"treat_missing_header_as_empty":true}`),
		route("emptyre", `{"name":"x-a","string_match":{"safe_regex":{"regex":"^$"}},"treat_missing_header_as_empty":true}`),
		route("range", `{"name":"x-a","range_match":{"start":-10,"end":0}}`),
		route("method", `{"name":":method","string_match":{"exact":"GET"}}`),
		route("two", `{"name":"x-a","string_match":{"exact":"a"}},{"name":"x-b","string_match":{"exact":"b"}}`),
		route("joined", `{"name":"x-a","string_match":{"exact":"a,b"}}`),
		`{"name":"fallback","match":{"prefix":"/"},"route":{"cluster":"c"}}`,
	}, ","))
	tests := []struct {
		path string
		kv   []string
		want bool
	}{
		{"/exact", []string{"x-a", "v"}, true},
		{"/exact", []string{"x-a", "V"}, false},
		{"/exact", nil, false},
		{"/exactany", []string{"x-a", "anything"}, true},
		{"/exactany", nil, false},
		{"/sexact", []string{"x-a", "v"}, true},
		{"/sexactcs", []string{"x-a", "v"}, false},
		{"/prefix", []string{"x-a", "abc"}, true},
		{"/prefix", []string{"x-a", "ABc"}, false},
		{"/prefixci", []string{"x-a", "aBc"}, true},
		{"/suffix", []string{"x-a", "xyz"}, true},
		{"/suffix", []string{"x-a", "z"}, false},
		{"/suffixci", []string{"x-a", "xyZ"}, true},
		{"/contains", []string{"x-a", "a-mid-b"}, true},
		{"/contains", []string{"x-a", "a-MID-b"}, false},
		{"/containsci", []string{"x-a", "a-mId-b"}, true},
		{"/regex", []string{"x-a", "123"}, true},
		{"/regex", []string{"x-a", "1234"}, false}, // full match
		{"/oldregex", []string{"x-a", "abcab"}, true},
		{"/oldregex", []string{"x-a", "abcd"}, false},
		{"/oldprefix", []string{"x-a", "prefix"}, true},
		{"/oldsuffix", []string{"x-a", "a-suf"}, true},
		{"/oldcontains", []string{"x-a", "xconx"}, true},
		{"/present", []string{"x-a", ""}, true},
		{"/present", nil, false},
		{"/absent", nil, true},
		{"/absent", []string{"x-a", "v"}, false},
		{"/nospec", []string{"x-a", "v"}, true},
		{"/nospec", nil, false},
		{"/invpresent", nil, true},
		{"/invpresent", []string{"x-a", "v"}, false},
		{"/invert", []string{"x-a", "w"}, true},
		{"/invert", []string{"x-a", "v"}, false},
		{"/invert", nil, false}, // a missing header never matches, inverted or not
		{"/invertempty", nil, true},
		{"/emptyre", nil, true},
		{"/emptyre", []string{"x-a", "x"}, false},
		{"/range", []string{"x-a", "-1"}, true},
		{"/range", []string{"x-a", "-10"}, true},
		{"/range", []string{"x-a", "0"}, false},
		{"/range", []string{"x-a", "x"}, false},
		{"/method", nil, true},
		{"/two", []string{"x-a", "a", "x-b", "b"}, true},
		{"/two", []string{"x-a", "a"}, false},
		{"/joined", []string{"x-a", "a", "x-a", "b"}, true},
		{"/joined", []string{"x-a", "a"}, false},
	}
	for _, tc := range tests {
		name := strings.TrimPrefix(tc.path, "/")
		got := matchName(tb, req("h", tc.path, tc.kv...)) == name
		if got != tc.want {
			t.Errorf("%s with %q: matched %v, want %v", name, tc.kv, got, tc.want)
		}
	}
}

func TestTimeoutAndCluster(t *testing.T) {
	tb := routesTable(t, `
		{"name":"default","match":{"path":"/d"},"route":{"cluster":"a"}},
		{"name":"zero","match":{"path":"/z"},"route":{"cluster":"b","timeout":"0s"}},
		{"name":"set","match":{"path":"/s"},"route":{"cluster":"c","timeout":"2.5s"}}`)
	for _, tc := range []struct {
		path, cluster string
		timeout       time.Duration
	}{{"/d", "a", 15 * time.Second}, {"/z", "b", 0}, {"/s", "c", 2500 * time.Millisecond}} {
		m := tb.Match(req("h", tc.path))
		if m == nil || m.Cluster != tc.cluster || m.Timeout != tc.timeout || m.Direct != nil {
			t.Errorf("%s: got %+v, want cluster %s timeout %v", tc.path, m, tc.cluster, tc.timeout)
		}
	}
}
