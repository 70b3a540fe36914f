package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/oci"
)

// ociFlags are the flags shared by push, pull, images, tag, rm, login and
// logout; each command registers the groups it uses.
type ociFlags struct {
	storeDir           string
	plainHTTP          bool
	insecure           bool
	output             string
	username, password string
}

func (f *ociFlags) addStore(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.storeDir, "store", oci.DefaultStoreDir(), "local image store (an OCI image layout)")
}

func (f *ociFlags) addRegistry(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.plainHTTP, "plain-http", false, "talk HTTP, not HTTPS, to the registry (automatic for localhost and private addresses)")
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "skip verifying the registry's TLS certificate")
}

func (f *ociFlags) addCredentials(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.username, "username", "u", "", "registry user (default: the credentials saved by login or docker login)")
	cmd.Flags().StringVarP(&f.password, "password", "p", "", "registry password or token, with -u")
}

func (f *ociFlags) addOutput(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.output, "output", "o", "", `output format: "" (text) or json`)
}

// jsonOutput reports whether -o json was given, rejecting other values.
func (f *ociFlags) jsonOutput() (bool, error) {
	switch f.output {
	case "", "text", "table":
		return false, nil
	case "json":
		return true, nil
	}
	return false, fmt.Errorf("unknown output format %q (want json)", f.output)
}

func (f *ociFlags) openStore() (*oci.Store, error) { return oci.OpenStore(f.storeDir) }

// remoteOptions are the registry options; progress goes to stderr.
func (f *ociFlags) remoteOptions(cmd *cobra.Command) oci.Options {
	o := oci.Options{PlainHTTP: f.plainHTTP, Insecure: f.insecure, Progress: cmd.ErrOrStderr()}
	if f.username != "" || f.password != "" {
		o.Auth = &authn.Basic{Username: f.username, Password: f.password}
	}
	return o
}

// ociWriteJSON prints v indented, with a final newline.
func ociWriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// refDigest is what push and pull print with -o json.
type refDigest struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
}

// printDigest prints the digest alone (so DIGEST=$(wasmesh pull …)
// works), or ref and digest as JSON.
func (f *ociFlags) printDigest(cmd *cobra.Command, ref, digest string) error {
	asJSON, err := f.jsonOutput()
	if err != nil {
		return err
	}
	if asJSON {
		return ociWriteJSON(cmd.OutOrStdout(), refDigest{ref, digest})
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), digest)
	return err
}
