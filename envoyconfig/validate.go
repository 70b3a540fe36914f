package envoyconfig

import (
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pgvError is the interface of every protoc-gen-validate error type.
type pgvError interface {
	Field() string
	Reason() string
	Cause() error
	Key() bool
}

// pgvMulti is the interface of every protoc-gen-validate MultiError type.
type pgvMulti interface{ AllErrors() []error }

// validate runs the generated ValidateAll of m and records each violation at
// its path below path. It does not look inside Any values: the checker
// validates those when it decodes them.
func validate(m proto.Message, path string, errs *errorList) {
	v, ok := m.(interface{ ValidateAll() error })
	if !ok {
		return
	}
	if err := v.ValidateAll(); err != nil {
		flattenPGV(err, m.ProtoReflect().Descriptor(), path, errs)
	}
}

// flattenPGV records the leaves of a tree of validation errors about a
// message of type md at path.
func flattenPGV(err error, md protoreflect.MessageDescriptor, path string, errs *errorList) {
	switch e := err.(type) {
	case pgvMulti:
		for _, x := range e.AllErrors() {
			flattenPGV(x, md, path, errs)
		}
	case pgvError:
		p, child := pgvPath(md, e.Field(), path)
		if c := e.Cause(); c != nil {
			if _, nested := c.(pgvError); nested {
				flattenPGV(c, child, p, errs)
				return
			}
			if _, nested := c.(pgvMulti); nested {
				flattenPGV(c, child, p, errs)
				return
			}
			errs.addCause(p, e.Reason()+": "+c.Error(), err)
			return
		}
		errs.addCause(p, e.Reason(), err)
	default:
		errs.addCause(path, err.Error(), err)
	}
}

// pgvPath turns a validator's Go field name ("Listeners[0]",
// "TypedExtensionProtocolOptions[key]", "ConnectTimeout") into the proto path
// below path, and returns the message type of the field's value (nil when
// unknown).
func pgvPath(md protoreflect.MessageDescriptor, goName, path string) (string, protoreflect.MessageDescriptor) {
	name, sub := goName, ""
	if i := strings.IndexByte(goName, '['); i >= 0 && strings.HasSuffix(goName, "]") {
		name, sub = goName[:i], goName[i+1:len(goName)-1]
	}
	var fd protoreflect.FieldDescriptor
	if md != nil {
		fds := md.Fields()
		for i := range fds.Len() {
			if goCamelCase(string(fds.Get(i).Name())) == name {
				fd = fds.Get(i)
				break
			}
		}
		if fd == nil { // a oneof: "value is required" for the group
			oos := md.Oneofs()
			for i := range oos.Len() {
				if goCamelCase(string(oos.Get(i).Name())) == name {
					return joinPath(path, string(oos.Get(i).Name())), nil
				}
			}
		}
	}
	if fd == nil {
		p := joinPath(path, snakeCase(name))
		if sub != "" {
			p += "[" + sub + "]"
		}
		return p, nil
	}
	p := joinPath(path, string(fd.Name()))
	child := fd.Message()
	switch {
	case fd.IsMap():
		child = fd.MapValue().Message()
		if sub != "" {
			p += "[" + strconv.Quote(sub) + "]"
		}
	case sub != "":
		p += "[" + sub + "]"
	}
	return p, child
}

// goCamelCase is the Go field name protoc-gen-go derives from a proto field
// name (a copy of google.golang.org/protobuf/internal/strs.GoCamelCase).
func goCamelCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i+1 < len(s) && isLower(s[i+1]):
		case c == '.':
			b = append(b, '_')
		case c == '_' && (i == 0 || s[i-1] == '.'):
			b = append(b, 'X')
		case c == '_' && i+1 < len(s) && isLower(s[i+1]):
		case '0' <= c && c <= '9':
			b = append(b, c)
		default:
			if isLower(c) {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			for ; i+1 < len(s) && isLower(s[i+1]); i++ {
				b = append(b, s[i+1])
			}
		}
	}
	return string(b)
}

// isLower reports whether c is an ASCII lower-case letter.
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// snakeCase guesses the proto name of a Go field name.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
