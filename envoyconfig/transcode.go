package envoyconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"sigs.k8s.io/yaml"
)

// decodeDocument reads a YAML or JSON document into a tree of
// map[string]any, []any, string, json.Number, bool and nil. The input is JSON
// when its first non-blank byte is '{'.
func decodeDocument(data []byte, source string) (map[string]any, error) {
	js := data
	isJSON := bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
	if !isJSON {
		var err error
		if js, err = yaml.YAMLToJSON(data); err != nil {
			return nil, &Error{Source: source, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "), cause: err}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var doc any
	err := dec.Decode(&doc)
	if err == nil && dec.Decode(new(any)) != io.EOF {
		err = fmt.Errorf("unexpected data after the top-level object")
	}
	if err != nil {
		msg := "invalid JSON: " + err.Error()
		if se, ok := err.(*json.SyntaxError); ok && isJSON {
			line, col := lineCol(js, se.Offset)
			msg = fmt.Sprintf("invalid JSON at line %d:%d: %v", line, col, err)
		}
		return nil, &Error{Source: source, Msg: msg, cause: err}
	}
	switch d := doc.(type) {
	case nil:
		return map[string]any{}, nil // an empty document is an empty bootstrap
	case map[string]any:
		return d, nil
	default:
		return nil, &Error{Source: source, Msg: "the config must be a mapping of bootstrap fields"}
	}
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// transcoder writes the document as the JSON protojson reads, one member or
// element per line, and records the field path of every line so that
// protojson's "(line N:C)" errors can name a path. On the way it checks
// field names against the schema, checks every "@type" against the types
// registry and rewrites TypedStruct wrappers (see any).
type transcoder struct {
	errs  *errorList
	buf   bytes.Buffer
	lines []string // lines[i] is the path of line i+1
}

// transcode returns the JSON for doc, a Bootstrap, and the path of each line.
func transcode(doc map[string]any, md protoreflect.MessageDescriptor, source string) ([]byte, []string, error) {
	t := &transcoder{errs: &errorList{source: source}, lines: []string{""}}
	t.message(doc, md, "", false)
	if err := t.errs.err(); err != nil {
		return nil, nil, err
	}
	return t.buf.Bytes(), t.lines, nil
}

// newline starts a new output line holding the value at path.
func (t *transcoder) newline(path string) {
	t.buf.WriteByte('\n')
	t.lines = append(t.lines, path)
}

// member writes the separator and `"key": ` of an object member on a new line.
func (t *transcoder) member(i int, key, path string) {
	if i > 0 {
		t.buf.WriteByte(',')
	}
	t.newline(path)
	t.scalar(key)
	t.buf.WriteString(": ")
}

// scalar writes a string, number, bool or null.
func (t *transcoder) scalar(v any) {
	switch x := v.(type) {
	case json.Number:
		t.buf.WriteString(x.String())
	default:
		b, err := json.Marshal(x)
		if err != nil { // unreachable for decoded JSON scalars
			b = []byte("null")
		}
		t.buf.Write(b)
	}
}

// value writes v; md is its message type when known, nil for free-form JSON.
// opaque is set for Any fields handed to plugins as is.
func (t *transcoder) value(v any, md protoreflect.MessageDescriptor, path string, opaque bool) {
	switch x := v.(type) {
	case map[string]any:
		switch {
		case md == nil || (jsonValueTypes[md.FullName()] && md.FullName() != "google.protobuf.Any"):
			t.generic(x, path)
		case md.FullName() == "google.protobuf.Any":
			t.any(x, path, opaque)
		default:
			t.message(x, md, path, false)
		}
	case []any:
		t.buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				t.buf.WriteByte(',')
			}
			p := path + "[" + strconv.Itoa(i) + "]"
			t.newline(p)
			t.value(e, md, p, opaque)
		}
		if len(x) > 0 {
			t.newline(path)
		}
		t.buf.WriteByte(']')
	default:
		t.scalar(x)
	}
}

// generic writes a free-form object (a Struct, or a field protojson will reject).
func (t *transcoder) generic(obj map[string]any, path string) {
	t.buf.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(obj)) {
		p := joinPath(path, k)
		t.member(i, k, p)
		t.value(obj[k], nil, p, false)
	}
	t.close(len(obj), path)
}

// close ends an object of n members.
func (t *transcoder) close(n int, path string) {
	if n > 0 {
		t.newline(path)
	}
	t.buf.WriteByte('}')
}

// message writes obj as a message of type md. With skipType, the "@type" key
// has been written already and the members continue the same object.
func (t *transcoder) message(obj map[string]any, md protoreflect.MessageDescriptor, path string, skipType bool) {
	if md.FullName() == httpFilterType {
		obj = routerByName(obj)
	}
	n := 0
	if skipType {
		n = 1
	} else {
		t.buf.WriteByte('{')
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if skipType && k == "@type" {
			continue
		}
		fd := lookupField(md, k)
		if fd == nil {
			t.errs.add(joinPath(path, k), "unknown field")
			continue
		}
		p := joinPath(path, string(fd.Name()))
		t.member(n, k, p)
		n++
		v := obj[k]
		if m, ok := v.(map[string]any); ok && fd.IsList() && fd.Message() != nil {
			// Envoy's JSON parser reads one message given for a repeated
			// field as a list of one; examples rely on it ("listeners:"
			// followed by the one listener's fields).
			v = []any{m}
		}
		switch {
		case fd.IsMap():
			t.mapValue(v, fd, p)
		case fd.Message() != nil:
			t.value(v, fd.Message(), p, isOpaque(md.FullName(), fd.Name()))
		case fd.Enum() != nil:
			t.value(enumNames(v, fd.Enum()), nil, p, false)
		default:
			t.value(v, nil, p, false)
		}
	}
	t.close(n, path)
}

// enumNames rewrites enum value names (alone or in a list) to their
// declared spelling when they match it ignoring case: Envoy parses enums
// case-insensitively ("codec_type: auto", "lb_policy: round_robin").
func enumNames(v any, ed protoreflect.EnumDescriptor) any {
	switch x := v.(type) {
	case string:
		if ed.Values().ByName(protoreflect.Name(x)) != nil {
			return x
		}
		for i := 0; i < ed.Values().Len(); i++ {
			if name := string(ed.Values().Get(i).Name()); strings.EqualFold(name, x) {
				return name
			}
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = enumNames(e, ed)
		}
		return out
	}
	return v
}

// httpFilterType is the message of an http_filters entry.
const httpFilterType = "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter"

// routerByName gives the router its typed_config when an http filter names
// it without one (or with an empty one): Envoy finds a factory by the
// filter's name then, and configs in the wild rely on it for the router,
// the one filter that needs no configuration.
func routerByName(obj map[string]any) map[string]any {
	name, _ := obj["name"].(string)
	if name != "envoy.filters.http.router" && name != "envoy.router" {
		return obj
	}
	key := "typed_config"
	if _, ok := obj["typedConfig"]; ok {
		key = "typedConfig" // JSON's spelling
	}
	switch tc := obj[key].(type) {
	case nil: // absent
	case map[string]any:
		if len(tc) > 0 {
			return obj
		}
	default:
		return obj
	}
	out := maps.Clone(obj)
	out[key] = map[string]any{"@type": typeURLPrefix + routerType}
	return out
}

// mapValue writes the JSON object of a map field, naming entries path["key"].
func (t *transcoder) mapValue(v any, fd protoreflect.FieldDescriptor, path string) {
	obj, ok := v.(map[string]any)
	if !ok {
		t.value(v, nil, path, false) // protojson reports the type error
		return
	}
	md := fd.MapValue().Message()
	t.buf.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(obj)) {
		p := path + "[" + strconv.Quote(k) + "]"
		t.member(i, k, p)
		t.value(obj[k], md, p, false)
	}
	t.close(len(obj), path)
}

// any writes an Any. Its "@type" must be in the types registry. A TypedStruct
// {"@type": TypedStruct, "type_url": U, "value": {fields}} becomes
// {"@type": U, fields...}, except in opaque fields (plugin configuration),
// where Envoy hands the TypedStruct itself to the plugin.
func (t *transcoder) any(obj map[string]any, path string, opaque bool) {
	if len(obj) == 0 {
		t.buf.WriteString("{}")
		return
	}
	at, found := obj["@type"]
	url, ok := at.(string)
	switch {
	case !found:
		t.errs.add(path, `missing "@type" (a type URL such as type.googleapis.com/`+hcmType+")")
		return
	case !ok || url == "":
		t.errs.add(joinPath(path, "@type"), "must be a type URL string")
		return
	}
	for !opaque && isTypedStruct(url) {
		if obj, url, ok = t.rewriteTypedStruct(obj, path); !ok {
			return
		}
	}
	mt, err := types.FindMessageByURL(url)
	if err != nil {
		t.errs.add(path, "unsupported extension "+url)
		return
	}
	md := mt.Descriptor()
	t.buf.WriteByte('{')
	t.scalar("@type")
	t.buf.WriteString(": ")
	t.scalar(url)
	if !jsonValueTypes[md.FullName()] {
		t.message(obj, md, path, true)
		return
	}
	n := 1
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if k == "@type" {
			continue
		}
		t.member(n, k, path)
		n++
		var vmd protoreflect.MessageDescriptor
		if md.FullName() == "google.protobuf.Any" {
			vmd = md
		}
		t.value(obj[k], vmd, path, opaque)
	}
	t.close(n, path)
}

// rewriteTypedStruct returns the Any object a TypedStruct object stands for.
func (t *transcoder) rewriteTypedStruct(obj map[string]any, path string) (map[string]any, string, bool) {
	var url string
	var value map[string]any
	ok := true
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		switch v := obj[k]; k {
		case "@type":
		case "type_url", "typeUrl":
			if url, _ = v.(string); url == "" {
				t.errs.add(joinPath(path, "type_url"), "must be a non-empty type URL")
				ok = false
			}
		case "value":
			switch v := v.(type) {
			case nil:
			case map[string]any:
				value = v
			default:
				t.errs.add(joinPath(path, "value"), "must be an object of the fields of type_url")
				ok = false
			}
		default:
			t.errs.add(joinPath(path, k), "unknown field")
			ok = false
		}
	}
	if ok && url == "" {
		t.errs.add(joinPath(path, "type_url"), "missing in TypedStruct")
		ok = false
	}
	if !ok {
		return nil, "", false
	}
	if _, dup := value["@type"]; dup {
		t.errs.add(joinPath(path, "value.@type"), "unknown field")
		return nil, "", false
	}
	out := maps.Clone(value)
	if out == nil {
		out = map[string]any{}
	}
	out["@type"] = url
	return out, url, true
}

// lookupField finds a field by its JSON (lowerCamel) or proto (snake_case) name.
func lookupField(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fds := md.Fields()
	if fd := fds.ByJSONName(name); fd != nil {
		return fd
	}
	return fds.ByName(protoreflect.Name(name))
}

// protojsonLine matches the position protojson puts in its errors.
var protojsonLine = regexp.MustCompile(`\(line (\d+):\d+\): (.*)$`)

// protojsonError turns a protojson error into an *Error naming the path of
// the line it points at.
func protojsonError(err error, source string, lines []string) *Error {
	e := &Error{Source: source, Msg: err.Error(), cause: err}
	m := protojsonLine.FindStringSubmatch(err.Error())
	if m == nil {
		return e
	}
	e.Msg = m[2]
	if n, _ := strconv.Atoi(m[1]); n >= 1 && n <= len(lines) {
		e.Path = lines[n-1]
	}
	return e
}
