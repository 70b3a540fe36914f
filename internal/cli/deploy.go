package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wasmesh/wasmesh/deploy"
)

func init() { commands = append(commands, newDeployCmd, newUndeployCmd) }

func newDeployCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy a Wasm filter to a service mesh (Istio)",
		Long: `Deploys filters to Istio through the Kubernetes API: "deploy istio" writes a
WasmPlugin (or, with --legacy-envoyfilter, a ConfigMap, pod annotations and an
EnvoyFilter); "deploy list" shows what wasmesh deployed.`,
	}
	cmd.AddCommand(newDeployIstioCmd(), newDeployListCmd())
	return cmd
}

// kubeFlags are the cluster flags of deploy, undeploy and deploy list.
type kubeFlags struct {
	kubeconfig, context, namespace string
}

func (f *kubeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context (default: the current one)")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace (default: the context's, else default)")
}

func (f *kubeFlags) client() (*deploy.Client, string, error) {
	c, err := deploy.NewClient(f.kubeconfig, f.context)
	if err != nil {
		return nil, "", err
	}
	ns := f.namespace
	if ns == "" {
		ns = c.Namespace
	}
	return c, ns, nil
}

// deployIstioFlags are the flags of "deploy istio".
type deployIstioFlags struct {
	kube                                                  kubeFlags
	oci                                                   ociFlags
	name, config, rootID, phase, failStrategy, pullPolicy string
	pullSecret, pluginType, output                        string
	selectors, targetRefs, env                            []string
	priority                                              int32
	dryRun, noPin, legacy                                 bool
}

func newDeployIstioCmd() *cobra.Command {
	var f deployIstioFlags
	cmd := &cobra.Command{
		Use:   "istio REF|URL --name N",
		Short: "Create or update an Istio WasmPlugin (or the legacy EnvoyFilter set)",
		Long: `Creates or updates the extensions.istio.io/v1alpha1 WasmPlugin N with server-side
apply (field manager "wasmesh"): running it again with other flags converges
the object on them. REF|URL is oci://host/repo:tag, host/repo:tag (oci),
https://... or file:///path (a path inside the proxy container).

Unless --no-pin, an OCI tag is resolved to its manifest digest through the
registry and written as url oci://host/repo@sha256:<hex> plus sha256 <hex>
(Istio compares an oci sha256 with the manifest digest); an http(s) module is
downloaded and pinned by its SHA-256. The plugin name (root id) defaults to the
one in the image's runtime config. --dry-run prints the object without
contacting the cluster (the registry is still asked for the digest).

--legacy-envoyfilter, for meshes without WasmPlugin (Istio < 1.12): the module
(from the local store, the registry, a URL or a local file://) goes into the
ConfigMap N-wasm; the pod template of the Deployment (--target-ref
Deployment/name, or those whose pods --selector matches) gets the
sidecar.istio.io/userVolume and userVolumeMount annotations (merged with
existing values, which undeploy restores); and the EnvoyFilter N inserts
envoy.filters.http.wasm before the router, loading
/var/local/wasm/N/filter.wasm with the configuration as a string.`,
		Example: `  wasmesh deploy istio ghcr.io/acme/add-header:v1 --name add-header -n default \
      --selector app=httpbin --config '{"header":"x-hello","value":"world"}'
  wasmesh deploy istio oci://ghcr.io/acme/auth:2 --name auth -n istio-ingress \
      --target-ref Gateway/public --phase AUTHN --fail-strategy FAIL_CLOSE --pull-secret ghcr
  wasmesh deploy istio ghcr.io/acme/add-header:v1 --name add-header --dry-run -o yaml
  wasmesh deploy istio localhost:5000/add-header:v1 --name add-header --selector app=web \
      --legacy-envoyfilter --config world`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runDeployIstio(cmd, &f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "name of the WasmPlugin (or EnvoyFilter) (required)")
	fl.StringSliceVar(&f.selectors, "selector", nil, "workload label k=v (repeatable, or comma-separated)")
	fl.StringArrayVar(&f.targetRefs, "target-ref", nil, "Kind/name: Gateway, GatewayClass, Service, ServiceEntry (Deployment with --legacy-envoyfilter)")
	fl.StringVar(&f.config, "config", "", "plugin configuration: JSON object, or @file (JSON or YAML)")
	fl.StringVar(&f.rootID, "root-id", "", "pluginName / root_id (default: from the image's runtime config)")
	fl.StringVar(&f.phase, "phase", "", "AUTHN, AUTHZ or STATS (default: just before the router)")
	fl.Int32Var(&f.priority, "priority", 0, "order within the phase, higher first")
	fl.StringVar(&f.failStrategy, "fail-strategy", "", "FAIL_CLOSE (Istio's default), FAIL_OPEN or FAIL_RELOAD")
	fl.StringVar(&f.pullPolicy, "pull-policy", "", "IfNotPresent or Always")
	fl.StringVar(&f.pullSecret, "pull-secret", "", "docker-registry Secret in the namespace for the proxies' pull")
	fl.StringVar(&f.pluginType, "type", "", "HTTP or NETWORK")
	fl.StringArrayVar(&f.env, "env", nil, "VM environment variable K=V, or K to pass the proxy's own (repeatable)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the object(s) instead of writing them")
	fl.StringVarP(&f.output, "output", "o", "", `print the object(s): yaml or json (default with --dry-run: yaml)`)
	fl.BoolVar(&f.noPin, "no-pin", false, "write the reference as given, without resolving its digest")
	fl.BoolVar(&f.legacy, "legacy-envoyfilter", false, "ConfigMap + pod annotations + EnvoyFilter instead of a WasmPlugin")
	f.kube.add(cmd)
	f.oci.addStore(cmd)
	f.oci.addRegistry(cmd)
	f.oci.addCredentials(cmd)
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// plugin turns the flags into a deploy.Plugin.
func (f *deployIstioFlags) plugin(cmd *cobra.Command, ref, namespace string) (*deploy.Plugin, error) {
	src, err := deploy.ParseSource(ref)
	if err != nil {
		return nil, err
	}
	p := &deploy.Plugin{Name: f.name, Namespace: namespace, Source: src, RootID: f.rootID, Phase: f.phase,
		FailStrategy: f.failStrategy, PullPolicy: f.pullPolicy, PullSecret: f.pullSecret, Type: f.pluginType, NoPin: f.noPin}
	if cmd.Flags().Changed("priority") {
		p.Priority = &f.priority
	}
	for _, s := range f.selectors {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("deploy: --selector %q: want key=value", s)
		}
		if p.Selector == nil {
			p.Selector = map[string]string{}
		}
		p.Selector[k] = v
	}
	for _, s := range f.targetRefs {
		t, err := deploy.ParseTargetRef(s)
		if err != nil {
			return nil, err
		}
		p.TargetRefs = append(p.TargetRefs, t)
	}
	for _, s := range f.env {
		k, v, ok := strings.Cut(s, "=")
		p.Env = append(p.Env, deploy.EnvVar{Name: k, Value: v, FromHost: !ok})
	}
	if err := f.parseConfig(cmd.InOrStdin(), p); err != nil {
		return nil, err
	}
	return p, nil
}

// parseConfig reads --config: the raw text for the legacy path, and a
// JSON (or YAML) object for pluginConfig.
func (f *deployIstioFlags) parseConfig(stdin io.Reader, p *deploy.Plugin) error {
	raw := []byte(f.config)
	if rest, ok := strings.CutPrefix(f.config, "@"); ok {
		var err error
		if rest == "-" {
			raw, err = io.ReadAll(stdin)
		} else {
			raw, err = os.ReadFile(rest)
		}
		if err != nil {
			return fmt.Errorf("deploy: --config: %w", err)
		}
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil
	}
	p.ConfigRaw = raw
	js, err := yaml.YAMLToJSON(raw)
	var obj map[string]any
	if err == nil {
		err = json.Unmarshal(js, &obj)
	}
	if err != nil || obj == nil {
		if f.legacy {
			return nil // any string goes to a StringValue
		}
		return errors.New("deploy: --config: pluginConfig must be a JSON object, like '{\"header\":\"x-a\"}'")
	}
	if f.legacy {
		p.ConfigRaw, _ = json.Marshal(obj) // JSON, also when given as YAML
	}
	p.Config = obj
	return nil
}

// printObjects writes objects as yaml or json.
func printObjects(w io.Writer, format string, objs ...*unstructured.Unstructured) error {
	switch format {
	case "yaml":
		b, err := deploy.YAML(objs...)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "json":
		for _, o := range objs {
			if err := ociWriteJSON(w, deploy.Clean(o).Object); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("deploy: -o %q: want yaml or json", format)
}
