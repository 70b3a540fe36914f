package envoyconfig

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestTable checks that every table line names a real message, field and
// enum value, and that every message a supported field leads to has its own
// table entry, so nothing reachable is accepted by accident.
func TestTable(t *testing.T) {
	for _, m := range table {
		md := findMessage(t, m.name)
		if md == nil {
			continue
		}
		for _, f := range m.fields {
			fd := md.Fields().ByName(f.name)
			if fd == nil {
				t.Errorf("%s.%s: no such field", m.name, f.name)
				continue
			}
			vd := fd
			if fd.IsMap() {
				vd = fd.MapValue()
			}
			isAny := vd.Message() != nil && vd.Message().FullName() == "google.protobuf.Any"
			for _, v := range f.values {
				if vd.Enum() == nil || vd.Enum().Values().ByName(protoreflect.Name(v)) == nil {
					t.Errorf("%s.%s: no enum value %s", m.name, f.name, v)
				}
			}
			if (f.opaque || len(f.types) > 0) != isAny && f.kind == kindOK {
				t.Errorf("%s.%s: Any fields need extension, keyedBy or opaque, and only they", m.name, f.name)
			}
			for _, ty := range f.types {
				if _, err := types.FindMessageByName(ty); err != nil || index[ty] == nil {
					t.Errorf("%s.%s: type %s is not registered or has no table entry", m.name, f.name, ty)
				}
			}
			if f.kind == kindOK && vd.Message() != nil && !isAny && !isLeaf(vd.Message()) && index[vd.Message().FullName()] == nil {
				t.Errorf("%s.%s: its type %s has no table entry", m.name, f.name, vd.Message().FullName())
			}
			if f.doc == "" {
				t.Errorf("%s.%s: no doc", m.name, f.name)
			}
		}
	}
}

// findMessage looks a message up in the global registry.
func findMessage(t *testing.T, name protoreflect.FullName) protoreflect.MessageDescriptor {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return nil
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		t.Errorf("%s: not a message", name)
	}
	return md
}

// TestSupportedMarkdown checks that SUPPORTED.md is generated from the table.
func TestSupportedMarkdown(t *testing.T) {
	got := renderSupported()
	if *update {
		if err := os.WriteFile("SUPPORTED.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("SUPPORTED.md")
	if err != nil || string(want) != got {
		t.Errorf("SUPPORTED.md is out of date: run go test ./envoyconfig -run TestSupportedMarkdown -update")
	}
}

// renderSupported writes the table as Markdown.
func renderSupported() string {
	var b strings.Builder
	b.WriteString(`# Envoy config support in wasmesh

<!-- Generated from supported.go by: go test ./envoyconfig -run TestSupportedMarkdown -update. Do not edit. -->

` + "`wasmesh envoy -c envoy.yaml`" + ` runs Envoy v3 bootstrap configs. A config may set only the
fields listed here; any other set field is an error ("field not supported by wasmesh").
Fields marked *warning* are accepted, reported as "<path>: accepted and ignored" and
otherwise ignored. A message listed without fields is accepted only when empty.
Durations, wrappers (` + "`BoolValue`, `UInt32Value`" + `, ...) and ` + "`Struct`" + ` are taken whole.
A ` + "`typed_config`" + ` may also be written as a ` + "`udpa.type.v1.TypedStruct` or `xds.type.v3.TypedStruct`" + `.

`)
	for _, m := range table {
		fmt.Fprintf(&b, "## `%s`\n\n", m.name)
		if m.doc != "" {
			b.WriteString(m.doc + "\n\n")
		}
		if len(m.fields) == 0 {
			b.WriteString("Accepted only when empty.\n\n")
			continue
		}
		b.WriteString("| Field | Support | Notes |\n|---|---|---|\n")
		md, _ := protoregistry.GlobalFiles.FindDescriptorByName(m.name)
		for _, f := range m.fields {
			var fd protoreflect.FieldDescriptor
			if md, ok := md.(protoreflect.MessageDescriptor); ok {
				fd = md.Fields().ByName(f.name)
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.name, supportText(f, fd), f.doc)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// supportText describes how a field is supported.
func supportText(f field, fd protoreflect.FieldDescriptor) string {
	switch {
	case f.kind == kindWarn:
		return "*warning*: accepted and ignored"
	case f.kind == kindReject:
		return "rejected when set"
	case len(f.values) > 0:
		return "values " + strings.Join(f.values, ", ")
	case f.opaque:
		return "any value, handed to the plugin"
	case f.keyed:
		return "only the key and type " + links(f.types)
	case len(f.types) > 0:
		return "required, one of " + links(f.types)
	case f.check != nil:
		return "checked"
	}
	yes := "yes"
	if f.required {
		yes = "required"
	}
	if fd != nil && fd.IsMap() {
		fd = fd.MapValue()
	}
	if fd != nil && fd.Message() != nil && index[fd.Message().FullName()] != nil {
		return yes + ", " + links([]protoreflect.FullName{fd.Message().FullName()})
	}
	return yes
}

// links returns Markdown links to the sections of the named messages.
func links(names []protoreflect.FullName) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = fmt.Sprintf("[`%s`](#%s)", n, strings.ReplaceAll(strings.ToLower(string(n)), ".", ""))
	}
	return strings.Join(s, ", ")
}
