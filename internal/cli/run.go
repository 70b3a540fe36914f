package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/quickstart"
	"github.com/wasmesh/wasmesh/proxy"
)

func init() { commands = append(commands, newRunCmd) }

type runFlags struct {
	config, rootID, name string
	upstream, listen     string
	admin, logLevel      string
	printConfig          bool
	concurrency          int
	cacheDir, storeDir   string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE.wasm|DIR|REF",
		Short: "Run a filter in front of an upstream, in a second, without Envoy or Docker",
		Long: `Starts the data plane with one Wasm HTTP filter in front of an upstream:
by default a built-in echo server that answers with the request headers it
received, as JSON (like httpbin's /headers), so you see what the filter did.
The input is a .wasm file, a filter project directory (built first), or an
image reference in the local store. --print-config prints the Envoy config
it runs (valid for Envoy as well) and exits.`,
		Example: `  wasmesh run filter.wasm --config world
  wasmesh run ./my-filter --root-id add_header
  wasmesh run filter.wasm --upstream http://127.0.0.1:8080 --listen 127.0.0.1:8000
  wasmesh run filter.wasm --print-config > envoy.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd, args[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "plugin configuration (passed as a StringValue)")
	fl.StringVar(&f.rootID, "root-id", "", "plugin root_id")
	fl.StringVar(&f.name, "name", "filter", "plugin name")
	fl.StringVar(&f.upstream, "upstream", "", "upstream URL (default: the built-in echo server)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:10000", "listener address")
	fl.StringVar(&f.admin, "admin", "127.0.0.1:0", "admin address (empty: none)")
	fl.StringVarP(&f.logLevel, "log-level", "l", "info", "log level")
	fl.BoolVar(&f.printConfig, "print-config", false, "print the Envoy config and exit")
	fl.IntVar(&f.concurrency, "concurrency", 1, "workers")
	fl.StringVar(&f.cacheDir, "cache-dir", defaultCacheDir(), "compiled Wasm cache")
	return cmd
}

func runRun(cmd *cobra.Command, input string, f runFlags) error {
	ctx := context.Background()
	wasmFile, rootIDs, err := resolveModule(ctx, input, f.cacheDir)
	if err != nil {
		return &exitError{1, err}
	}
	if f.rootID == "" && len(rootIDs) > 0 {
		f.rootID = rootIDs[0] // from the image's runtime config
	}
	upstream := ""
	var echo *http.Server
	if f.upstream != "" {
		if upstream, err = quickstart.UpstreamAddr(f.upstream); err != nil {
			return &exitError{1, err}
		}
	} else if f.printConfig {
		upstream = "127.0.0.1:8080"
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return &exitError{1, fmt.Errorf("run: echo upstream: %w", err)}
		}
		echo = &http.Server{Handler: quickstart.Echo(), ReadHeaderTimeout: 10 * time.Second}
		go echo.Serve(ln)
		defer echo.Close()
		upstream = ln.Addr().String()
	}
	yaml, err := quickstart.Bootstrap(quickstart.Options{WasmFile: wasmFile, Config: f.config, RootID: f.rootID, Name: f.name,
		Listen: f.listen, Admin: f.admin, Upstream: upstream})
	if err != nil {
		return &exitError{1, err}
	}
	if f.printConfig {
		fmt.Fprint(cmd.OutOrStdout(), yaml)
		return nil
	}
	cfg, err := envoyconfig.Parse([]byte(yaml), "wasmesh run")
	if err != nil {
		return &exitError{1, err}
	}
	lvl, err := host.ParseLogLevel(f.logLevel)
	if err != nil {
		return &exitError{1, err}
	}
	logger := proxy.NewLogger(cmd.ErrOrStderr(), lvl, "")
	start := time.Now()
	srv, err := proxy.New(ctx, cfg, proxy.Options{Concurrency: f.concurrency, Logger: logger, CacheDir: f.cacheDir})
	if err != nil {
		return &exitError{1, err}
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "wasmesh: %s loaded in %v, in front of ", filepath.Base(wasmFile), time.Since(start).Round(time.Millisecond))
	if echo != nil {
		fmt.Fprintf(out, "the built-in echo upstream\n")
	} else {
		fmt.Fprintf(out, "%s\n", upstream)
	}
	fmt.Fprintf(out, "try:  curl -i http://%s/headers\n", srv.ListenerAddr("main"))
	if a := srv.AdminAddr(); a != nil {
		fmt.Fprintf(out, "admin: http://%s/  (stats, logging, /wasm)\n", a)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sigs; srv.Shutdown(context.Background()) }()
	return srv.Serve()
}

// resolveModule turns the run input into a module file: a .wasm file as
// is; a directory is built; anything else is looked up as an image in the
// local store. Modules that are not files are written under cacheDir.
func resolveModule(ctx context.Context, input, cacheDir string) (string, []string, error) {
	if st, err := os.Stat(input); err == nil {
		if !st.IsDir() {
			p, err := filepath.Abs(input)
			return p, nil, err
		}
		wasm, err := buildDir(ctx, input)
		if err != nil {
			return "", nil, err
		}
		p, err := writeModule(wasm, cacheDir)
		return p, nil, err
	}
	wasm, roots, err := moduleFromStore(input)
	if err != nil {
		return "", nil, fmt.Errorf("run: %s is neither a file, a directory nor an image in the local store: %w", input, err)
	}
	p, err := writeModule(wasm, cacheDir)
	return p, roots, err
}

func writeModule(wasm []byte, cacheDir string) (string, error) {
	sum := sha256.Sum256(wasm)
	if cacheDir == "" {
		cacheDir = os.TempDir()
	}
	dir := filepath.Join(cacheDir, "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("run: %w", err)
	}
	path := filepath.Join(dir, hex.EncodeToString(sum[:])+".wasm")
	if err := os.WriteFile(path, wasm, 0o644); err != nil {
		return "", fmt.Errorf("run: %w", err)
	}
	return path, nil
}
