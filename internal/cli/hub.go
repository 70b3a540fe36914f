package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/hub"
)

func init() { commands = append(commands, newHubCmd) }

func newHubCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hub",
		Short: "Run a local OCI registry with a web catalogue of Wasm modules",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newHubServeCmd())
	return cmd
}

type hubServeFlags struct {
	addr, storage, htpasswd, title, host string
	debug                                bool
}

func newHubServeCmd() *cobra.Command {
	var f hubServeFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve an OCI registry, a JSON API and a web catalogue",
		Long: `Serves, on one address:

  /v2/   an OCI registry (the CNCF distribution library): docker, oras, crane
         and wasmesh push/pull work against it
  /api/  JSON: GET /api/modules?q=TEXT, GET /api/modules/NAME
  /      a web catalogue: search, README, ABI versions, root IDs, and the
         commands to pull and deploy each module

There is no TLS: it is meant for localhost and development (push with
--plain-http). With --htpasswd (bcrypt entries: htpasswd -Bbn USER PASSWORD)
everything asks for basic credentials; put a TLS proxy in front before
exposing it.`,
		Example: `  wasmesh hub serve
  wasmesh hub serve --addr 127.0.0.1:5000 --storage ./hub-data
  wasmesh push --plain-http 127.0.0.1:5000/filters/addheader:v1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHubServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:5000", "address to listen on")
	fl.StringVar(&f.storage, "storage", "", "registry storage directory (default $WASMESH_HOME/hub or ~/.wasmesh/hub)")
	fl.StringVar(&f.htpasswd, "htpasswd", "", "require basic auth against this bcrypt htpasswd file")
	fl.StringVar(&f.title, "title", "wasmesh hub", "title of the web catalogue")
	fl.StringVar(&f.host, "host", "", "registry host[:port] shown in pull/deploy commands (default: the request's Host)")
	fl.BoolVar(&f.debug, "debug", false, "log the embedded registry's debug messages")
	return cmd
}

func defaultHubStorage() (string, error) {
	if d := os.Getenv("WASMESH_HOME"); d != "" {
		return filepath.Join(d, "hub"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("hub: no --storage and no home directory: %w", err)
	}
	return filepath.Join(home, ".wasmesh", "hub"), nil
}

func runHubServe(cmd *cobra.Command, f hubServeFlags) error {
	if f.storage == "" {
		d, err := defaultHubStorage()
		if err != nil {
			return err
		}
		f.storage = d
	}
	srv, err := hub.New(hub.Config{
		Storage:  f.storage,
		Htpasswd: f.htpasswd,
		Title:    f.title,
		Host:     f.host,
		Log:      cmd.ErrOrStderr(),
		Debug:    f.debug,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("hub: %w", err)
	}
	addr := displayAddr(ln.Addr())
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "wasmesh hub on http://%s (storage %s)\n", addr, f.storage)
	if f.htpasswd != "" {
		fmt.Fprintf(out, "basic auth: %s (no TLS: keep it on localhost)\n", f.htpasswd)
	}
	fmt.Fprintf(out, "push a module: wasmesh push --plain-http %s/name:tag\n", addr)

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = srv.Close()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return <-errc
}

// displayAddr names a listener's address as a client would dial it.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}
