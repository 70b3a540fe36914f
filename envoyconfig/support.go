package envoyconfig

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// kind says how a field listed in the support table is treated.
type kind int

const (
	kindOK     kind = iota // implemented; message values are checked in turn
	kindWarn               // accepted and ignored, with a warning
	kindReject             // recognized but rejected with a specific message
)

// message lists the fields of one proto message that wasmesh implements. A
// set field not listed is an error; a message with no fields is accepted
// only when empty.
type message struct {
	name   protoreflect.FullName
	doc    string
	fields []field
}

// field is one line of the support table.
type field struct {
	name     protoreflect.Name
	kind     kind
	doc      string                  // what wasmesh does with it; also the rejection message for kindReject
	values   []string                // enum: the supported value names; empty means all
	types    []protoreflect.FullName // Any: the extension types allowed here
	opaque   bool                    // Any handed to the plugin as is: any registered type, not checked
	keyed    bool                    // map<string, Any>: each key must be the name of the value's type, one of types
	required bool                    // wasmesh needs the field set
	check    func(protoreflect.Value) string
}

// Constructors for table lines.

// ok is a supported field.
func ok(name, doc string) field { return field{name: protoreflect.Name(name), doc: doc} }

// warn is a field accepted with a warning and otherwise ignored.
func warn(name, doc string) field {
	return field{name: protoreflect.Name(name), kind: kindWarn, doc: doc}
}

// reject is a field that is an error whenever set, with msg as the message.
func reject(name, msg string) field {
	return field{name: protoreflect.Name(name), kind: kindReject, doc: msg}
}

// need is a supported field wasmesh needs set.
func need(name, doc string) field {
	return field{name: protoreflect.Name(name), doc: doc, required: true}
}

// enum is an enum field of which only values are supported.
func enum(name, doc string, values ...string) field {
	return field{name: protoreflect.Name(name), doc: doc, values: values}
}

// extension is a required typed_config that must hold one of types.
func extension(name, doc string, types ...protoreflect.FullName) field {
	return field{name: protoreflect.Name(name), doc: doc, types: types, required: true}
}

// opaque is an Any passed to a plugin unexamined.
func opaque(name, doc string) field {
	return field{name: protoreflect.Name(name), doc: doc, opaque: true}
}

// keyedBy is a map<string, Any> keyed by the name of its value's type.
func keyedBy(name, doc string, types ...protoreflect.FullName) field {
	return field{name: protoreflect.Name(name), doc: doc, types: types, keyed: true}
}

// checked is a field whose value check accepts (returns "") or rejects.
func checked(name, doc string, check func(protoreflect.Value) string) field {
	return field{name: protoreflect.Name(name), doc: doc, check: check}
}

// index maps message and field names to table lines.
var index = func() map[protoreflect.FullName]map[protoreflect.Name]*field {
	idx := make(map[protoreflect.FullName]map[protoreflect.Name]*field, len(table))
	for _, m := range table {
		if idx[m.name] != nil {
			panic("envoyconfig: duplicate table entry " + m.name)
		}
		fs := make(map[protoreflect.Name]*field, len(m.fields))
		for i := range m.fields {
			fs[m.fields[i].name] = &m.fields[i]
		}
		idx[m.name] = fs
	}
	return idx
}()

// isOpaque reports whether field name of message md is an opaque Any.
func isOpaque(md protoreflect.FullName, name protoreflect.Name) bool {
	f := index[md][name]
	return f != nil && f.opaque
}

// isLeaf reports whether values of md are taken whole: the well-known types
// (Duration, wrappers, Struct...) other than Any.
func isLeaf(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf" && md.FullName() != "google.protobuf.Any"
}

// checker walks a Bootstrap along the support table.
type checker struct {
	invalid  *errorList // validation failures inside Any values
	errs     *errorList // unsupported fields and values
	warnings []string
	unmarsh  proto.UnmarshalOptions
}

// newChecker returns a checker reporting errors for source.
func newChecker(source string) *checker {
	return &checker{
		invalid: &errorList{source: source},
		errs:    &errorList{source: source},
		unmarsh: proto.UnmarshalOptions{Resolver: types},
	}
}

// message checks every set field of m against the table.
func (c *checker) message(m protoreflect.Message, path string) {
	md := m.Descriptor()
	if isLeaf(md) {
		return
	}
	rules := index[md.FullName()]
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		p := joinPath(path, string(fd.Name()))
		f := rules[fd.Name()]
		if !m.Has(fd) {
			if f != nil && f.required {
				c.errs.add(p, "required by wasmesh")
			}
			continue
		}
		switch {
		case f == nil:
			c.errs.add(p, "field not supported by wasmesh")
		case f.kind == kindWarn:
			c.warnings = append(c.warnings, p+": accepted and ignored")
		case f.kind == kindReject:
			c.errs.add(p, f.doc)
		default:
			c.field(m.Get(fd), fd, f, p)
		}
	}
}

// field checks the value v of a supported field and descends into messages.
func (c *checker) field(v protoreflect.Value, fd protoreflect.FieldDescriptor, f *field, path string) {
	switch {
	case fd.IsList():
		l := v.List()
		for i := range l.Len() {
			c.single(l.Get(i), fd, f, path+"["+strconv.Itoa(i)+"]")
		}
	case fd.IsMap():
		mp := v.Map()
		var keys []string
		mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, k.String())
			return true
		})
		slices.Sort(keys)
		for _, k := range keys {
			p := path + "[" + strconv.Quote(k) + "]"
			if f.keyed && !slices.Contains(f.types, protoreflect.FullName(k)) {
				c.errs.add(p, "unsupported key (supported: "+joinNames(f.types)+")")
				continue
			}
			val := mp.Get(protoreflect.MapKey(protoreflect.ValueOfString(k)))
			if f.keyed {
				c.keyedAny(val, k, p)
				continue
			}
			if fd.MapValue().Message() != nil {
				c.single(val, fd.MapValue(), f, p)
			}
		}
	default:
		c.single(v, fd, f, path)
	}
}

// keyedAny checks a map value that must be an Any of the type named by key.
func (c *checker) keyedAny(v protoreflect.Value, key, path string) {
	a, _ := v.Message().Interface().(*anypb.Any)
	if a == nil || string(typeName(a.GetTypeUrl())) != key {
		c.errs.add(path, "value must be of type "+key+", got "+a.GetTypeUrl())
		return
	}
	c.any(a, &field{types: []protoreflect.FullName{protoreflect.FullName(key)}}, path)
}

// single checks one value (a list element, a map value or a singular field).
func (c *checker) single(v protoreflect.Value, fd protoreflect.FieldDescriptor, f *field, path string) {
	if fd.Enum() != nil && len(f.values) > 0 {
		name := strconv.Itoa(int(v.Enum()))
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			name = string(ev.Name())
		}
		if !slices.Contains(f.values, name) {
			c.errs.add(path, "unsupported value "+name+" (supported: "+strings.Join(f.values, ", ")+")")
		}
	}
	if f.check != nil {
		if msg := f.check(v); msg != "" {
			c.errs.add(path, msg)
		}
	}
	if fd.Message() == nil {
		return
	}
	if a, isAny := v.Message().Interface().(*anypb.Any); isAny {
		c.any(a, f, path)
		return
	}
	c.message(v.Message(), path)
}

// any checks that a holds an allowed type, validates its content, checks it
// in turn and normalizes every type URL in it to type.googleapis.com/<name>.
func (c *checker) any(a *anypb.Any, f *field, path string) {
	name := typeName(a.GetTypeUrl())
	switch {
	case a.GetTypeUrl() == "" && f.opaque:
		return
	case a.GetTypeUrl() == "":
		c.errs.add(path, `missing "@type"`)
		return
	}
	if f.opaque {
		a.TypeUrl = typeURLPrefix + string(name)
		return
	}
	if !slices.Contains(f.types, name) {
		c.errs.add(path, "unsupported extension "+a.GetTypeUrl()+" (supported: "+joinNames(f.types)+")")
		return
	}
	m, err := anypb.UnmarshalNew(a, c.unmarsh)
	if err != nil {
		c.errs.addCause(path, "cannot decode "+string(name)+": "+err.Error(), err)
		return
	}
	validate(m, path, c.invalid)
	c.message(m.ProtoReflect(), path)
	// Store the content again: the walk normalized the Anys inside it.
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		c.errs.addCause(path, "cannot encode "+string(name)+": "+err.Error(), err)
		return
	}
	a.TypeUrl, a.Value = typeURLPrefix+string(name), b
}

// joinNames joins type names for a message.
func joinNames(names []protoreflect.FullName) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// checkRuntime accepts every envoy.wasm.runtime.* except the null runtime,
// which runs plugins compiled into Envoy.
func checkRuntime(v protoreflect.Value) string {
	s := v.String()
	if !strings.HasPrefix(s, "envoy.wasm.runtime.") || s == "envoy.wasm.runtime.null" {
		return "unsupported value " + s + " (supported: envoy.wasm.runtime.* except envoy.wasm.runtime.null)"
	}
	return ""
}

// transportSocketOf accepts a TransportSocket whose typed_config holds the
// type want (or is missing: then "required" reports it): Downstream and
// UpstreamTlsContext share the TransportSocket message, their position
// (filter chain or cluster) decides which one is valid.
func transportSocketOf(want protoreflect.FullName) func(protoreflect.Value) string {
	return func(v protoreflect.Value) string {
		ts := v.Message()
		fd := ts.Descriptor().Fields().ByName("typed_config")
		if fd == nil || !ts.Has(fd) {
			return ""
		}
		a, _ := ts.Get(fd).Message().Interface().(*anypb.Any)
		if a.GetTypeUrl() == "" || typeName(a.GetTypeUrl()) == want {
			return ""
		}
		return "typed_config: unsupported extension " + a.GetTypeUrl() + " here (supported: " + string(want) + ")"
	}
}
