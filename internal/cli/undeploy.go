package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/wasmesh/wasmesh/deploy"
)

func newUndeployCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "undeploy",
		Short: "Remove a filter deployed with wasmesh deploy",
	}
	var f kubeFlags
	istio := &cobra.Command{
		Use:   "istio NAME",
		Short: "Remove the WasmPlugin, or the legacy EnvoyFilter set, named NAME",
		Long: `Removes what "wasmesh deploy istio --name NAME" created in the namespace: the
WasmPlugin, or the EnvoyFilter, the ConfigMap NAME-wasm and the pod template
annotations (restored to their values before the first deploy, so the pods
roll back to their volumes). Objects not created by wasmesh (no
app.kubernetes.io/managed-by=wasmesh label) are refused.`,
		Example: `  wasmesh undeploy istio add-header -n default`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := f.client()
			if err != nil {
				return err
			}
			results, err := c.Undeploy(cmd.Context(), ns, args[0])
			for _, r := range results {
				fmt.Fprintln(cmd.OutOrStdout(), r)
			}
			return err
		},
	}
	f.add(istio)
	cmd.AddCommand(istio)
	return cmd
}

func newDeployListCmd() *cobra.Command {
	var f kubeFlags
	var all bool
	var out ociFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the WasmPlugins and EnvoyFilters wasmesh deployed",
		Long: `Lists the WasmPlugins and EnvoyFilters labelled app.kubernetes.io/managed-by=wasmesh
in the namespace (-A: all namespaces): what they target, the module's URL and
pinned digest (short), the phase, the generation and the age.`,
		Example: `  wasmesh deploy list
  wasmesh deploy list -A -o json`,
		Aliases: []string{"ls"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.jsonOutput()
			if err != nil {
				return err
			}
			c, ns, err := f.client()
			if err != nil {
				return err
			}
			if all {
				ns = ""
			}
			items, err := c.List(cmd.Context(), ns)
			if err != nil {
				return err
			}
			if asJSON {
				if items == nil {
					items = []deploy.Deployed{}
				}
				return ociWriteJSON(cmd.OutOrStdout(), items)
			}
			return writeDeployedTable(cmd, items, time.Now())
		},
	}
	f.add(cmd)
	out.addOutput(cmd)
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list in every namespace")
	return cmd
}

func writeDeployedTable(cmd *cobra.Command, items []deploy.Deployed, now time.Time) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tKIND\tTARGET\tURL\tDIGEST\tPHASE\tGEN\tAGE")
	for _, d := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.Namespace, d.Name, d.Kind, d.Target,
			shortURL(d.URL), orDash(shortHex(d.SHA256)), orDash(d.Phase), d.Generation,
			duration.HumanDuration(now.Sub(d.Created)))
	}
	return tw.Flush()
}

// shortURL shortens the digest in a pinned url, as the DIGEST column has it.
func shortURL(u string) string {
	if i := strings.Index(u, "@sha256:"); i >= 0 {
		return u[:i] + "@sha256:" + shortHex(u[i+len("@sha256:"):])
	}
	return u
}
