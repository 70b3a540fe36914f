package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmesh/wasmesh/oci"
)

func init() { commands = append(commands, newLoginCmd) }

func newLoginCmd() *cobra.Command {
	var f ociFlags
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login REGISTRY",
		Short: "Save credentials for a registry",
		Long: `Checks the user and password (or token) against REGISTRY and saves them as
"docker login" does: in $DOCKER_CONFIG/config.json (default
~/.docker/config.json) or the credential helper it names. push and pull,
Docker, and the docker-registry Secret Istio's imagePullSecret refers to
all read that file.`,
		Example: `  wasmesh login localhost:5000 -u admin -p admin
  echo "$GITHUB_TOKEN" | wasmesh login ghcr.io -u octocat --password-stdin
  wasmesh login registry.internal:5000 -u ci --password-stdin --plain-http < token.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.username == "" {
				return errors.New("login: give the user name with -u")
			}
			switch {
			case passwordStdin && f.password != "":
				return errors.New("login: -p and --password-stdin exclude each other")
			case passwordStdin:
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if line = strings.TrimRight(line, "\r\n"); line == "" && err != nil {
					return fmt.Errorf("login: read the password from stdin: %w", err)
				}
				f.password = line
			case f.password == "":
				return errors.New("login: give the password with -p or --password-stdin")
			default:
				fmt.Fprintln(cmd.ErrOrStderr(), "WARNING! Using -p on the command line is insecure; use --password-stdin.")
			}
			opts := oci.Options{PlainHTTP: f.plainHTTP, Insecure: f.insecure}
			if err := oci.Login(cmd.Context(), args[0], f.username, f.password, opts); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Login Succeeded")
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.username, "username", "u", "", "user name")
	cmd.Flags().StringVarP(&f.password, "password", "p", "", "password or token (prefer --password-stdin)")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	f.addRegistry(cmd)
	return cmd
}
