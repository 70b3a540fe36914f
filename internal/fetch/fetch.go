// Package fetch downloads Proxy-Wasm modules the way Istio's agent does
// (istio pkg/wasm), and keeps them in an on-disk cache.
//
// # Sources
//
//   - oci://host/repo:tag and oci://host/repo@sha256:…: an image in one of
//     the formats oci.ExtractWasm reads. The tag is resolved to a manifest
//     digest first (a HEAD request), so a module already cached under that
//     digest is not downloaded again.
//   - https:// and http://: the body is the module, or gzip, tar or tar.gz
//     holding it (a tar must hold only the plugin), as Istio unwraps it.
//   - file:///path: a local file, read on every Fetch (never cached).
//
// # Checksums
//
// Options.SHA256 has Istio's meaning: for oci:// it is the manifest
// (image) digest; for http(s):// and file:// it is the sha256 of the
// module, after any gzip/tar unwrapping. "" and "nil" (what istiod sends
// when a WasmPlugin has no sha256) mean no check. A mismatch is a
// *MismatchError naming both digests.
//
// # Cache
//
// Modules live in <Dir>/modules/<sha256 of the module>.wasm; the index
// <Dir>/modules/index.json maps each URL to the module digest (and, for
// oci, the manifest digest) with the time it was fetched from its source
// and the time it was last used. An entry older than Config.Expiry (24h,
// istio-agent's WASM_MODULE_EXPIRY) is fetched again; New purges expired
// entries and the modules no entry references.
//
// With PullPolicy IfNotPresent a module cached for the URL, or for the
// expected digest, is returned without contacting the source. With Always
// an oci tag is resolved again (no blob is downloaded when the digest is
// cached) and http(s) is downloaded again. Unspecified is Istio's default:
// Always for an oci :latest (or untagged) reference, IfNotPresent
// otherwise; a digest-pinned reference is always IfNotPresent.
//
// # Errors
//
// Errors start with "fetch: " and name the URL (and digests, when they
// are the problem). Transient failures (network errors, HTTP 408, 429 and
// 5xx) are retried with exponential backoff, up to Options.Attempts.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wasmesh/wasmesh/oci"
)

// PullPolicy decides when a cached module is used without asking the
// source (Istio's WasmPlugin imagePullPolicy).
type PullPolicy string

const (
	// PullDefault is Istio's default: Always for an oci :latest or untagged
	// reference, IfNotPresent otherwise.
	PullDefault PullPolicy = ""
	// IfNotPresent uses a cached, unexpired module without contacting the
	// source.
	IfNotPresent PullPolicy = "IfNotPresent"
	// Always resolves an oci tag again (and downloads http(s) again).
	Always PullPolicy = "Always"
)

// ParsePullPolicy reads Istio's imagePullPolicy names (as istiod puts them
// in ISTIO_META_WASM_IMAGE_PULL_POLICY); "" and "UNSPECIFIED_POLICY" are
// PullDefault.
func ParsePullPolicy(s string) (PullPolicy, error) {
	switch strings.TrimSpace(s) {
	case "", "UNSPECIFIED_POLICY":
		return PullDefault, nil
	case "IfNotPresent":
		return IfNotPresent, nil
	case "Always":
		return Always, nil
	}
	return PullDefault, fmt.Errorf("fetch: unknown pull policy %q (want IfNotPresent or Always)", s)
}

// Defaults of Config and Options.
const (
	DefaultExpiry     = 24 * time.Hour
	DefaultMaxSize    = 256 << 20
	DefaultAttempts   = 3
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
)

// Options configure one Fetch.
type Options struct {
	// SHA256 is the expected checksum, hex or "sha256:hex": the manifest
	// digest for oci://, the module's sha256 for http(s):// and file://.
	// "" and "nil" mean no check.
	SHA256 string
	// PullPolicy: see the package documentation.
	PullPolicy PullPolicy
	// MaxSize caps the module (and a download) in bytes; 0 means
	// DefaultMaxSize (Istio's ISTIO_WASM_MAX_BINARY_SIZE_BYTES).
	MaxSize int64
	// Attempts is how many times a transient failure is tried in all; 0
	// means DefaultAttempts.
	Attempts int
	// Backoff is the first wait between attempts, doubled after each one
	// up to MaxBackoff; 0 means the defaults.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds the whole Fetch, retries included; 0 means only ctx.
	Timeout time.Duration
	// Registry is the registry access of oci:// (keychain, basic auth,
	// PlainHTTP, Insecure).
	Registry oci.Options
	// PullSecret is a docker config JSON ({"auths": {...}}), as in a
	// kubernetes.io/dockerconfigjson Secret; its credentials are tried
	// before Registry's.
	PullSecret []byte
	// CacheOnly returns a cached module (whatever the pull policy) or an
	// error, without contacting the source (Envoy's
	// nack_on_code_cache_miss). file:// is read as usual.
	CacheOnly bool
	// InsecureHosts may be spoken to without TLS verification and over
	// plain HTTP when they answer plain HTTP (istio-agent's
	// WASM_INSECURE_REGISTRIES); "*" is every host. Loopback hosts always
	// may.
	InsecureHosts []string
}

func (o Options) withDefaults() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	return o
}

// Module is a fetched module and where it came from.
type Module struct {
	Wasm []byte
	// Digest is the hex sha256 of Wasm.
	Digest string
	// ImageDigest is the manifest digest ("sha256:…") of an oci:// module.
	ImageDigest string
	// URL is the URL as given.
	URL string
	// FromCache reports that no module bytes were downloaded.
	FromCache bool
	// Fetched is when the module was last fetched from its source.
	Fetched time.Time
}

// MismatchError reports a checksum that differs from the expected one.
type MismatchError struct {
	URL       string
	What      string // "manifest digest" or "module sha256"
	Want, Got string
	Note      string // optional hint
}

// Error names the URL and both digests.
func (e *MismatchError) Error() string {
	msg := fmt.Sprintf("fetch: %s: %s is %s, expected %s", e.URL, e.What, e.Got, e.Want)
	if e.Note != "" {
		msg += " (" + e.Note + ")"
	}
	return msg
}

// notCached is the error of a CacheOnly miss.
func notCached(rawURL string) error {
	return permanent(fmt.Errorf("fetch: %s: not in the module cache", rawURL))
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// Get fetches the module at rawURL; see the package documentation.
func (f *Fetcher) Get(ctx context.Context, rawURL string, opts Options) (*Module, error) {
	opts = opts.withDefaults()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	want, err := normDigest(opts.SHA256)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		// Istio's default scheme is oci.
		scheme, rest = "oci", rawURL
	}
	unlock, err := f.lockURL(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	defer unlock()
	var m *Module
	switch strings.ToLower(scheme) {
	case "oci":
		m, err = f.getOCI(ctx, rawURL, rest, want, opts)
	case "http", "https":
		m, err = f.getHTTP(ctx, rawURL, want, opts)
	case "file":
		m, err = f.getFile(rawURL, want, opts)
	default:
		return nil, fmt.Errorf("fetch: %s: unsupported scheme %q (want oci, https, http or file)", rawURL, scheme)
	}
	var pe *permanentError
	if errors.As(err, &pe) {
		err = pe.err
	}
	if err != nil {
		return nil, err
	}
	m.URL = rawURL
	return m, nil
}

// Fetch is Get returning the module, its hex sha256 and whether it came
// from the cache.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, opts Options) (wasm []byte, digest string, fromCache bool, err error) {
	m, err := f.Get(ctx, rawURL, opts)
	if err != nil {
		return nil, "", false, err
	}
	return m.Wasm, m.Digest, m.FromCache, nil
}

// normDigest turns "", "nil", "hex" and "sha256:hex" into "" or the
// lowercase hex.
func normDigest(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "nil" {
		return "", nil
	}
	s = strings.TrimPrefix(s, "sha256:")
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("sha256 %q is not 64 hex digits", s)
	}
	return s, nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// retry runs op up to opts.Attempts times while it fails transiently,
// waiting Backoff, 2×Backoff, … (at most MaxBackoff) between attempts.
func retry(ctx context.Context, opts Options, op func() error) error {
	wait := opts.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = op(); err == nil {
			return nil
		}
		var pe *permanentError
		if errors.As(err, &pe) || attempt >= opts.Attempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(wait*2, opts.MaxBackoff)
	}
}

// retryableStatus reports HTTP statuses worth another attempt.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// insecureHost reports whether host (with or without a port) may be
// spoken to without TLS.
func insecureHost(host string, opts Options) bool {
	h := host
	if u, err := url.Parse("//" + host); err == nil && u.Hostname() != "" {
		h = u.Hostname()
	}
	if h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.") {
		return true
	}
	for _, x := range opts.InsecureHosts {
		if x == "*" || x == host || x == h {
			return true
		}
	}
	return false
}

// isPlainHTTPAnswer reports the error of a TLS request to a plain HTTP
// server.
func isPlainHTTPAnswer(err error) bool {
	return err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}
