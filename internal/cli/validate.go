package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/internal/build"
	"github.com/wasmesh/wasmesh/internal/profiles"
)

func init() { commands = append(commands, newValidateCmd) }

// validateResult is validate's JSON output.
type validateResult struct {
	Source      string             `json:"source"`
	Target      string             `json:"target"`
	Description string             `json:"target_description"`
	ABI         string             `json:"abi"`
	OK          bool               `json:"ok"`
	Problems    []profiles.Problem `json:"problems"`
}

func newValidateCmd() *cobra.Command {
	var format, store, target string
	cmd := &cobra.Command{
		Use:   "validate FILE|REF --target TARGET",
		Short: "Check that a module links on a proxy: wasmesh, envoy-1.xx or istio-1.xx",
		Long: `Checks a module against what the target links: its ABI marker, its
allocator export, and every import (module, name and wasm type, per ABI
version). Exits 0 when the module links, 1 listing every problem, one per
line; import problems name module.name and both signatures.

Targets: wasmesh (this host), envoy-1.20 to envoy-1.40, istio-1.20 to
istio-1.31 (the Envoy each Istio ships). The tables and their sources are
in internal/profiles.`,
		Example: `  wasmesh validate filter.wasm --target istio-1.24
  wasmesh validate filter.wasm --target envoy-1.32 -o json
  wasmesh validate myfilter:dev --target wasmesh`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat("validate", format); err != nil {
				return err
			}
			if target == "" {
				return &exitError{1, fmt.Errorf("validate: --target is required (%s)", profiles.Summarize(profiles.Names()))}
			}
			p, err := profiles.Lookup(target)
			if err != nil {
				return &exitError{1, fmt.Errorf("validate: %w", err)}
			}
			wasm, _, err := loadModule(args[0], store)
			if err != nil {
				return &exitError{1, fmt.Errorf("validate: %w", err)}
			}
			return runValidate(cmd, args[0], wasm, p, format)
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "wasmesh, envoy-1.xx or istio-1.xx")
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&store, "store", build.DefaultStoreDir(), "local image store directory (for REF)")
	return cmd
}

func runValidate(cmd *cobra.Command, source string, wasm []byte, p *profiles.Profile, format string) error {
	problems := profiles.Check(p, wasm)
	res := validateResult{Source: source, Target: p.Name, Description: p.Description, OK: len(problems) == 0, Problems: problems}
	if res.Problems == nil {
		res.Problems = []profiles.Problem{}
	}
	if m, err := profiles.Parse(wasm); err == nil {
		_, res.ABI = m.Marker()
	}
	out := cmd.OutOrStdout()
	if format == "json" {
		if err := writeJSON(out, res); err != nil {
			return err
		}
	} else if res.OK {
		fmt.Fprintf(out, "%s links on %s (%s, ABI %s)\n", source, p.Name, p.Description, res.ABI)
	} else {
		for _, pr := range problems {
			fmt.Fprintln(out, pr.Message)
		}
	}
	if !res.OK {
		return &exitError{1, fmt.Errorf("validate: %s does not link on %s (%s): %d problems", source, p.Name, p.Description, len(problems))}
	}
	return nil
}
