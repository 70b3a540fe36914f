package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/oci"
)

func init() { commands = append(commands, newLogoutCmd) }

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout REGISTRY",
		Short: "Remove the saved credentials of a registry",
		Long: `Removes the credentials login (or docker login) saved for REGISTRY, from
the docker config file or its credential helper.`,
		Example: `  wasmesh logout ghcr.io
  wasmesh logout localhost:5000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oci.Logout(args[0]); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Removed login credentials for", args[0])
			return nil
		},
	}
}
