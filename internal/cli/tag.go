package cli

import (
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, newTagCmd) }

func newTagCmd() *cobra.Command {
	var f ociFlags
	cmd := &cobra.Command{
		Use:   "tag SRC DST",
		Short: "Give an image in the local store another name",
		Long: `Makes DST name the image SRC names, in the local store. SRC may be a
name, name@sha256:… or a bare sha256:… digest; DST is a name with a tag,
typically the registry repository to push to next.`,
		Example: `  wasmesh tag add-header:dev ghcr.io/acme/add-header:v1
  wasmesh tag sha256:4f1c... localhost:5000/add-header:test`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.openStore()
			if err != nil {
				return err
			}
			return s.Tag(args[0], args[1])
		},
	}
	f.addStore(cmd)
	return cmd
}
