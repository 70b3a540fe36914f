package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy"
)

type envoyFlags struct {
	configPath, configYAML      string
	concurrency                 int
	logLevel, componentLogLevel string
	logFormat, logPath, mode    string
	baseID                      int
	drainTime                   int
	serviceNode, serviceCluster string
	cacheDir                    string
}

func newEnvoyCmd() *cobra.Command {
	var f envoyFlags
	cmd := &cobra.Command{
		Use:   "envoy -c envoy.yaml",
		Short: "Run an Envoy v3 configuration with its Wasm filters, without Envoy",
		Long: `Runs an Envoy v3 bootstrap (YAML or JSON): listeners, HTTP connection
managers with envoy.filters.http.wasm filters and the router, tcp_proxy with
envoy.filters.network.wasm, static and DNS clusters, and the admin interface.
It accepts the command-line flags tutorials pass to Envoy. Anything in the
config that wasmesh does not implement is an error naming the field.`,
		Example: `  wasmesh envoy -c envoy.yaml
  wasmesh envoy -c envoy.yaml --concurrency 2 --component-log-level wasm:debug
  wasmesh envoy -c envoy.yaml --mode validate
  wasmesh envoy --config-yaml "$(cat envoy.yaml)" -l debug`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEnvoy(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.configPath, "config-path", "c", "", "bootstrap file (YAML or JSON)")
	fl.StringVar(&f.configYAML, "config-yaml", "", "bootstrap as a YAML string (merged over --config-path)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "number of workers (default: one per CPU)")
	fl.StringVarP(&f.logLevel, "log-level", "l", "info", "log level: trace, debug, info, warning, error, critical, off")
	fl.StringVar(&f.componentLogLevel, "component-log-level", "", "per-component levels, e.g. wasm:trace,http:debug")
	fl.StringVar(&f.logFormat, "log-format", "", "log line format (Envoy/spdlog flags; %v is the message)")
	fl.StringVar(&f.logPath, "log-path", "", "write logs to this file instead of stderr")
	fl.StringVar(&f.mode, "mode", "serve", "serve, or validate (check the config and exit)")
	fl.IntVar(&f.baseID, "base-id", 0, "accepted for Envoy compatibility (no hot restart)")
	fl.IntVar(&f.drainTime, "drain-time-s", 10, "seconds to drain in-flight requests on shutdown")
	fl.StringVar(&f.serviceNode, "service-node", "", "node.id, as Envoy's --service-node")
	fl.StringVar(&f.serviceCluster, "service-cluster", "", "node.cluster, as Envoy's --service-cluster")
	fl.StringVar(&f.cacheDir, "cache-dir", defaultCacheDir(), "where compiled Wasm is cached (empty: no cache)")
	return cmd
}

func defaultCacheDir() string {
	if d := os.Getenv("WASMESH_HOME"); d != "" {
		return filepath.Join(d, "cache")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "wasmesh")
	}
	return ""
}

func runEnvoy(cmd *cobra.Command, f envoyFlags) error {
	cfg, err := loadEnvoyConfig(f)
	if err != nil {
		return err
	}
	if f.serviceNode != "" || f.serviceCluster != "" {
		if cfg.Bootstrap.Node == nil {
			cfg.Bootstrap.Node = &corev3.Node{}
		}
		if f.serviceNode != "" {
			cfg.Bootstrap.Node.Id = f.serviceNode
		}
		if f.serviceCluster != "" {
			cfg.Bootstrap.Node.Cluster = f.serviceCluster
		}
	}
	logger, err := newLogger(f)
	if err != nil {
		return err
	}
	switch f.mode {
	case "validate":
		ctx := context.Background()
		opts := proxy.Options{Concurrency: 1, Logger: proxy.NewLogger(nil, host.LogOff, ""), CacheDir: f.cacheDir, ValidateOnly: true}
		srv, err := proxy.New(ctx, cfg, opts)
		if err != nil {
			return &exitError{1, err}
		}
		srv.Shutdown(ctx)
		fmt.Fprintf(cmd.OutOrStdout(), "configuration '%s' OK\n", cfg.Source)
		return nil
	case "serve":
	default:
		return &exitError{1, fmt.Errorf("--mode %q: must be serve or validate", f.mode)}
	}
	ctx := context.Background()
	srv, err := proxy.New(ctx, cfg, proxy.Options{
		Concurrency:  f.concurrency,
		Logger:       logger,
		CacheDir:     f.cacheDir,
		DrainTimeout: time.Duration(f.drainTime) * time.Second,
		CommandLine:  os.Args,
	})
	if err != nil {
		return &exitError{1, err}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sigs
		logger.Logf("main", host.LogWarn, "caught %s", strings.ToUpper(s.String()))
		srv.Shutdown(context.Background())
	}()
	return srv.Serve()
}

func loadEnvoyConfig(f envoyFlags) (*envoyconfig.Config, error) {
	if f.configPath == "" && f.configYAML == "" {
		return nil, &exitError{1, fmt.Errorf("a config is required: -c FILE or --config-yaml STRING")}
	}
	var base, overlay *envoyconfig.Config
	var err error
	if f.configPath != "" {
		if base, err = envoyconfig.Load(f.configPath); err != nil {
			return nil, &exitError{1, err}
		}
	}
	if f.configYAML != "" {
		if overlay, err = envoyconfig.Parse([]byte(f.configYAML), "--config-yaml"); err != nil {
			return nil, &exitError{1, err}
		}
	}
	cfg, err := envoyconfig.Merge(base, overlay)
	if err != nil {
		return nil, &exitError{1, err}
	}
	return cfg, nil
}

func newLogger(f envoyFlags) (*proxy.Logger, error) {
	lvl, err := host.ParseLogLevel(f.logLevel)
	if err != nil {
		return nil, &exitError{1, fmt.Errorf("--log-level: %w", err)}
	}
	out := os.Stderr
	if f.logPath != "" {
		if out, err = os.OpenFile(f.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			return nil, &exitError{1, fmt.Errorf("--log-path: %w", err)}
		}
	}
	l := proxy.NewLogger(out, lvl, f.logFormat)
	if f.componentLogLevel != "" {
		for _, kv := range strings.Split(f.componentLogLevel, ",") {
			c, v, ok := strings.Cut(strings.TrimSpace(kv), ":")
			if !ok {
				return nil, &exitError{1, fmt.Errorf("--component-log-level: %q is not component:level", kv)}
			}
			cl, err := host.ParseLogLevel(v)
			if err != nil {
				return nil, &exitError{1, fmt.Errorf("--component-log-level %s: %w", c, err)}
			}
			l.SetLevel(c, cl)
		}
	}
	return l, nil
}
