package oci

import (
	"encoding/json"
	"strings"
)

// RuntimeConfig is runtime-config.json, the solo-io Wasm image config:
//
//	{"type":"envoy_proxy","abiVersions":["0.2.1"],"config":{"rootIds":["my_root"]}}
//
// It is written in that camelCase form. Reading also accepts the spellings
// found in the wild: abi_versions (the proto field name), abi_version (a
// string, comma-separated; the spec's example) and root_ids, the latter
// also at the top level.
type RuntimeConfig struct {
	Type        string   // target runtime, "envoy_proxy" for Envoy
	ABIVersions []string // Proxy-Wasm ABI versions the module implements
	RootIDs     []string // root context IDs the module registers
}

// runtimeConfigOut is the canonical encoding.
type runtimeConfigOut struct {
	Type        string            `json:"type,omitempty"`
	ABIVersions []string          `json:"abiVersions,omitempty"`
	Config      *runtimeConfigEnv `json:"config,omitempty"`
}

type runtimeConfigEnv struct {
	RootIDs []string `json:"rootIds,omitempty"`
}

// MarshalJSON writes the canonical camelCase form.
func (c RuntimeConfig) MarshalJSON() ([]byte, error) {
	out := runtimeConfigOut{Type: c.Type, ABIVersions: c.ABIVersions}
	if len(c.RootIDs) > 0 {
		out.Config = &runtimeConfigEnv{RootIDs: c.RootIDs}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads any of the spellings listed on RuntimeConfig.
func (c *RuntimeConfig) UnmarshalJSON(data []byte) error {
	var in struct {
		Type             string   `json:"type"`
		ABIVersions      []string `json:"abiVersions"`
		ABIVersionsSnake []string `json:"abi_versions"`
		ABIVersion       string   `json:"abi_version"`
		RootIDs          []string `json:"rootIds"`
		RootIDsSnake     []string `json:"root_ids"`
		Config           *struct {
			RootIDs      []string `json:"rootIds"`
			RootIDsSnake []string `json:"root_ids"`
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*c = RuntimeConfig{Type: in.Type}
	c.ABIVersions = firstNonEmpty(in.ABIVersions, in.ABIVersionsSnake, splitList(in.ABIVersion))
	var nested []string
	if in.Config != nil {
		nested = firstNonEmpty(in.Config.RootIDs, in.Config.RootIDsSnake)
	}
	c.RootIDs = firstNonEmpty(nested, in.RootIDs, in.RootIDsSnake)
	return nil
}

// ParseRuntimeConfig decodes runtime-config.json.
func ParseRuntimeConfig(data []byte) (*RuntimeConfig, error) {
	var c RuntimeConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, errorf("runtime config: %w", err)
	}
	return &c, nil
}

func firstNonEmpty(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
