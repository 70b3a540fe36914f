package oci

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// errorf formats an error with the package prefix; %w wraps as usual.
func errorf(format string, args ...any) error {
	return fmt.Errorf("oci: "+format, args...)
}

// NotFoundError reports a reference that names no image, in the local
// store or in a registry.
type NotFoundError struct {
	Ref   string // the reference as given
	Where string // "store" or the registry host
	Err   error  // the registry's answer, if any
}

// Error names the reference and where it was looked for.
func (e *NotFoundError) Error() string {
	where := "in the local store"
	if e.Where != "" && e.Where != "store" {
		where = "in registry " + e.Where
	}
	return fmt.Sprintf("oci: image %s not found %s", e.Ref, where)
}

// Unwrap returns the registry's error.
func (e *NotFoundError) Unwrap() error { return e.Err }

// FormatError reports an image that holds no Wasm module in any of the
// formats ExtractWasm reads. Found describes what the image holds instead.
type FormatError struct {
	Ref    string // the reference, when known
	Found  string // e.g. `3 layers of types [...]`
	Reason string // why each format was rejected
}

// Error names the reference and what the image holds.
func (e *FormatError) Error() string {
	img := "image"
	if e.Ref != "" {
		img += " " + e.Ref
	}
	msg := fmt.Sprintf("oci: %s is not a Wasm module: %s", img, e.Found)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// AuthError reports that a registry refused the credentials, or that none
// were given and the registry needs some.
type AuthError struct {
	Registry string
	Err      error
}

// Error names the registry.
func (e *AuthError) Error() string {
	return fmt.Sprintf("oci: registry %s refused the credentials: %v", e.Registry, e.Err)
}

// Unwrap returns the registry's error.
func (e *AuthError) Unwrap() error { return e.Err }

// classify turns registry errors into the typed errors above, and wraps
// the others with the operation and reference.
func classify(err error, op, ref, registry string) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden ||
			hasCode(te, transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
			return &AuthError{Registry: registry, Err: err}
		case te.StatusCode == http.StatusNotFound ||
			hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
			return &NotFoundError{Ref: ref, Where: registry, Err: err}
		}
	}
	return errorf("%s %s: %w", op, ref, err)
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// typesList renders media types for FormatError.Found.
func typesList(mts []string) string {
	return "[" + strings.Join(mts, " ") + "]"
}
