package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and annotations wasmesh puts on what it creates.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue      = "wasmesh"
	AnnotationSource    = "wasmesh.io/source"
	AnnotationSHA256    = "wasmesh.io/sha256"
	AnnotationPatched   = "wasmesh.io/patched-deployments"
	FieldManager        = "wasmesh"
	annotationRecordPfx = "wasmesh.io/original-"
	annotationModulePfx = "wasmesh.io/module-"
)

// The resources deploy writes.
var (
	WasmPluginGVR  = schema.GroupVersionResource{Group: "extensions.istio.io", Version: "v1alpha1", Resource: "wasmplugins"}
	EnvoyFilterGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "envoyfilters"}
	ConfigMapGVR   = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	DeploymentGVR  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// Plugin is one filter deployment, as the flags of `wasmesh deploy istio`
// describe it.
type Plugin struct {
	Name, Namespace string
	// Source is the module: see ParseSource.
	Source Source
	// Selector is the workload selector (matchLabels); empty with no
	// TargetRefs means the whole namespace.
	Selector map[string]string
	// TargetRefs target Gateways, GatewayClasses, Services or
	// ServiceEntries instead of a selector (or, for the legacy path, a
	// Deployment).
	TargetRefs []TargetRef
	// Config is pluginConfig, a JSON object; nil for none.
	Config map[string]any
	// ConfigRaw is the configuration as given, which the legacy path
	// passes to the filter as a StringValue (any text).
	ConfigRaw []byte
	// RootID is pluginName (Envoy's root_id); empty: from the image.
	RootID string
	// Phase, FailStrategy, PullPolicy, PullSecret and Type are the
	// WasmPlugin fields of the same names; empty leaves them unset.
	Phase, FailStrategy, PullPolicy, PullSecret, Type string
	// Priority is set when not nil.
	Priority *int32
	// Env are vmConfig.env entries.
	Env []EnvVar
	// NoPin writes the reference as given instead of its digest.
	NoPin bool
}

// TargetRef is a targetRefs entry: Kind/name, the group from the kind.
type TargetRef struct{ Group, Kind, Name string }

// EnvVar is a vmConfig.env entry; FromHost takes the value from the
// proxy's environment (valueFrom HOST) instead of Value.
type EnvVar struct {
	Name, Value string
	FromHost    bool
}

// targetGroups are the kinds a WasmPlugin targets (ecosystem.md §4.1) and,
// for the legacy path, Deployment.
var targetGroups = map[string]string{
	"Gateway":      "gateway.networking.k8s.io",
	"GatewayClass": "gateway.networking.k8s.io",
	"Service":      "",
	"ServiceEntry": "networking.istio.io",
	"Deployment":   "apps",
}

// ParseTargetRef parses "Kind/name".
func ParseTargetRef(s string) (TargetRef, error) {
	kind, n, ok := strings.Cut(s, "/")
	group, known := targetGroups[kind]
	if !ok || n == "" || !known {
		return TargetRef{}, fmt.Errorf("deploy: --target-ref %q: want Kind/name, Kind one of Gateway, GatewayClass, Service, ServiceEntry (Deployment with --legacy-envoyfilter)", s)
	}
	return TargetRef{Group: group, Kind: kind, Name: n}, nil
}

var (
	phases         = []string{"AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"}
	failStrategies = []string{"FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"}
	pullPolicies   = []string{"IfNotPresent", "Always"}
	pluginTypes    = []string{"HTTP", "NETWORK"}
	cIdentifier    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate checks what the CRD would refuse, naming the flag.
func (p *Plugin) Validate() error {
	if errs := validation.IsDNS1123Subdomain(p.Name); len(errs) > 0 {
		return fmt.Errorf("deploy: --name %q: %s", p.Name, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(p.Namespace); len(errs) > 0 {
		return fmt.Errorf("deploy: --namespace %q: %s", p.Namespace, strings.Join(errs, "; "))
	}
	for _, c := range []struct {
		flag, v string
		allowed []string
	}{
		{"--phase", p.Phase, phases}, {"--fail-strategy", p.FailStrategy, failStrategies},
		{"--pull-policy", p.PullPolicy, pullPolicies}, {"--type", p.Type, pluginTypes},
	} {
		if c.v != "" && !slices.Contains(c.allowed, c.v) {
			return fmt.Errorf("deploy: %s %q: want one of %s", c.flag, c.v, strings.Join(c.allowed, ", "))
		}
	}
	if len(p.Selector) > 0 && len(p.TargetRefs) > 0 {
		return fmt.Errorf("deploy: --selector and --target-ref are mutually exclusive")
	}
	if len(p.TargetRefs) > 16 {
		return fmt.Errorf("deploy: --target-ref: at most 16, got %d", len(p.TargetRefs))
	}
	for k, v := range p.Selector {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("deploy: --selector key %q: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return fmt.Errorf("deploy: --selector %s=%q: %s", k, v, strings.Join(errs, "; "))
		}
	}
	if len(p.RootID) > 256 {
		return fmt.Errorf("deploy: --root-id: at most 256 characters")
	}
	if p.PullSecret != "" && len(p.PullSecret) > 253 {
		return fmt.Errorf("deploy: --pull-secret: at most 253 characters")
	}
	seen := map[string]bool{}
	for _, e := range p.Env {
		switch {
		case !cIdentifier.MatchString(e.Name) || len(e.Name) > 256:
			return fmt.Errorf("deploy: --env %q: the name must be a C identifier", e.Name)
		case seen[e.Name]:
			return fmt.Errorf("deploy: --env %q given twice", e.Name)
		case len(e.Value) > 2048:
			return fmt.Errorf("deploy: --env %s: the value is over 2048 characters", e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}

// ValidateWasmPlugin is Validate plus what only a WasmPlugin refuses: a
// Deployment target (those are for the legacy path).
func (p *Plugin) ValidateWasmPlugin() error {
	if err := p.Validate(); err != nil {
		return err
	}
	for _, t := range p.TargetRefs {
		if t.Kind == "Deployment" {
			return fmt.Errorf("deploy: --target-ref Deployment/%s: a WasmPlugin selects pods with --selector (Deployment targets are for --legacy-envoyfilter)", t.Name)
		}
	}
	return nil
}

// PickRootID returns the explicit root id, else the image's only one.
// An image registering several root ids needs --root-id.
func PickRootID(explicit string, fromImage []string) (string, error) {
	switch {
	case explicit != "":
		return explicit, nil
	case len(fromImage) == 1:
		return fromImage[0], nil
	case len(fromImage) > 1:
		return "", fmt.Errorf("deploy: the image registers root ids %s: choose one with --root-id", strings.Join(fromImage, ", "))
	}
	return "", nil
}

// WasmPlugin builds the WasmPlugin for p, with the url and sha256 of res
// and the given plugin name (root id; empty leaves pluginName unset).
func WasmPlugin(p *Plugin, res Resolved, rootID string) (*unstructured.Unstructured, error) {
	if err := p.ValidateWasmPlugin(); err != nil {
		return nil, err
	}
	spec := map[string]any{"url": res.URL}
	if res.SHA256 != "" {
		spec["sha256"] = res.SHA256
	}
	if rootID != "" {
		spec["pluginName"] = rootID
	}
	if len(p.Selector) > 0 {
		spec["selector"] = map[string]any{"matchLabels": stringMap(p.Selector)}
	}
	if len(p.TargetRefs) > 0 {
		refs := make([]any, len(p.TargetRefs))
		for i, t := range p.TargetRefs {
			refs[i] = map[string]any{"group": t.Group, "kind": t.Kind, "name": t.Name}
		}
		spec["targetRefs"] = refs
	}
	if p.Config != nil {
		cfg, err := jsonCopy(p.Config)
		if err != nil {
			return nil, fmt.Errorf("deploy: --config: %w", err)
		}
		spec["pluginConfig"] = cfg
	}
	set := func(field, v string) {
		if v != "" {
			spec[field] = v
		}
	}
	set("phase", p.Phase)
	set("failStrategy", p.FailStrategy)
	set("imagePullPolicy", p.PullPolicy)
	set("imagePullSecret", p.PullSecret)
	set("type", p.Type)
	if p.Priority != nil {
		spec["priority"] = int64(*p.Priority)
	}
	if len(p.Env) > 0 {
		env := make([]any, len(p.Env))
		for i, e := range p.Env {
			if e.FromHost {
				env[i] = map[string]any{"name": e.Name, "valueFrom": "HOST"}
			} else {
				env[i] = map[string]any{"name": e.Name, "valueFrom": "INLINE", "value": e.Value}
			}
		}
		spec["vmConfig"] = map[string]any{"env": env}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "extensions.istio.io/v1alpha1",
		"kind":       "WasmPlugin",
		"metadata":   managedMeta(p.Name, p.Namespace, p.Source.Raw, res.SHA256),
		"spec":       spec,
	}}
	return u, nil
}

// managedMeta is the metadata of an object wasmesh owns.
func managedMeta(name, namespace, source, sha string) map[string]any {
	ann := map[string]any{AnnotationSource: source}
	if sha != "" {
		ann[AnnotationSHA256] = sha
	}
	return map[string]any{
		"name":        name,
		"namespace":   namespace,
		"labels":      map[string]any{LabelManagedBy: ManagedByValue},
		"annotations": ann,
	}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// jsonCopy turns v into the JSON types unstructured objects hold (numbers
// become int64 or float64).
func jsonCopy(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := utiljson.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
