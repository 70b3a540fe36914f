// Package envoyconfig loads Envoy v3 bootstrap configs for wasmesh: it parses
// YAML or JSON, rewrites TypedStruct wrappers, resolves every typed_config,
// runs Envoy's generated validators and checks each set field against the
// table of what wasmesh implements (see SUPPORTED.md).
//
// Parse works in three stages, each stopping at its own errors:
//
//  1. YAML (or JSON) into a JSON tree, then into the proto with protojson.
//     Unknown fields and "@type"s naming a type this package does not
//     register are errors, reported all at once.
//  2. The generated protoc-gen-validate rules (ValidateAll), on the Bootstrap
//     and on the content of every typed_config.
//  3. The support table: every set field not listed is an error; all of them
//     are reported, one *Error per line (see Errors). Fields accepted with a
//     warning end up in Config.Warnings.
//
// A typed_config written as a udpa.type.v1.TypedStruct or xds.type.v3.TypedStruct
// is rewritten into a plain Any of its type_url whose fields are its value, as
// Envoy does. PluginConfig.configuration and VmConfig.configuration are not
// rewritten: Envoy hands them to the plugin as they are.
//
// In a returned Config, every typed_config is an Any with the type URL
// "type.googleapis.com/<full name>" of a supported type, so the unmarshal
// helpers (HCM, TCPProxy, HTTPWasm, ...) cannot fail on it.
package envoyconfig

import (
	"fmt"
	"os"
	"slices"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Config is a loaded, validated bootstrap whose every typed_config is a
// resolved Any of a known type.
type Config struct {
	// Bootstrap is the parsed config.
	Bootstrap *bootstrapv3.Bootstrap
	// Source is the file name, or "--config-yaml".
	Source string
	// Warnings lists the fields accepted but ignored, each as
	// "<path>: accepted and ignored".
	Warnings []string
}

// Load reads the file at path and parses it with Parse, using path as the
// source name.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("envoyconfig: %w", err)
	}
	return Parse(data, path)
}

// Parse parses, validates and checks a bootstrap config. data is JSON when
// its first non-blank byte is '{', YAML otherwise. source names the config in
// errors ("envoy.yaml", "--config-yaml"). Every error is an *Error or several
// joined (see Errors).
func Parse(data []byte, source string) (*Config, error) {
	doc, err := decodeDocument(data, source)
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{}
	js, lines, err := transcode(doc, b.ProtoReflect().Descriptor(), source)
	if err != nil {
		return nil, err
	}
	if err := (protojson.UnmarshalOptions{Resolver: types}).Unmarshal(js, b); err != nil {
		return nil, protojsonError(err, source, lines)
	}
	return check(b, source)
}

// Merge applies overlay (from --config-yaml) on top of base (from the config
// file) as Envoy does: a proto MergeFrom of overlay into a copy of base, so
// scalars are replaced, messages merged and lists appended. The result is
// validated and checked again, with the source "<base> + <overlay>". When
// either is nil, Merge returns the other one unchanged.
func Merge(base, overlay *Config) (*Config, error) {
	switch {
	case overlay == nil:
		return base, nil
	case base == nil:
		return overlay, nil
	}
	b := proto.Clone(base.Bootstrap).(*bootstrapv3.Bootstrap)
	proto.Merge(b, overlay.Bootstrap)
	return check(b, base.Source+" + "+overlay.Source)
}

// check validates b and checks it against the support table.
func check(b *bootstrapv3.Bootstrap, source string) (*Config, error) {
	invalid := &errorList{source: source}
	validate(b, "", invalid)
	if err := invalid.err(); err != nil {
		return nil, err
	}
	c := newChecker(source)
	c.message(b.ProtoReflect(), "")
	if err := c.invalid.err(); err != nil {
		return nil, err
	}
	if err := c.errs.err(); err != nil {
		return nil, err
	}
	return &Config{Bootstrap: b, Source: source, Warnings: slices.Clip(c.warnings)}, nil
}
