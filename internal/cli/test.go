package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/internal/casetest"
)

func init() { commands = append(commands, newTestCmd) }

type testFlags struct {
	cases, golden, output string
	update                bool
}

func newTestCmd() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test FILE.wasm|DIR",
		Short: "Replay HTTP exchanges through a filter and check what it did",
		Long: `Runs each case of a cases file (default DIR/filter.test.yaml) through the
filter, in process, with the data plane's filter chain: the request goes
through the filter to a scripted upstream and back. Checks: response status,
headers and body, the request the upstream saw, local replies (the upstream
is not called), log lines. The observed exchanges are compared with a golden
file (cases file + ".golden") when one exists; --update writes it.
Works for filters written in any language.`,
		Example: `  wasmesh test ./my-filter
  wasmesh test filter.wasm -f cases.yaml
  wasmesh test filter.wasm -f cases.yaml --update
  wasmesh test ./my-filter -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runTest(cmd, args[0], f) },
	}
	cmd.Flags().StringVarP(&f.cases, "cases", "f", "", "cases file (default DIR/filter.test.yaml)")
	cmd.Flags().StringVar(&f.golden, "golden", "", "golden file (default: the cases file + .golden)")
	cmd.Flags().BoolVar(&f.update, "update", false, "write the golden file from this run")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "text or json")
	return cmd
}

func runTest(cmd *cobra.Command, input string, f testFlags) error {
	ctx := context.Background()
	st, err := os.Stat(input)
	if err != nil {
		return &exitError{1, fmt.Errorf("test: %w", err)}
	}
	if f.cases == "" {
		if !st.IsDir() {
			return &exitError{1, errors.New("test: -f CASES is required with a .wasm file")}
		}
		f.cases = filepath.Join(input, "filter.test.yaml")
	}
	suite, err := casetest.Load(f.cases)
	if err != nil {
		return &exitError{1, err}
	}
	var wasm []byte
	switch {
	case st.IsDir():
		wasm, err = buildDir(ctx, input)
	default:
		wasm, err = os.ReadFile(input)
	}
	if err != nil {
		return &exitError{1, err}
	}
	results, err := casetest.Run(ctx, wasm, suite)
	if err != nil {
		return &exitError{1, err}
	}
	if f.golden == "" {
		f.golden = f.cases + ".golden"
	}
	golden, err := casetest.Golden(results)
	if err != nil {
		return &exitError{1, err}
	}
	goldenDiff := ""
	if f.update {
		if err := os.WriteFile(f.golden, golden, 0o644); err != nil {
			return &exitError{1, fmt.Errorf("test: %w", err)}
		}
	} else if want, err := os.ReadFile(f.golden); err == nil {
		goldenDiff = casetest.Diff(string(want), string(golden))
	}
	failed := 0
	for _, r := range results {
		if !r.Passed {
			failed++
		}
	}
	out := cmd.OutOrStdout()
	if f.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"results": results, "golden_diff": goldenDiff, "failed": failed})
	} else {
		for _, r := range results {
			status := "PASS"
			if !r.Passed {
				status = "FAIL"
			}
			fmt.Fprintf(out, "%s  %s (%s)\n", status, r.Name, r.Duration)
			for _, fl := range r.Failures {
				fmt.Fprintf(out, "      %s\n", fl)
			}
		}
		if goldenDiff != "" {
			fmt.Fprintf(out, "golden file %s differs (- want, + got; --update rewrites it):\n%s", f.golden, indent(goldenDiff))
		}
		fmt.Fprintf(out, "%d cases, %d passed, %d failed\n", len(results), len(results)-failed, failed)
	}
	if failed > 0 || goldenDiff != "" {
		return &exitError{1, fmt.Errorf("test: %d of %d cases failed%s", failed, len(results), map[bool]string{true: ", golden file differs"}[goldenDiff != ""])}
	}
	return nil
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n      ") + "\n"
}
