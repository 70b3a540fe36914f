package deploy

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// errNotManaged is wrapped by the errors about objects wasmesh did not create.
var errNotManaged = errors.New("not managed by wasmesh")

// Client talks to one cluster with the dynamic client.
type Client struct {
	dyn dynamic.Interface
	// Namespace is the kubeconfig context's namespace ("default" when it
	// names none), for commands given no --namespace.
	Namespace string
	// Host is the API server's URL.
	Host string
}

// NewClient loads a kubeconfig the way kubectl does: the file given (else
// $KUBECONFIG, else ~/.kube/config, else the in-cluster config), with the
// named context (empty: the current one).
func NewClient(kubeconfig, kubeContext string) (*Client, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("deploy: kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("deploy: kubeconfig: %w", err)
	}
	return NewClientForConfig(cfg, ns)
}

// NewClientForConfig makes a client from a REST config.
func NewClientForConfig(cfg *rest.Config, namespace string) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "wasmesh"
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("deploy: kubernetes client: %w", err)
	}
	if namespace == "" {
		namespace = "default"
	}
	return &Client{dyn: dyn, Namespace: namespace, Host: cfg.Host}, nil
}

// Dynamic returns the underlying dynamic client.
func (c *Client) Dynamic() dynamic.Interface { return c.dyn }

// Result is what Apply or DeployLegacy did to one object.
type Result struct {
	// Kind and Name identify the object ("wasmplugin.extensions.istio.io",
	// "add-header").
	Kind, Namespace, Name string
	// Action is "created", "configured" or "unchanged", as kubectl says.
	Action string
	// Generation is the object's metadata.generation after the change.
	Generation int64
	// Object is the object as the API server returned it.
	Object *unstructured.Unstructured
}

// String renders the result the way kubectl apply does.
func (r Result) String() string { return r.Kind + "/" + r.Name + " " + r.Action }

// Apply writes obj with server-side apply (field manager "wasmesh",
// forced). An existing object of that name that wasmesh did not create
// is an error and is left unchanged.
func (c *Client) Apply(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) (Result, error) {
	ns, name := obj.GetNamespace(), obj.GetName()
	res := Result{Kind: kindName(gvr), Namespace: ns, Name: name}
	ri := c.dyn.Resource(gvr).Namespace(ns)
	before, err := ri.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		before = nil
	case err != nil:
		return res, apiError("get", gvr, ns, name, err)
	case !isManaged(before):
		return res, fmt.Errorf("deploy: %s %s/%s exists and is %w (no %s=%s label): choose another --name",
			res.Kind, ns, name, errNotManaged, LabelManagedBy, ManagedByValue)
	}
	after, err := ri.Apply(ctx, name, obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return res, apiError("apply", gvr, ns, name, err)
	}
	res.Object, res.Generation = after, after.GetGeneration()
	switch {
	case before == nil:
		res.Action = "created"
	case after.GetResourceVersion() == before.GetResourceVersion():
		res.Action = "unchanged"
	default:
		res.Action = "configured"
	}
	return res, nil
}

// isManaged reports whether wasmesh created obj.
func isManaged(obj *unstructured.Unstructured) bool {
	return obj.GetLabels()[LabelManagedBy] == ManagedByValue
}

// kindName is "wasmplugin.extensions.istio.io", kubectl's way.
func kindName(gvr schema.GroupVersionResource) string {
	r := gvr.Resource[:len(gvr.Resource)-1] // the resources here are regular plurals
	if gvr.Group == "" {
		return r
	}
	return r + "." + gvr.Group
}

// apiError wraps an API error, naming the object, and points at the
// missing CRD when the resource is unknown.
func apiError(verb string, gvr schema.GroupVersionResource, ns, name string, err error) error {
	what := kindName(gvr) + " " + ns + "/" + name
	var se *apierrors.StatusError
	if apierrors.IsNotFound(err) && errors.As(err, &se) && se.ErrStatus.Details != nil && se.ErrStatus.Details.Name == "" {
		return fmt.Errorf("deploy: %s %s: the API server does not serve %s (is Istio installed, with its CRDs?): %w", verb, what, gvr.GroupResource(), err)
	}
	return fmt.Errorf("deploy: %s %s: %w", verb, what, err)
}
