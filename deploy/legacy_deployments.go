package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
)

// templateChange edits pod template annotations given the plugin's
// record from an earlier deploy (nil: none) and returns the record to
// keep (nil: remove it).
type templateChange func(tmpl map[string]string, prev *legacyRecord) (*legacyRecord, error)

// patchDeployment changes the pod template annotations of a Deployment
// with get and update, retried on conflicts, and keeps the record of
// plugin on the Deployment itself (so the pods do not see it).
func (c *Client) patchDeployment(ctx context.Context, ns, name, plugin string, change templateChange) (Result, error) {
	res := Result{Kind: kindName(DeploymentGVR), Namespace: ns, Name: name}
	ri := c.dyn.Resource(DeploymentGVR).Namespace(ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		before := d.GetResourceVersion()
		tmpl, _, err := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "annotations")
		if err != nil {
			return fmt.Errorf("spec.template.metadata.annotations: %w", err)
		}
		if tmpl == nil {
			tmpl = map[string]string{}
		}
		meta := d.GetAnnotations()
		if meta == nil {
			meta = map[string]string{}
		}
		prev, err := decodeRecord(meta, plugin)
		if err != nil {
			return err
		}
		rec, err := change(tmpl, prev)
		if err != nil {
			return err
		}
		if rec == nil {
			delete(meta, recordKey(plugin))
		} else {
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			meta[recordKey(plugin)] = string(b)
		}
		if len(meta) == 0 {
			meta = nil
		}
		d.SetAnnotations(meta)
		if len(tmpl) == 0 {
			unstructured.RemoveNestedField(d.Object, "spec", "template", "metadata", "annotations")
		} else if err := unstructured.SetNestedStringMap(d.Object, tmpl, "spec", "template", "metadata", "annotations"); err != nil {
			return err
		}
		out, err := ri.Update(ctx, d, metav1.UpdateOptions{FieldManager: FieldManager})
		if err != nil {
			return err
		}
		res.Object, res.Generation, res.Action = out, out.GetGeneration(), "configured"
		if out.GetResourceVersion() == before {
			res.Action = "unchanged"
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("deploy: update %s %s/%s: %w", res.Kind, ns, name, err)
	}
	return res, nil
}

// restoreDeployment takes plugin's volume, mount and module annotations
// off a Deployment's pod template, restoring the values from before the
// first deploy, and drops the record.
func (c *Client) restoreDeployment(ctx context.Context, ns, name, plugin string) (Result, error) {
	res, err := c.patchDeployment(ctx, ns, name, plugin, func(tmpl map[string]string, prev *legacyRecord) (*legacyRecord, error) {
		return nil, restoreLegacyAnnotations(tmpl, plugin, prev)
	})
	if res.Action == "configured" {
		res.Action = "restored"
	}
	return res, err
}

// recordedDeployments lists the Deployments of a namespace that carry
// plugin's record: those an earlier deploy patched.
func (c *Client) recordedDeployments(ctx context.Context, ns, plugin string) ([]string, error) {
	list, err := c.dyn.Resource(DeploymentGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("deploy: list deployments in %s: %w", ns, err)
	}
	var out []string
	for _, d := range list.Items {
		if _, ok := d.GetAnnotations()[recordKey(plugin)]; ok {
			out = append(out, d.GetName())
		}
	}
	slices.Sort(out)
	return out, nil
}
