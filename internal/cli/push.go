package cli

import (
	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/oci"
)

func init() { commands = append(commands, newPushCmd) }

func newPushCmd() *cobra.Command {
	var f ociFlags
	cmd := &cobra.Command{
		Use:   "push REF",
		Short: "Upload a Wasm image from the local store to a registry",
		Long: `Uploads the image REF names in the local store to the registry REF names,
and prints the manifest digest: the value of a WasmPlugin's sha256, or
the @sha256: suffix of its url. Progress goes to stderr.

Credentials come from -u/-p, else from what "wasmesh login" or
"docker login" saved (docker config file and credential helpers).`,
		Example: `  wasmesh push ghcr.io/acme/add-header:v1
  wasmesh push localhost:5000/add-header:v1 -o json
  wasmesh push registry.internal/filters/auth:2 --insecure -u ci -p "$TOKEN"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := f.jsonOutput(); err != nil {
				return err
			}
			s, err := f.openStore()
			if err != nil {
				return err
			}
			img, err := s.Get(args[0])
			if err != nil {
				return err
			}
			d, err := oci.Push(cmd.Context(), img, args[0], f.remoteOptions(cmd))
			if err != nil {
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
