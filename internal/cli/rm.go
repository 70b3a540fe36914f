package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func init() { commands = append(commands, newRmCmd) }

func newRmCmd() *cobra.Command {
	var f ociFlags
	cmd := &cobra.Command{
		Use:   "rm REF...",
		Short: "Remove names from the local store",
		Long: `Removes each REF from the local store, and the blobs no remaining name
uses. A digest (name@sha256:… or sha256:…) removes every name of that
image. Every REF is tried; the command fails if any was not found.`,
		Example: `  wasmesh rm ghcr.io/acme/add-header:v1
  wasmesh rm add-header:dev add-header:old
  wasmesh rm sha256:4f1c...`,
		Aliases: []string{"rmi"},
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.openStore()
			if err != nil {
				return err
			}
			var errs []error
			for _, ref := range args {
				if err := s.Remove(ref); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), "removed", ref)
			}
			return errors.Join(errs...)
		},
	}
	f.addStore(cmd)
	return cmd
}
