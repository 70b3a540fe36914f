package deploy

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ErrNothingDeployed is returned by Undeploy when there is nothing of that
// name to remove.
var ErrNothingDeployed = errors.New("nothing deployed by wasmesh under that name")

// Undeploy removes what Apply and DeployLegacy created under name in
// namespace ns: the WasmPlugin, or the EnvoyFilter, the ConfigMap
// <name>-wasm and the pod template annotations (restored to their values
// before the first deploy). Objects wasmesh did not create are refused,
// before anything is removed; missing CRDs are skipped.
func (c *Client) Undeploy(ctx context.Context, ns, name string) ([]Result, error) {
	targets := []struct {
		gvr  schema.GroupVersionResource
		name string
	}{{WasmPluginGVR, name}, {EnvoyFilterGVR, name}, {ConfigMapGVR, name + "-wasm"}}
	var found []int
	for i, t := range targets {
		obj, err := c.dyn.Resource(t.gvr).Namespace(ns).Get(ctx, t.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, apiError("get", t.gvr, ns, t.name, err)
		case !isManaged(obj):
			return nil, fmt.Errorf("deploy: %s %s/%s is %w (no %s=%s label): remove it with kubectl",
				kindName(t.gvr), ns, t.name, errNotManaged, LabelManagedBy, ManagedByValue)
		}
		found = append(found, i)
	}
	deps, err := c.recordedDeployments(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 && len(deps) == 0 {
		return nil, fmt.Errorf("deploy: undeploy %s in namespace %s: %w", name, ns, ErrNothingDeployed)
	}
	var results []Result
	// The EnvoyFilter goes first, so no proxy looks for the module after
	// its volume is gone; then the pod templates, then the ConfigMap.
	remove := func(i int) error {
		t := targets[i]
		err := c.dyn.Resource(t.gvr).Namespace(ns).Delete(ctx, t.name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return apiError("delete", t.gvr, ns, t.name, err)
		}
		results = append(results, Result{Kind: kindName(t.gvr), Namespace: ns, Name: t.name, Action: "deleted"})
		return nil
	}
	for _, i := range found {
		if targets[i].gvr != ConfigMapGVR {
			if err := remove(i); err != nil {
				return results, err
			}
		}
	}
	for _, d := range deps {
		r, err := c.restoreDeployment(ctx, ns, d, name)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	for _, i := range found {
		if targets[i].gvr == ConfigMapGVR {
			if err := remove(i); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}
