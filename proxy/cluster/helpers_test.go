package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// backend is a loopback HTTP server that names itself in x-backend and
// echoes what it received.
type backend struct {
	*httptest.Server
	id   string
	port int
}

func newBackend(t testing.TB, id string, h http.Handler) *backend {
	t.Helper()
	if h == nil {
		h = echoHandler(id)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	return &backend{Server: s, id: id, port: port}
}

func echoHandler(id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-backend", id)
		w.Header().Set("x-host", r.Host)
		w.Header().Set("x-uri", r.URL.RequestURI())
		w.Header().Set("x-proto", strconv.Itoa(r.ProtoMajor))
		w.Header().Set("x-accept-encoding", r.Header.Get("Accept-Encoding"))
		w.Header().Set("x-user-agent", strings.Join(r.Header.Values("User-Agent"), ","))
		w.Header().Set("x-connection", r.Header.Get("Connection")+r.Header.Get("Upgrade"))
		_, _ = io.WriteString(w, id)
	}
}

// ep is one endpoint of a test cluster.
type ep struct {
	addr   string
	port   int
	weight int // 0: unset
}

func (b *backend) ep() ep { return ep{addr: "127.0.0.1", port: b.port} }

func eps(bs ...*backend) []ep {
	var out []ep
	for _, b := range bs {
		out = append(out, b.ep())
	}
	return out
}

// clusterJSON renders a Cluster; extra is spliced in as more fields.
func clusterJSON(name, typ, lb, extra string, endpoints ...ep) string {
	var lbe []string
	for _, e := range endpoints {
		s := fmt.Sprintf(`{"endpoint":{"address":{"socket_address":{"address":%q,"port_value":%d}}}`, e.addr, e.port)
		if e.weight > 0 {
			s += fmt.Sprintf(`,"load_balancing_weight":%d`, e.weight)
		}
		lbe = append(lbe, s+"}")
	}
	js := fmt.Sprintf(`{"name":%q,"type":%q,"lb_policy":%q,"load_assignment":{"cluster_name":%q,"endpoints":[{"lb_endpoints":[%s]}]}`,
		name, typ, lb, name, strings.Join(lbe, ","))
	if extra != "" {
		js += "," + extra
	}
	return js + "}"
}

func parseCluster(t testing.TB, js string) *clusterv3.Cluster {
	t.Helper()
	c := &clusterv3.Cluster{}
	if err := protojson.Unmarshal([]byte(js), c); err != nil {
		t.Fatalf("bad test cluster: %v\n%s", err, js)
	}
	return c
}

// newManager builds a manager from cluster JSON documents and closes it
// with the test.
func newManager(t testing.TB, opts Options, js ...string) *Manager {
	t.Helper()
	var cs []*clusterv3.Cluster
	for _, j := range js {
		cs = append(cs, parseCluster(t, j))
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	m, err := NewManager(cs, opts)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// get sends GET path through the cluster and returns x-backend.
func get(t testing.TB, c *Cluster, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://ignored.invalid"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// fakeDNS answers lookups from a table that tests change.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr // by host
	err     error
	calls   map[string]int // by network
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{answers: map[string][]netip.Addr{}, calls: map[string]int{}}
}

func (f *fakeDNS) set(host string, addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var as []netip.Addr
	for _, a := range addrs {
		as = append(as, netip.MustParseAddr(a))
	}
	f.answers[host] = as
}

func (f *fakeDNS) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeDNS) lookup(_ context.Context, network, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[network]++
	if f.err != nil {
		return nil, f.err
	}
	var out []netip.Addr
	for _, a := range f.answers[host] {
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func addrs(c *Cluster) []string {
	var out []string
	for _, h := range c.Hosts() {
		out = append(out, h.Address)
	}
	return out
}
