package envoyconfig

import (
	"errors"
	"strings"
)

// Error is the error Load, Parse and Merge return for a config that is
// malformed, invalid or uses something wasmesh does not implement. The
// unmarshal helpers (HCM, HTTPWasm, ...) return it too, with no Source.
//
// When several problems are found at once (unknown fields, validation
// failures, unsupported fields), Parse returns all of them joined with
// errors.Join, one *Error per line; errors.As yields the first and Errors
// returns the list.
type Error struct {
	// Source is the config's name: a file name or "--config-yaml".
	Source string
	// Path is the field path in proto names, such as
	// "static_resources.clusters[1].lb_policy"; empty for whole-document
	// problems such as a YAML syntax error.
	Path string
	// Msg says what is wrong, in lower case without final punctuation.
	Msg string

	cause error
}

// Error formats the error as "<source>: <path>: <msg>", leaving out the path
// when it is empty. Without a Source, the prefix is "envoyconfig".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
	} else {
		b.WriteString("envoyconfig")
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error (a YAML, JSON or protobuf error), if any.
func (e *Error) Unwrap() error { return e.cause }

// Errors returns every *Error in err: err itself, or each error joined by
// Parse. It returns nil when err holds no *Error.
func Errors(err error) []*Error {
	var out []*Error
	var visit func(error)
	visit = func(err error) {
		switch x := err.(type) {
		case nil:
		case *Error:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				visit(e)
			}
		default:
			var e *Error
			if errors.As(err, &e) {
				out = append(out, e)
			}
		}
	}
	visit(err)
	return out
}

// errorList collects errors for one source.
type errorList struct {
	source string
	errs   []error
}

// add records an error at path.
func (l *errorList) add(path, msg string) {
	l.errs = append(l.errs, &Error{Source: l.source, Path: path, Msg: msg})
}

// addCause records an error at path that wraps cause.
func (l *errorList) addCause(path, msg string, cause error) {
	l.errs = append(l.errs, &Error{Source: l.source, Path: path, Msg: msg, cause: cause})
}

// err returns nil, the single error, or all of them joined.
func (l *errorList) err() error {
	switch len(l.errs) {
	case 0:
		return nil
	case 1:
		return l.errs[0]
	default:
		return errors.Join(l.errs...)
	}
}

// joinPath appends a field name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
