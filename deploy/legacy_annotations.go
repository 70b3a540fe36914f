package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The pod annotations Istio's injector reads to add volumes and mounts to
// the istio-proxy container: JSON lists of volumes and volume mounts (the
// injection template also accepts a map from volume name to the rest).
const (
	AnnotationUserVolume      = "sidecar.istio.io/userVolume"
	AnnotationUserVolumeMount = "sidecar.istio.io/userVolumeMount"
)

// legacyRecord is stored on a patched Deployment (annotation
// wasmesh.io/original-<name>): the pod template's annotation values
// before wasmesh touched them (nil: absent) and what wasmesh wrote.
// Undeploy restores an original exactly when the value is still the
// one wasmesh wrote; when something else changed it since, only
// wasmesh's entry is taken out.
type legacyRecord struct {
	Original map[string]*string `json:"original"`
	Applied  map[string]string  `json:"applied"`
}

func recordKey(name string) string { return annotationRecordPfx + name }
func moduleKey(name string) string { return annotationModulePfx + name }

// LegacyMountDir is where the module's ConfigMap is mounted in the proxy.
func LegacyMountDir(name string) string { return "/var/local/wasm/" + name }

// LegacyFilename is the module's path in the proxy container.
func LegacyFilename(name string) string { return LegacyMountDir(name) + "/filter.wasm" }

func legacyVolumeName(name string) string { return "wasm-" + name }

// legacyEntries are the volume and the mount wasmesh adds for plugin name.
func legacyEntries(name string) map[string]map[string]any {
	return map[string]map[string]any{
		AnnotationUserVolume: {"name": legacyVolumeName(name), "configMap": map[string]any{"name": name + "-wasm"}},
		AnnotationUserVolumeMount: {"name": legacyVolumeName(name), "mountPath": LegacyMountDir(name),
			"readOnly": true},
	}
}

// PodAnnotations are the pod template annotations the legacy path sets on
// a workload that has none of its own: the volume, the mount and the
// module's SHA-256 (a new module changes the template, so pods restart
// and the proxies read it).
func PodAnnotations(name, sha string) (map[string]string, error) {
	out := map[string]string{moduleKey(name): sha}
	for key, entry := range legacyEntries(name) {
		v, err := mergeNamed("", entry)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

// applyLegacyAnnotations merges the plugin's entries into the template
// annotations tmpl and returns the record to keep on the Deployment.
// prev is the record of an earlier deploy of the same plugin: its
// originals are kept.
func applyLegacyAnnotations(tmpl map[string]string, name, sha string, prev *legacyRecord) (*legacyRecord, error) {
	rec := &legacyRecord{Original: map[string]*string{}, Applied: map[string]string{}}
	for key, entry := range legacyEntries(name) {
		cur, had := tmpl[key]
		switch {
		case prev != nil:
			rec.Original[key] = prev.Original[key]
		case had:
			rec.Original[key] = &cur
		default:
			rec.Original[key] = nil
		}
		merged, err := mergeNamed(cur, entry)
		if err != nil {
			return nil, fmt.Errorf("deploy: pod template annotation %s: %w", key, err)
		}
		tmpl[key] = merged
		rec.Applied[key] = merged
	}
	tmpl[moduleKey(name)] = sha
	return rec, nil
}

// restoreLegacyAnnotations undoes applyLegacyAnnotations on tmpl.
func restoreLegacyAnnotations(tmpl map[string]string, name string, rec *legacyRecord) error {
	delete(tmpl, moduleKey(name))
	for _, key := range []string{AnnotationUserVolume, AnnotationUserVolumeMount} {
		cur, has := tmpl[key]
		if has && rec != nil && cur == rec.Applied[key] {
			if orig := rec.Original[key]; orig != nil {
				tmpl[key] = *orig
			} else {
				delete(tmpl, key)
			}
			continue
		}
		if !has {
			continue
		}
		rest, empty, err := removeNamed(cur, legacyVolumeName(name))
		if err != nil {
			return fmt.Errorf("deploy: pod template annotation %s: %w", key, err)
		}
		if empty && (rec == nil || rec.Original[key] == nil) {
			delete(tmpl, key)
		} else {
			tmpl[key] = rest
		}
	}
	return nil
}

// mergeNamed adds entry (which has a "name") to the JSON list or map cur
// ("" for none), replacing an entry of the same name; the result is a
// list unless cur was a map.
func mergeNamed(cur string, entry map[string]any) (string, error) {
	n := entry["name"].(string)
	if strings.TrimSpace(cur) == "" {
		return marshalCompact([]any{entry})
	}
	list, obj, err := parseNamed(cur)
	if err != nil {
		return "", err
	}
	if obj != nil {
		rest := maps.Clone(entry)
		delete(rest, "name")
		obj[n] = rest
		return marshalCompact(obj)
	}
	i := slices.IndexFunc(list, func(e any) bool { return entryName(e) == n })
	if i >= 0 {
		list[i] = entry
	} else {
		list = append(list, entry)
	}
	return marshalCompact(list)
}

// removeNamed takes the entry named n out of the JSON list or map cur; empty
// reports that nothing is left.
func removeNamed(cur, n string) (rest string, empty bool, err error) {
	list, obj, err := parseNamed(cur)
	if err != nil {
		return "", false, err
	}
	if obj != nil {
		delete(obj, n)
		rest, err = marshalCompact(obj)
		return rest, len(obj) == 0, err
	}
	list = slices.DeleteFunc(list, func(e any) bool { return entryName(e) == n })
	rest, err = marshalCompact(list)
	return rest, len(list) == 0, err
}

func parseNamed(s string) (list []any, obj map[string]any, err error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, nil, fmt.Errorf("not JSON: %w", err)
	}
	switch v := v.(type) {
	case []any:
		return v, nil, nil
	case map[string]any:
		return nil, v, nil
	}
	return nil, nil, fmt.Errorf("want a JSON list or object, found %s", s)
}

func entryName(e any) string {
	m, _ := e.(map[string]any)
	n, _ := m["name"].(string)
	return n
}

func marshalCompact(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
