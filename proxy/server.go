// Package proxy is the wasmesh data plane: it runs an Envoy v3 bootstrap
// (listeners, HTTP connection managers with Wasm HTTP filters and the
// router, TCP proxies with Wasm network filters, clusters, admin) on the
// Proxy-Wasm host, with Envoy's worker model: N workers, each with its own
// Wasm VMs, every connection pinned to one worker.
package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/fetch"
	"github.com/wasmesh/wasmesh/proxy/cluster"
)

// Options configure a Server beyond the bootstrap (Envoy's command line).
type Options struct {
	// Concurrency is the number of workers (--concurrency); 0 means one
	// per CPU, as Envoy.
	Concurrency int
	// Logger receives every log line; nil logs to stderr at info.
	Logger *Logger
	// CacheDir keeps compiled Wasm code (CacheDir/compiled) and fetched
	// remote modules (CacheDir/modules) between runs ("" disables).
	CacheDir string
	// Fetcher fetches remote code with an oci://, file:// URL or no real
	// cluster (Istio's "_"); nil means one caching in CacheDir.
	Fetcher *fetch.Fetcher
	// DrainTimeout bounds how long Shutdown waits for in-flight requests.
	DrainTimeout time.Duration
	// CommandLine is reported by /server_info.
	CommandLine []string
	// Host overrides host runtime settings (tests); zero fields use defaults.
	Host host.Config
	// ValidateOnly builds everything but binds no socket (--mode validate).
	ValidateOnly bool
	// NativeFilters are Go header filters run on every HTTP request before
	// the Wasm filters (and on responses before them): the native baseline
	// the benchmarks compare Wasm filters with.
	NativeFilters []NativeFilter
}

// NativeFilter is a Go HTTP filter working on headers, in process.
type NativeFilter interface {
	RequestHeaders(*host.Headers)
	ResponseHeaders(*host.Headers)
}

// Server runs one bootstrap.
type Server struct {
	cfg      *envoyconfig.Config
	opts     Options
	log      *Logger
	workers  int
	rt       *host.Runtime
	clusters *cluster.Manager
	wasm     *wasmLoader
	grpc     *grpcCaller
	stats    *Stats
	tags     []StatsTag

	listeners []*listener
	admin     *adminServer
	start     time.Time
	connID    atomic.Uint64
	ready     atomic.Bool

	mu       sync.Mutex
	shutdown chan struct{}
	closed   bool
}

// listener is one bound listener and what serves its connections.
type listener struct {
	name, addr string
	ln         net.Listener
	http       *httpListener // an HTTP connection manager
	tcp        *tcpChain     // or a TCP filter chain
	tls        *tls.Config   // the filter chain's DownstreamTlsContext, or nil
	cxTotal    *atomic.Uint64
}

type loader struct{ wasm *wasmLoader }

// New builds everything the bootstrap describes and binds the listeners;
// Serve starts accepting. Errors name the config field.
func New(ctx context.Context, cfg *envoyconfig.Config, opts Options) (s *Server, err error) {
	if opts.Logger == nil {
		opts.Logger = NewLogger(nil, host.LogInfo, "")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultConcurrency()
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 10 * time.Second
	}
	s = &Server{cfg: cfg, opts: opts, log: opts.Logger, workers: opts.Concurrency, stats: newStats(), start: time.Now(), shutdown: make(chan struct{})}
	built := s
	defer func() {
		if err != nil {
			built.close()
		}
	}()
	for _, w := range cfg.Warnings {
		s.log.Logf("config", host.LogWarn, "%s", w)
	}
	for _, t := range cfg.Bootstrap.GetStatsConfig().GetStatsTags() {
		st := StatsTag{Name: t.GetTagName(), Fixed: t.GetFixedValue()}
		if re := t.GetRegex(); re != "" {
			if st.Regex, err = regexp.Compile(re); err != nil {
				return nil, fmt.Errorf("stats_config.stats_tags: %w", err)
			}
		}
		s.tags = append(s.tags, st)
	}
	s.clusters, err = cluster.NewManager(cfg.Bootstrap.GetStaticResources().GetClusters(), cluster.Options{
		Logf: func(f string, a ...any) { s.log.Logf("upstream", host.LogInfo, f, a...) },
	})
	if err != nil {
		return nil, err
	}
	hc := opts.Host
	hc.Logger = wasmLogger{s.log}
	hc.HTTPCaller = &calloutCaller{s: s}
	s.grpc = &grpcCaller{s: s}
	hc.GRPCCaller = s.grpc
	hc.Properties = host.PropertyFunc(s.nodeProperty)
	if opts.CacheDir != "" {
		hc.CacheDir = filepath.Join(opts.CacheDir, "compiled")
	}
	if s.rt, err = host.NewRuntime(ctx, hc); err != nil {
		return nil, err
	}
	if s.wasm, err = s.newWasmLoader(ctx); err != nil {
		return nil, err
	}
	l := &loader{wasm: s.wasm}
	for i, lc := range cfg.Bootstrap.GetStaticResources().GetListeners() {
		ln, err := s.newListener(fmt.Sprintf("static_resources.listeners[%d]", i), lc, l)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Source, err)
		}
		s.listeners = append(s.listeners, ln)
	}
	if a := cfg.Bootstrap.GetAdmin(); a != nil && a.GetAddress() != nil && !opts.ValidateOnly {
		if s.admin, err = s.newAdmin(a.GetAddress()); err != nil {
			return nil, fmt.Errorf("%s: admin.address: %w", cfg.Source, err)
		}
	}
	s.stats.Gauge("server.concurrency").Store(int64(s.workers))
	return s, nil
}

func (s *Server) newListener(path string, lc *listenerv3.Listener, l *loader) (*listener, error) {
	sa := lc.GetAddress().GetSocketAddress()
	if sa == nil {
		return nil, fmt.Errorf("%s.address: a socket_address is required", path)
	}
	addr := net.JoinHostPort(sa.GetAddress(), fmt.Sprint(sa.GetPortValue()))
	ln := &listener{name: lc.GetName(), addr: addr}
	if ln.name == "" {
		ln.name = addr
	}
	chains := lc.GetFilterChains()
	if len(chains) != 1 {
		return nil, fmt.Errorf("%s.filter_chains: exactly one filter chain is supported, got %d", path, len(chains))
	}
	cpath := path + ".filter_chains[0]"
	var netPlugins []*wasmPlugin
	for i, f := range chains[0].GetFilters() {
		fpath := fmt.Sprintf("%s.filters[%d]", cpath, i)
		tc := f.GetTypedConfig()
		last := i == len(chains[0].GetFilters())-1
		switch tc.GetTypeUrl() {
		case "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager":
			if !last || len(netPlugins) > 0 {
				return nil, fmt.Errorf("%s: http_connection_manager must be the only network filter", fpath)
			}
			cfg, err := envoyconfig.HCM(tc)
			if err != nil {
				return nil, fmt.Errorf("%s.typed_config: %w", fpath, err)
			}
			h, err := s.newHCM(fpath+".typed_config", cfg, l)
			if err != nil {
				return nil, err
			}
			ln.http = newHTTPListener(h)
		case "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy":
			if !last {
				return nil, fmt.Errorf("%s: tcp_proxy must be the last network filter", fpath)
			}
			cfg, err := envoyconfig.TCPProxy(tc)
			if err != nil {
				return nil, fmt.Errorf("%s.typed_config: %w", fpath, err)
			}
			t, err := s.newTCPChain(fpath+".typed_config", cfg, netPlugins)
			if err != nil {
				return nil, err
			}
			ln.tcp = t
		case "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm":
			w, err := envoyconfig.NetworkWasm(tc)
			if err != nil {
				return nil, fmt.Errorf("%s.typed_config: %w", fpath, err)
			}
			p, err := l.wasm.load(fpath+".typed_config.config", w.GetConfig())
			if err != nil {
				return nil, err
			}
			netPlugins = append(netPlugins, p)
		default:
			return nil, fmt.Errorf("%s: unsupported network filter %s", fpath, tc.GetTypeUrl())
		}
	}
	if ln.http == nil && ln.tcp == nil {
		return nil, fmt.Errorf("%s: the filter chain needs a terminal filter (http_connection_manager or tcp_proxy)", cpath)
	}
	if err := ln.setupTLS(cpath, chains[0]); err != nil {
		return nil, err
	}
	if s.opts.ValidateOnly {
		ln.cxTotal = &atomic.Uint64{}
		return ln, nil
	}
	var err error
	if ln.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("%s.address: %w", path, err)
	}
	statName := addr
	if sa.GetPortValue() == 0 {
		statName = ln.ln.Addr().String()
	}
	ln.cxTotal = s.stats.Counter("listener." + statAddr(statName) + ".downstream_cx_total")
	return ln, nil
}

// Serve accepts connections on every listener and the admin address until
// Shutdown. It returns nil after a clean shutdown.
func (s *Server) Serve() error {
	errs := make(chan error, len(s.listeners)+1)
	for _, ln := range s.listeners {
		ln := ln
		s.log.Logf("main", host.LogInfo, "listener %q listening on %s", ln.name, ln.ln.Addr())
		go func() {
			if ln.http != nil {
				errs <- ignoreClosed(ln.http.serve(ln.accepter()))
			} else {
				errs <- ignoreClosed(ln.tcp.serve(ln.accepter()))
			}
		}()
	}
	if s.admin != nil {
		s.log.Logf("main", host.LogInfo, "admin address: %s", s.admin.ln.Addr())
		go func() { errs <- ignoreClosed(s.admin.srv.Serve(s.admin.ln)) }()
	}
	s.ready.Store(true)
	s.log.Logf("main", host.LogInfo, "starting main dispatch loop")
	select {
	case <-s.shutdown:
		return nil
	case err := <-errs:
		if err != nil {
			return err
		}
		<-s.shutdown
		return nil
	}
}

// Shutdown stops accepting, lets in-flight requests finish (up to the drain
// timeout) and releases the VMs.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.ready.Store(false)
	s.log.Logf("main", host.LogInfo, "shutting down: draining listeners")
	ctx, cancel := context.WithTimeout(ctx, s.opts.DrainTimeout)
	defer cancel()
	// When the drain time is over, the listeners close their connections,
	// then requests still waiting for an upstream are ended: their upstream
	// connections close.
	abort := func() {
		if s.clusters != nil {
			s.clusters.Abort()
		}
	}
	var wg sync.WaitGroup
	for _, ln := range s.listeners {
		ln := ln
		if ln.ln == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ln.http != nil {
				ln.http.shutdown(ctx, ln.ln, abort)
			} else {
				ln.tcp.shutdown(ctx, ln.ln)
			}
		}()
	}
	wg.Wait()
	if s.admin != nil {
		_ = s.admin.srv.Shutdown(ctx)
	}
	s.close()
	close(s.shutdown)
	s.log.Logf("main", host.LogInfo, "exiting")
	return nil
}

func (s *Server) close() {
	for _, ln := range s.listeners {
		if ln.ln != nil {
			ln.ln.Close()
		}
	}
	if s.admin != nil && s.admin.ln != nil {
		s.admin.ln.Close()
	}
	if s.wasm != nil {
		s.wasm.close()
	}
	if s.rt != nil {
		s.rt.Close(context.Background())
	}
	if s.grpc != nil {
		s.grpc.close()
	}
	if s.clusters != nil {
		s.clusters.Close()
	}
}

// ListenerAddr returns the bound address of a listener by name (or by its
// configured address), for tests that bind port 0.
func (s *Server) ListenerAddr(name string) net.Addr {
	for _, ln := range s.listeners {
		if ln.name == name || ln.addr == name {
			return ln.ln.Addr()
		}
	}
	return nil
}

// AdminAddr returns the admin listener's address, or nil.
func (s *Server) AdminAddr() net.Addr {
	if s.admin == nil {
		return nil
	}
	return s.admin.ln.Addr()
}

// Runtime returns the Wasm host runtime (metrics, shared data).
func (s *Server) Runtime() *host.Runtime { return s.rt }

// Plugins reports every Wasm plugin's state.
func (s *Server) Plugins() []PluginState {
	var out []PluginState
	for _, p := range s.wasm.plugins {
		out = append(out, p.state())
	}
	return out
}
