package deploy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Scheme is the kind of place a module comes from.
type Scheme string

// The schemes a WasmPlugin url accepts (Istio's CEL rule on the CRD).
const (
	SchemeOCI   Scheme = "oci"
	SchemeHTTP  Scheme = "http"
	SchemeHTTPS Scheme = "https"
	SchemeFile  Scheme = "file"
)

// Source is a parsed REF or URL.
type Source struct {
	// Raw is the source as given.
	Raw string
	// Scheme is oci for "oci://ref" and for a reference without a scheme
	// (Istio's default), else the URL's scheme.
	Scheme Scheme
	// Ref is the OCI reference without "oci://" (Scheme oci only).
	Ref string
	// URL is the URL as written to a WasmPlugin ("oci://" added to a bare
	// reference).
	URL string
	// Path is the file path of a file:// URL.
	Path string
}

// ParseSource parses REF or URL: oci://host/repo:tag, host/repo:tag,
// host/repo@sha256:..., http(s)://... or file:///path.
func ParseSource(s string) (Source, error) {
	if s == "" {
		return Source{}, errors.New("deploy: empty module reference")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Source{Raw: s, Scheme: SchemeOCI, Ref: s, URL: "oci://" + s}, nil
	}
	switch Scheme(strings.ToLower(scheme)) {
	case SchemeOCI:
		if rest == "" {
			return Source{}, fmt.Errorf("deploy: %q: no image reference after oci://", s)
		}
		return Source{Raw: s, Scheme: SchemeOCI, Ref: rest, URL: "oci://" + rest}, nil
	case SchemeHTTP, SchemeHTTPS:
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Source{}, fmt.Errorf("deploy: %q is not a valid http(s) URL", s)
		}
		return Source{Raw: s, Scheme: Scheme(strings.ToLower(scheme)), URL: s}, nil
	case SchemeFile:
		u, err := url.Parse(s)
		if err != nil || u.Path == "" || (u.Host != "" && u.Host != "localhost") {
			return Source{}, fmt.Errorf("deploy: %q is not a file URL (want file:///absolute/path.wasm)", s)
		}
		return Source{Raw: s, Scheme: SchemeFile, URL: s, Path: u.Path}, nil
	}
	return Source{}, fmt.Errorf("deploy: %q: unsupported scheme %q (want oci, http, https or file)", s, scheme)
}
