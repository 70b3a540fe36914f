// Command nativeproxy runs an Envoy bootstrap on the wasmesh data plane
// in process, exactly as `wasmesh envoy -c` does (proxy.New, one worker),
// with an optional native Go header filter (proxy.Options.NativeFilters):
// the benchmark's native baseline. With -cpuprofile it also writes a CPU
// profile (runtime/pprof) from start to SIGTERM, which is how bench/run.sh
// profiles the no-filter request path without adding a pprof endpoint to
// the product.
//
//	nativeproxy -c envoy.yaml -filter addheader
//	nativeproxy -c envoy.yaml -filter none -cpuprofile cpu.prof
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy"
)

// addHeader does the Wasm add-header filters' work natively: one request
// header and one response header (the same filter as proxy/bench_test.go).
type addHeader struct{ value string }

func (a addHeader) RequestHeaders(h *host.Headers)  { h.Add("x-wasm", a.value) }
func (a addHeader) ResponseHeaders(h *host.Headers) { h.Add("x-wasm", a.value) }

func main() {
	config := flag.String("c", "", "Envoy bootstrap (YAML)")
	filter := flag.String("filter", "addheader", "native filter: none or addheader")
	value := flag.String("value", "bench", "x-wasm header value the addheader filter adds")
	concurrency := flag.Int("concurrency", 1, "workers")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile (start to SIGTERM) to this file")
	flag.Parse()
	if err := run(*config, *filter, *value, *concurrency, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "nativeproxy:", err)
		os.Exit(1)
	}
}

func run(config, filter, value string, concurrency int, cpuprofile string) error {
	cfg, err := envoyconfig.Load(config)
	if err != nil {
		return err
	}
	var natives []proxy.NativeFilter
	switch filter {
	case "none":
	case "addheader":
		natives = append(natives, addHeader{value})
	default:
		return fmt.Errorf("-filter %q: want none or addheader", filter)
	}
	ctx := context.Background()
	srv, err := proxy.New(ctx, cfg, proxy.Options{
		Concurrency:   concurrency,
		Logger:        proxy.NewLogger(io.Discard, host.LogWarn, ""),
		NativeFilters: natives,
		DrainTimeout:  2 * time.Second,
	})
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		srv.Shutdown(ctx)
	}()
	return srv.Serve()
}
