package cli

import (
	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/oci"
)

func init() { commands = append(commands, newPullCmd) }

func newPullCmd() *cobra.Command {
	var f ociFlags
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Download a Wasm image from a registry into the local store",
		Long: `Downloads the image REF names into the local store and prints its
manifest digest. It accepts what Istio's agent accepts: the Wasm OCI
artifact (wasme, wasmesh), the compat variant (one tar+gzip layer with
plugin.wasm) and Docker images whose last layer holds plugin.wasm. Any
other image is refused, naming the layers it found.`,
		Example: `  wasmesh pull ghcr.io/acme/add-header:v1
  wasmesh pull ghcr.io/acme/add-header@sha256:4f1c...
  wasmesh pull localhost:5000/add-header:v1 --plain-http -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := f.jsonOutput(); err != nil {
				return err
			}
			s, err := f.openStore()
			if err != nil {
				return err
			}
			img, d, err := oci.Pull(cmd.Context(), args[0], f.remoteOptions(cmd))
			if err != nil {
				return err
			}
			if _, err := s.Put(args[0], img); err != nil {
				return err
			}
			return f.printDigest(cmd, args[0], d.String())
		},
	}
	f.addStore(cmd)
	f.addRegistry(cmd)
	f.addCredentials(cmd)
	f.addOutput(cmd)
	return cmd
}
