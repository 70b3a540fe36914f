// Command startup measures wasmesh's startup and memory with a Go SDK
// filter, for bench/run.sh:
//
//   - time from starting `wasmesh envoy -c` to the first 200 through the
//     filter, with an empty compilation cache (cold: every run gets a new
//     --cache-dir) and with a filled one (warm), and without any filter;
//   - resident memory (VmRSS) of wasmesh with --concurrency 1 and 4, with
//     and without the filter, after traffic on every worker: the difference
//     per added worker is the memory of a worker and its filter instance.
//
// It prints tab-separated lines: "startup KIND MS" and
// "rss FILTER CONCURRENCY KB". The proxy is pinned with taskset -c CPU, as
// in the throughput runs.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	wasmesh, filter, upstream, dir, cpu string
	port                                int
	cold, warm, rssRuns                 int
}

func main() {
	var o options
	flag.StringVar(&o.wasmesh, "wasmesh", "wasmesh", "wasmesh binary")
	flag.StringVar(&o.filter, "filter", "", "the Go filter (.wasm)")
	flag.StringVar(&o.upstream, "upstream", "127.0.0.1:18080", "upstream host:port answering 200")
	flag.IntVar(&o.port, "port", 18100, "listener port")
	flag.StringVar(&o.cpu, "cpu", "0", "taskset CPU list for wasmesh (empty: no pinning)")
	flag.StringVar(&o.dir, "dir", "", "work directory (configs, caches, logs)")
	flag.IntVar(&o.cold, "cold", 5, "cold-cache starts")
	flag.IntVar(&o.warm, "warm", 10, "warm-cache starts (and starts without a filter)")
	flag.IntVar(&o.rssRuns, "rss-runs", 3, "runs per RSS measurement")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.filter == "" || o.dir == "" {
		return errors.New("-filter and -dir are required")
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	withFilter, err := o.writeConfig("go.yaml", o.filter)
	if err != nil {
		return err
	}
	noFilter, err := o.writeConfig("none.yaml", "")
	if err != nil {
		return err
	}
	warmCache := filepath.Join(o.dir, "cache-warm")
	// Fill the warm cache (not measured).
	if _, err := o.firstOK(withFilter, warmCache, 1, nil); err != nil {
		return err
	}
	for i := range o.cold {
		d, err := o.firstOK(withFilter, filepath.Join(o.dir, fmt.Sprintf("cache-cold-%d", i)), 1, nil)
		if err != nil {
			return err
		}
		fmt.Printf("startup\tcold\t%.1f\n", ms(d))
	}
	for range o.warm {
		d, err := o.firstOK(withFilter, warmCache, 1, nil)
		if err != nil {
			return err
		}
		fmt.Printf("startup\twarm\t%.1f\n", ms(d))
	}
	for range o.warm {
		d, err := o.firstOK(noFilter, warmCache, 1, nil)
		if err != nil {
			return err
		}
		fmt.Printf("startup\tnone\t%.1f\n", ms(d))
	}
	for _, c := range []struct {
		name, config string
	}{{"go", withFilter}, {"none", noFilter}} {
		for _, workers := range []int{1, 4} {
			var kbs []int
			for range o.rssRuns {
				var kb int
				_, err := o.firstOK(c.config, warmCache, workers, func(pid int) error {
					var err error
					kb, err = o.rssAfterTraffic(pid, workers)
					return err
				})
				if err != nil {
					return err
				}
				kbs = append(kbs, kb)
			}
			sort.Ints(kbs)
			fmt.Printf("rss\t%s\t%d\t%d\n", c.name, workers, kbs[len(kbs)/2])
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeConfig writes a bootstrap with the filter (none if filter is "").
func (o options) writeConfig(name, filter string) (string, error) {
	filters := ""
	if filter != "" {
		filters = fmt.Sprintf(`
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: bench }
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: %q } } }`, filter)
	}
	host, port, _ := strings.Cut(o.upstream, ":")
	cfg := fmt.Sprintf(`static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: %d } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: upstream } }] }]
          http_filters:%s
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: upstream
    connect_timeout: 5s
    type: STATIC
    load_assignment:
      cluster_name: upstream
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: %s, port_value: %s } } } }] }]
`, o.port, filters, host, port)
	p := filepath.Join(o.dir, name)
	return p, os.WriteFile(p, []byte(cfg), 0o644)
}

// firstOK starts wasmesh, polls the listener every millisecond until a
// request returns 200, runs then (if not nil) on the running process, and
// stops it. It returns the time from exec to the first 200.
func (o options) firstOK(config, cacheDir string, workers int, then func(pid int) error) (time.Duration, error) {
	args := []string{o.wasmesh, "envoy", "-c", config, "--concurrency", strconv.Itoa(workers),
		"--cache-dir", cacheDir, "-l", "warning", "--drain-time-s", "1"}
	if o.cpu != "" {
		args = append([]string{"taskset", "-c", o.cpu}, args...)
	}
	logf, err := os.Create(filepath.Join(o.dir, "wasmesh.log"))
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := fmt.Sprintf("http://127.0.0.1:%d/", o.port)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	deadline := start.Add(2 * time.Minute)
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			return 0, fmt.Errorf("wasmesh exited before answering (see %s)", logf.Name())
		default:
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no 200 from %s within 2 minutes (see %s)", url, logf.Name())
		}
		time.Sleep(time.Millisecond)
	}
	d := time.Since(start)
	if then != nil {
		if err := then(cmd.Process.Pid); err != nil {
			return 0, err
		}
	}
	return d, nil
}

// rssAfterTraffic sends requests on 2*workers new connections (connections
// are assigned to workers round robin, so every worker and its filter
// instance serves some), lets the process settle and reads its VmRSS.
func (o options) rssAfterTraffic(pid, workers int) (int, error) {
	url := fmt.Sprintf("http://127.0.0.1:%d/", o.port)
	for range 2 * workers {
		tr := &http.Transport{}
		client := &http.Client{Timeout: 5 * time.Second, Transport: tr}
		for range 200 {
			resp, err := client.Get(url)
			if err != nil {
				return 0, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		tr.CloseIdleConnections()
	}
	time.Sleep(500 * time.Millisecond)
	return vmRSS(pid)
}

func vmRSS(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, errors.New("no VmRSS")
}
