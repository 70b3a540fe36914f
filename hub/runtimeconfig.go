package hub

import (
	"encoding/json"
	"slices"
	"strings"
)

// runtimeConfig is module.wasm.config.Runtime, whatever its spelling.
type runtimeConfig struct {
	typ          string
	abi, rootIDs []string
}

// parseRuntimeConfig reads {"type", "abiVersions", "config": {"rootIds"}},
// accepting abi_versions, abi_version and root_ids (docs/ecosystem.md §2.1),
// and root IDs at the top level too. It returns nil for anything that is not
// a JSON object.
func parseRuntimeConfig(b []byte) *runtimeConfig {
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) != nil || raw == nil {
		return nil
	}
	rc := &runtimeConfig{}
	_ = json.Unmarshal(raw["type"], &rc.typ)
	for _, k := range []string{"abiVersions", "abi_versions", "abi_version", "abiVersion"} {
		rc.abi = appendUnique(rc.abi, strList(raw[k])...)
	}
	rootKeys := []string{"rootIds", "root_ids", "rootId", "root_id"}
	var inner map[string]json.RawMessage
	if json.Unmarshal(raw["config"], &inner) == nil {
		for _, k := range rootKeys {
			rc.rootIDs = appendUnique(rc.rootIDs, strList(inner[k])...)
		}
	}
	for _, k := range rootKeys {
		rc.rootIDs = appendUnique(rc.rootIDs, strList(raw[k])...)
	}
	return rc
}

// strList reads a JSON string or array of strings.
func strList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return splitList(one)
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// splitList splits a comma-separated annotation value.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// appendUnique appends the non-empty values not in list yet.
func appendUnique(list []string, vals ...string) []string {
	for _, v := range vals {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
