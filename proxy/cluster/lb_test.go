package cluster

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestRoundRobin(t *testing.T) {
	a, b, c := newBackend(t, "a", nil), newBackend(t, "b", nil), newBackend(t, "c", nil)
	cl := newManager(t, Options{}, clusterJSON("rr", "STATIC", "ROUND_ROBIN", "", eps(a, b, c)...)).Cluster("rr")
	var order []string
	counts := map[string]int{}
	for range 300 {
		_, id := get(t, cl, "/")
		counts[id]++
		if len(order) < 6 {
			order = append(order, id)
		}
	}
	if fmt.Sprint(order) != "[a b c a b c]" {
		t.Errorf("order %v", order)
	}
	for _, id := range []string{"a", "b", "c"} {
		if counts[id] != 100 {
			t.Errorf("backend %s got %d of 300", id, counts[id])
		}
	}
	for _, h := range cl.Hosts() {
		if h.RqTotal != 100 || h.RqActive != 0 || h.RqSuccess != 100 || !h.Healthy || h.Weight != 1 {
			t.Errorf("host stats %+v", h)
		}
	}
}

func TestWeightedRoundRobin(t *testing.T) {
	a, b, c := newBackend(t, "a", nil), newBackend(t, "b", nil), newBackend(t, "c", nil)
	e := eps(a, b, c)
	e[0].weight, e[1].weight, e[2].weight = 1, 2, 3
	cl := newManager(t, Options{}, clusterJSON("w", "STATIC", "ROUND_ROBIN", "", e...)).Cluster("w")
	counts := map[string]int{}
	for i := range 600 {
		_, id := get(t, cl, "/")
		counts[id]++
		if (i+1)%6 == 0 && (counts["a"]*2 != counts["b"] || counts["a"]*3 != counts["c"]) {
			t.Fatalf("after %d requests the schedule is off: %v", i+1, counts)
		}
	}
	if counts["a"] != 100 || counts["b"] != 200 || counts["c"] != 300 {
		t.Errorf("counts %v, want 100/200/300", counts)
	}
}

// testHosts builds a host set directly.
func testHosts(weights ...uint32) *hostSet {
	var hosts []*host
	weighted := false
	for i, w := range weights {
		hosts = append(hosts, &host{addr: fmt.Sprintf("10.0.0.%d:80", i+1), weight: w, st: &hostCounters{}})
		weighted = weighted || w != weights[0]
	}
	return newHostSet(hosts, weighted)
}

func TestWeightedSchedules(t *testing.T) {
	for _, weights := range [][]uint32{
		{1, 2, 3},
		{5, 5, 10},             // gcd reduction
		{100000, 1, 7},         // too long to precompute: stride path
		{1 << 31, 1 << 30, 3},  // huge weights
		{1, 1, 1, 1, 1, 1, 40}, // one heavy host
	} {
		hs := testHosts(weights...)
		if hs.total > 1<<22 {
			// Still exact per cycle, but a full cycle is too long to run.
			counts := map[*host]int{}
			for i := range uint64(1 << 20) {
				counts[hs.roundRobin(i)]++
			}
			if len(counts) < 2 {
				t.Errorf("%v: the stride schedule stuck to one host", weights)
			}
			continue
		}
		counts := map[*host]uint64{}
		for i := range hs.total {
			counts[hs.roundRobin(i)]++
		}
		var g uint64
		for _, w := range weights {
			g = gcd(g, uint64(w))
		}
		for i, h := range hs.hosts {
			if counts[h] != uint64(weights[i])/g {
				t.Errorf("%v (precomputed %v): host %d picked %d times per cycle, want %d", weights, hs.seq != nil, i, counts[h], uint64(weights[i])/g)
			}
		}
	}
}

func TestLeastRequest(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	slow := func(id string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				started <- id
				<-release
			}
			echoHandler(id)(w, r)
		}
	}
	a, b := newBackend(t, "a", slow("a")), newBackend(t, "b", slow("b"))
	cl := newManager(t, Options{}, clusterJSON("lr", "STATIC", "LEAST_REQUEST", "", eps(a, b)...)).Cluster("lr")

	// Ties go round robin.
	_, first := get(t, cl, "/")
	_, second := get(t, cl, "/")
	if first == second {
		t.Errorf("idle hosts should alternate, got %s then %s", first, second)
	}

	// One request held on a host: everything else goes to the other one.
	var wg sync.WaitGroup
	wg.Go(func() { get(t, cl, "/slow") })
	busy := <-started
	for range 20 {
		if _, id := get(t, cl, "/"); id == busy {
			t.Fatalf("request went to busy host %s", busy)
		}
	}
	close(release)
	wg.Wait()

	// Weighted: (active+1)/weight decides.
	hs := testHosts(1, 4)
	hs.hosts[1].st.rqActive.Store(2) // 3/4 < 1/1
	if h := hs.leastRequest(0); h != hs.hosts[1] {
		t.Errorf("weighted least request picked %s", h.addr)
	}
	hs.hosts[1].st.rqActive.Store(4) // 5/4 > 1/1
	if h := hs.leastRequest(1); h != hs.hosts[0] {
		t.Errorf("weighted least request picked %s", h.addr)
	}
}

func TestRandom(t *testing.T) {
	a, b, c := newBackend(t, "a", nil), newBackend(t, "b", nil), newBackend(t, "c", nil)
	e := eps(a, b, c)
	e[0].weight = 50 // RANDOM ignores weights, as Envoy's does
	cl := newManager(t, Options{}, clusterJSON("rnd", "STATIC", "RANDOM", "", e...)).Cluster("rnd")
	counts := map[string]int{}
	const n = 30000
	for range n {
		counts[cl.pick().addr]++
	}
	for _, h := range cl.Hosts() {
		if got := counts[h.Address]; got < n/3-1000 || got > n/3+1000 {
			t.Errorf("host %s picked %d of %d", h.Address, got, n)
		}
	}
	if _, id := get(t, cl, "/"); id == "" {
		t.Error("random cluster did not forward")
	}
}

func TestConcurrentUse(t *testing.T) {
	bs := []*backend{newBackend(t, "a", nil), newBackend(t, "b", nil), newBackend(t, "c", nil)}
	m := newManager(t, Options{},
		clusterJSON("rr", "STATIC", "ROUND_ROBIN", "", eps(bs...)...),
		clusterJSON("lr", "STATIC", "LEAST_REQUEST", "", eps(bs...)...),
		clusterJSON("rnd", "STATIC", "RANDOM", "", eps(bs...)...))
	const workers, each = 16, 30
	var wg sync.WaitGroup
	for w := range workers {
		cl := m.Cluster(m.Names()[w%3])
		wg.Go(func() {
			for range each {
				req, _ := http.NewRequest("GET", "http://x/", nil)
				resp, err := cl.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				_ = cl.Hosts()
				_ = cl.Stats()
			}
		})
	}
	wg.Wait()
	var total int64
	for _, name := range m.Names() {
		st := m.Cluster(name).Stats()
		total += st.UpstreamRqTotal
		if st.UpstreamRqActive != 0 || st.UpstreamRq2xx != st.UpstreamRqTotal {
			t.Errorf("%s: %+v", name, st)
		}
	}
	if total != workers*each {
		t.Errorf("total requests %d, want %d", total, workers*each)
	}
}

func BenchmarkPick(b *testing.B) {
	for _, bc := range []struct {
		name    string
		lb      lbPolicy
		weights []uint32
	}{
		{"round-robin", lbRoundRobin, []uint32{1, 1, 1, 1, 1, 1, 1, 1}},
		{"weighted-rr", lbRoundRobin, []uint32{1, 2, 3, 4, 5, 6, 7, 8}},
		{"weighted-rr-stride", lbRoundRobin, []uint32{100000, 2, 3, 4, 5, 6, 7, 8}},
		{"least-request", lbLeastRequest, []uint32{1, 1, 1, 1, 1, 1, 1, 1}},
		{"random", lbRandom, []uint32{1, 1, 1, 1, 1, 1, 1, 1}},
	} {
		c := &Cluster{spec: &spec{lb: bc.lb}}
		c.hosts.Store(testHosts(bc.weights...))
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.pick() == nil {
					b.Fatal("no host")
				}
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.pick()
				}
			})
		})
	}
}
