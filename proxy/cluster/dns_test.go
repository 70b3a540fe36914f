package cluster

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

func TestStrictDNSLocalhost(t *testing.T) {
	a, b := newBackend(t, "a", nil), newBackend(t, "b", nil)
	cl := newManager(t, Options{}, clusterJSON("dns", "STRICT_DNS", "ROUND_ROBIN", `"dns_lookup_family":"V4_ONLY"`,
		ep{addr: "localhost", port: a.port}, ep{addr: "localhost", port: b.port})).Cluster("dns")
	if cl.Type() != "STRICT_DNS" {
		t.Errorf("type %q", cl.Type())
	}
	hosts := cl.Hosts()
	if len(hosts) != 2 || hosts[0].Address != fmt.Sprintf("127.0.0.1:%d", a.port) || hosts[0].Hostname != "localhost" {
		t.Fatalf("hosts %+v", hosts)
	}
	seen := map[string]bool{}
	for range 4 {
		_, id := get(t, cl, "/")
		seen[id] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Errorf("backends reached: %v", seen)
	}
}

func TestStrictDNSRefresh(t *testing.T) {
	dns := newFakeDNS()
	dns.set("svc.test", "10.0.0.1")
	cl := newManager(t, Options{lookup: dns.lookup}, clusterJSON("dns", "STRICT_DNS", "ROUND_ROBIN",
		`"dns_lookup_family":"V4_ONLY","dns_refresh_rate":"0.01s"`, ep{addr: "svc.test", port: 80})).Cluster("dns")
	if got := fmt.Sprint(addrs(cl)); got != "[10.0.0.1:80]" {
		t.Fatalf("initial hosts %s", got)
	}
	first := cl.hosts.Load().hosts[0]
	first.st.rqTotal.Store(7)

	dns.set("svc.test", "10.0.0.1", "10.0.0.2")
	waitFor(t, "two hosts", func() bool { return len(cl.Hosts()) == 2 })
	if h := cl.Hosts()[0]; h.Address != "10.0.0.1:80" || h.RqTotal != 7 {
		t.Errorf("a host kept by the refresh lost its counters: %+v", h)
	}

	dns.fail(errors.New("resolver down"))
	before := cl.Stats().UpdateFailure
	waitFor(t, "failed refreshes", func() bool { return cl.Stats().UpdateFailure >= before+2 })
	if len(cl.Hosts()) != 2 {
		t.Errorf("hosts dropped on failure: %v", addrs(cl))
	}

	dns.fail(nil)
	dns.set("svc.test", "10.0.0.3")
	waitFor(t, "replaced host", func() bool { return fmt.Sprint(addrs(cl)) == "[10.0.0.3:80]" })
	if st := cl.Stats(); st.UpdateSuccess < 2 || st.MembershipTotal != 1 || st.MembershipHealthy != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestLookupFamily(t *testing.T) {
	dns := newFakeDNS()
	dns.set("dual.test", "10.0.0.1", "fd00::1")
	dns.set("v4only.test", "10.0.0.2")
	dns.set("v6only.test", "fd00::2")
	var cs []string
	for _, fam := range []string{"AUTO", "V4_ONLY", "V6_ONLY", "V4_PREFERRED", "ALL"} {
		cs = append(cs, clusterJSON(fam, "STRICT_DNS", "ROUND_ROBIN", `"dns_lookup_family":"`+fam+`"`,
			ep{addr: "dual.test", port: 1}, ep{addr: "v4only.test", port: 2}, ep{addr: "v6only.test", port: 3}))
	}
	m := newManager(t, Options{lookup: dns.lookup, Logf: func(string, ...any) {}}, cs...)
	want := map[string]string{
		"AUTO":         "[[fd00::1]:1 10.0.0.2:2 [fd00::2]:3]",
		"V4_ONLY":      "[10.0.0.1:1 10.0.0.2:2]",
		"V6_ONLY":      "[[fd00::1]:1 [fd00::2]:3]",
		"V4_PREFERRED": "[10.0.0.1:1 10.0.0.2:2 [fd00::2]:3]",
		"ALL":          "[10.0.0.1:1 [fd00::1]:1 10.0.0.2:2 [fd00::2]:3]",
	}
	for fam, w := range want {
		if got := fmt.Sprint(addrs(m.Cluster(fam))); got != w {
			t.Errorf("%s: %s, want %s", fam, got, w)
		}
	}
}

func TestLogicalDNS(t *testing.T) {
	b := newBackend(t, "a", nil)
	cl := newManager(t, Options{}, clusterJSON("logical", "LOGICAL_DNS", "ROUND_ROBIN", `"dns_lookup_family":"V4_ONLY"`,
		ep{addr: "localhost", port: b.port})).Cluster("logical")
	if _, id := get(t, cl, "/"); id != "a" || cl.Type() != "LOGICAL_DNS" {
		t.Errorf("logical cluster reached %q", id)
	}

	dns := newFakeDNS()
	dns.set("svc.test", "10.0.0.1", "10.0.0.2")
	cl = newManager(t, Options{lookup: dns.lookup}, clusterJSON("logical", "LOGICAL_DNS", "ROUND_ROBIN",
		`"dns_lookup_family":"V4_ONLY","dns_refresh_rate":"0.01s"`, ep{addr: "svc.test", port: 80})).Cluster("logical")
	if got := fmt.Sprint(addrs(cl)); got != "[10.0.0.1:80]" {
		t.Fatalf("logical host %s, want the first address only", got)
	}
	cl.hosts.Load().hosts[0].st.cxTotal.Store(3)
	dns.set("svc.test", "10.0.0.9")
	waitFor(t, "new address", func() bool { return fmt.Sprint(addrs(cl)) == "[10.0.0.9:80]" })
	if h := cl.Hosts()[0]; h.CxTotal != 3 || h.Hostname != "svc.test" {
		t.Errorf("the logical host lost its identity: %+v", h)
	}
}

func TestDNSConcurrentRefresh(t *testing.T) {
	a, b := newBackend(t, "a", nil), newBackend(t, "b", nil)
	dns := newFakeDNS()
	dns.set("svc.test", "127.0.0.1")
	cl := newManager(t, Options{lookup: dns.lookup}, clusterJSON("dns", "STRICT_DNS", "LEAST_REQUEST",
		`"dns_refresh_rate":"0.001s"`, ep{addr: "svc.test", port: a.port}, ep{addr: "svc.test", port: b.port})).Cluster("dns")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				dns.set("svc.test", "127.0.0.1")
			} else {
				dns.set("svc.test", "127.0.0.1", "::1")
			}
			time.Sleep(time.Millisecond)
		}
	})
	for range 8 {
		wg.Go(func() {
			for range 50 {
				req, _ := http.NewRequest("GET", "http://x/", nil)
				resp, err := cl.RoundTrip(req)
				if err != nil {
					continue // ::1 may not be listening
				}
				resp.Body.Close()
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
}

func TestConfigErrors(t *testing.T) {
	one := ep{addr: "127.0.0.1", port: 80}
	cases := map[string]struct{ js, want string }{
		"static hostname": {clusterJSON("s", "STATIC", "ROUND_ROBIN", "", ep{addr: "backend.local", port: 80}),
			`cluster: s: load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: "backend.local" is not an IP address`},
		"eds":       {clusterJSON("e", "EDS", "ROUND_ROBIN", "", one), "cluster: e: type: EDS is not supported"},
		"ring hash": {clusterJSON("r", "STATIC", "RING_HASH", "", one), "cluster: r: lb_policy: RING_HASH is not supported"},
		"logical 2": {clusterJSON("l", "LOGICAL_DNS", "ROUND_ROBIN", "", one, one), "cluster: l: load_assignment: LOGICAL_DNS clusters must have a single"},
		"timeout":   {clusterJSON("t", "STATIC", "ROUND_ROBIN", `"connect_timeout":"-1s"`, one), "cluster: t: connect_timeout:"},
		"zero weight": {`{"name":"w","load_assignment":{"endpoints":[{"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":"127.0.0.1","port_value":1}}},"load_balancing_weight":0}]}]}}`,
			"cluster: w: load_assignment.endpoints[0].lb_endpoints[0].load_balancing_weight"},
		"http3": {clusterJSON("h", "STATIC", "ROUND_ROBIN", `"typed_extension_protocol_options":{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions":{
			"@type":"type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
			"explicit_http_config":{"http3_protocol_options":{}}}}`, one), "cluster: h: typed_extension_protocol_options"},
		"no name": {`{"type":"STATIC"}`, "cluster: clusters[0]: name: required"},
	}
	for name, tc := range cases {
		_, err := NewManager([]*clusterv3.Cluster{parseCluster(t, tc.js)}, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want prefix %q", name, err, tc.want)
		}
	}
	c := parseCluster(t, clusterJSON("dup", "STATIC", "ROUND_ROBIN", "", one))
	if _, err := NewManager([]*clusterv3.Cluster{c, c}, Options{}); err == nil || !strings.Contains(err.Error(), "cluster: dup: name: duplicate") {
		t.Errorf("duplicate: %v", err)
	}
	m, err := NewManager([]*clusterv3.Cluster{c}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Cluster("nope") != nil || fmt.Sprint(m.Names()) != "[dup]" {
		t.Errorf("lookup: %v", m.Names())
	}
	m.Close() // idempotent
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
