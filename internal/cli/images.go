package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/oci"
)

func init() { commands = append(commands, newImagesCmd) }

func newImagesCmd() *cobra.Command {
	var f ociFlags
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the Wasm images in the local store",
		Long: `Lists the local store: one line per name, with the short manifest digest,
the size of its blobs, the Proxy-Wasm ABI versions and root IDs from its
runtime config, the source language and the creation time ("-" when the
image was built reproducibly, without one).`,
		Example: `  wasmesh images
  wasmesh images -o json
  wasmesh images --store ./store`,
		Aliases: []string{"list", "ls"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := f.jsonOutput()
			if err != nil {
				return err
			}
			s, err := f.openStore()
			if err != nil {
				return err
			}
			entries, err := s.List()
			if err != nil {
				return err
			}
			if asJSON {
				return ociWriteJSON(cmd.OutOrStdout(), entries)
			}
			return writeImagesTable(cmd, entries)
		},
	}
	f.addStore(cmd)
	f.addOutput(cmd)
	return cmd
}

func writeImagesTable(cmd *cobra.Command, entries []oci.Entry) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "REF\tDIGEST\tSIZE\tABI\tROOT IDS\tLANGUAGE\tCREATED")
	for _, e := range entries {
		created := "-"
		if !e.Created.IsZero() {
			created = e.Created.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Ref, shortHex(e.Digest.Hex), oci.HumanSize(e.Size),
			orDash(strings.Join(e.ABIVersions, ",")), orDash(strings.Join(e.RootIDs, ",")), orDash(e.Language), created)
	}
	return tw.Flush()
}

// shortHex is the first 12 hex digits of a digest, as docker shows IDs.
func shortHex(hex string) string { return hex[:min(12, len(hex))] }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
