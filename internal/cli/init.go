package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/internal/build"
	"github.com/wasmesh/wasmesh/internal/templates"
)

func init() { commands = append(commands, newInitCmd) }

type initFlags struct {
	language, rootID, wasmeshSrc string
}

// isTerminal reports whether r is an interactive terminal; tests replace it.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newInitCmd() *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create a new filter project: an add-header filter, a README and a test",
		Long: `Creates a filter project in DIR (created if missing; existing files are
never overwritten): an HTTP filter that adds a header chosen by the plugin
configuration, a README with build and test instructions, and a test.

Languages: go (stock Go 1.24+, the wasmesh SDK, tested with go test),
assemblyscript (proxy-runtime 0.1.8, tested with npm test), c (wasi-libc),
rust (no crates, Debian's rustc), cpp (Proxy-Wasm C++ SDK, bazel) and
tinygo (TinyGo SDK). cpp and tinygo projects are generated with build
instructions only: their toolchains are not installable everywhere.

Without --language or --root-id, init asks for them when standard input is
a terminal, and fails naming the missing flag otherwise.`,
		Example: `  wasmesh init myfilter --language go --root-id my_root
  wasmesh init myfilter --language assemblyscript --root-id add_header
  wasmesh init ./filters/auth -l rust --root-id auth
  wasmesh init dev --language go --root-id dev --wasmesh-src ~/src/wasmesh   # build against a checkout`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runInit(cmd, args[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.language, "language", "l", "", "go, assemblyscript, c, rust, cpp or tinygo")
	fl.StringVar(&f.rootID, "root-id", "", "the plugin's root id (Envoy's root_id)")
	fl.StringVar(&f.wasmeshSrc, "wasmesh-src", "", "a wasmesh checkout that generated Go code builds against (go.mod replace)")
	return cmd
}

func runInit(cmd *cobra.Command, dir string, f initFlags) error {
	in := cmd.InOrStdin()
	interactive := isTerminal(in)
	var lines *bufio.Reader
	ask := func(flag, question, def string) (string, error) {
		if !interactive {
			return "", &exitError{1, fmt.Errorf("init: --%s is required (standard input is not a terminal to ask)", flag)}
		}
		if lines == nil {
			lines = bufio.NewReader(in)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%s [%s]: ", question, def)
		line, err := lines.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("init: %w", err)
		}
		if line = strings.TrimSpace(line); line == "" {
			line = def
		}
		return line, nil
	}
	var err error
	if f.language == "" {
		if f.language, err = ask("language", "language (go, assemblyscript, c, rust, cpp, tinygo)", "go"); err != nil {
			return err
		}
	}
	lang, err := build.ParseLanguage(f.language)
	if err != nil {
		return &exitError{1, fmt.Errorf("init: --language: %w", err)}
	}
	if f.rootID == "" {
		if f.rootID, err = ask("root-id", "root id", "add_header"); err != nil {
			return err
		}
	}
	data, err := templates.NewData(dir, f.rootID, f.wasmeshSrc)
	if err != nil {
		return &exitError{1, fmt.Errorf("init: %w", err)}
	}
	written, err := templates.Render(string(lang), dir, data)
	if err != nil {
		return &exitError{1, fmt.Errorf("init: %w", err)}
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "created %s (%s, root id %s):\n", dir, lang, f.rootID)
	for _, w := range written {
		fmt.Fprintf(out, "  %s\n", w)
	}
	fmt.Fprintf(out, "next: cd %s && wasmesh build -t %s:dev   (README.md has the build and test steps)\n", dir, data.Name)
	return nil
}
