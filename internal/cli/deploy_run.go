package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wasmesh/wasmesh/deploy"
	"github.com/wasmesh/wasmesh/oci"
)

func runDeployIstio(cmd *cobra.Command, f *deployIstioFlags, ref string) error {
	if f.output != "" && f.output != "yaml" && f.output != "json" {
		return fmt.Errorf("deploy: -o %q: want yaml or json", f.output)
	}
	ctx := cmd.Context()
	var client *deploy.Client
	ns := f.kube.namespace
	if !f.dryRun {
		var err error
		if client, ns, err = f.kube.client(); err != nil {
			return err
		}
	} else if ns == "" {
		ns = kubeconfigNamespace(f.kube)
	}
	p, err := f.plugin(cmd, ref, ns)
	if err != nil {
		return err
	}
	validate := p.ValidateWasmPlugin
	if f.legacy {
		validate = p.ValidateLegacy
	}
	if err := validate(); err != nil {
		return err
	}
	r := &deploy.Resolver{Registry: oci.Options{PlainHTTP: f.oci.plainHTTP, Insecure: f.oci.insecure}, Store: existingStore(f.oci.storeDir)}
	if f.oci.username != "" || f.oci.password != "" {
		r.Registry.Auth = &authn.Basic{Username: f.oci.username, Password: f.oci.password}
	}
	if f.legacy {
		return runDeployLegacy(cmd, f, client, r, p)
	}
	res, err := r.Resolve(ctx, p)
	if err != nil {
		return err
	}
	if res.SHA256 != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "resolved %s to sha256:%s\n", p.Source.Raw, res.SHA256)
	}
	rootID, err := deploy.PickRootID(p.RootID, res.RootIDs)
	if err != nil {
		return err
	}
	obj, err := deploy.WasmPlugin(p, res, rootID)
	if err != nil {
		return err
	}
	if f.dryRun {
		return printObjects(cmd.OutOrStdout(), cmp(f.output, "yaml"), obj)
	}
	result, err := client.Apply(ctx, deploy.WasmPluginGVR, obj)
	if err != nil {
		return err
	}
	if f.output != "" {
		return printObjects(cmd.OutOrStdout(), f.output, result.Object)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s (namespace %s, generation %d)\n  url: %s\n", result, p.Namespace, result.Generation, res.URL)
	if res.SHA256 != "" {
		fmt.Fprintf(w, "  sha256: %s\n", res.SHA256)
	}
	if rootID != "" {
		fmt.Fprintf(w, "  pluginName: %s\n", rootID)
	}
	return nil
}

func runDeployLegacy(cmd *cobra.Command, f *deployIstioFlags, client *deploy.Client, r *deploy.Resolver, p *deploy.Plugin) error {
	mod, err := r.FetchModule(cmd.Context(), p.Source)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "module from %s: %d bytes, sha256:%s\n", mod.Origin, len(mod.Wasm), mod.SHA256)
	rootID, err := deploy.PickRootID(p.RootID, mod.RootIDs)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.dryRun {
		if len(p.Selector) == 0 {
			return fmt.Errorf("deploy: --dry-run with --legacy-envoyfilter needs --selector (the EnvoyFilter's workload selector)")
		}
		cm, err := deploy.LegacyConfigMap(p, mod)
		if err != nil {
			return err
		}
		ef := deploy.LegacyEnvoyFilter(p, mod, rootID, p.Selector, nil)
		format := cmp(f.output, "yaml")
		if format == "yaml" {
			ann, err := deploy.PodAnnotations(p.Name, mod.SHA256)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, "# pod template annotations of the selected Deployments (merged with theirs):")
			for _, k := range slices.Sorted(maps.Keys(ann)) {
				fmt.Fprintf(w, "#   %s: '%s'\n", k, ann[k])
			}
		}
		return printObjects(w, format, cm, ef)
	}
	results, err := client.DeployLegacy(cmd.Context(), p, mod, rootID)
	for _, res := range results {
		if f.output == "" {
			fmt.Fprintln(w, res)
		}
	}
	if err != nil {
		return err
	}
	if f.output != "" {
		objs := make([]*unstructured.Unstructured, 0, len(results))
		for _, res := range results {
			objs = append(objs, res.Object)
		}
		return printObjects(w, f.output, objs...)
	}
	fmt.Fprintf(w, "  module: sha256:%s at %s\n", mod.SHA256, deploy.LegacyFilename(p.Name))
	return nil
}

// existingStore opens the local store if there is one (deploy never
// creates it).
func existingStore(dir string) *oci.Store {
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return nil
	}
	s, err := oci.OpenStore(dir)
	if err != nil {
		return nil
	}
	return s
}

// kubeconfigNamespace is the kubeconfig context's namespace, else
// "default"; it reads the file only.
func kubeconfigNamespace(f kubeFlags) string {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context})
	if ns, _, err := cc.Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}

// cmp returns s, or def when s is empty.
func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
