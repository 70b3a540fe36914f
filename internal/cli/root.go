// Package cli wires wasmesh's commands to the library packages; it holds
// no logic of its own.
package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Main runs the command line and returns the exit code.
func Main(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		code := 1
		if e, ok := err.(*exitError); ok {
			code = e.code
		}
		fmt.Fprintln(os.Stderr, "wasmesh:", err)
		return code
	}
	return 0
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "wasmesh",
		Short:         "WebAssembly extensions for service-mesh proxies",
		Long:          "wasmesh runs Proxy-Wasm filters: an Envoy-compatible data plane and the tools around it.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newEnvoyCmd())
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

// commands are the subcommands registered by the files of this package
// (one file per command adds its constructor in an init function).
var commands []func() *cobra.Command
