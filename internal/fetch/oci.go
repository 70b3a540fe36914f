package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/wasmesh/wasmesh/oci"
)

// getOCI fetches oci://ref; want is the expected manifest digest (hex).
func (f *Fetcher) getOCI(ctx context.Context, rawURL, ref, want string, opts Options) (*Module, error) {
	reg := opts.Registry
	r, err := name.ParseReference(ref, nameOptions(reg)...)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: invalid reference: %w", rawURL, err)
	}
	if host := r.Context().RegistryStr(); insecureHost(host, opts) {
		// name.Insecure makes ggcr try TLS first and plain HTTP after, as
		// istio-agent does for its insecure registries.
		reg.PlainHTTP, reg.Insecure = true, true
		if r, err = name.ParseReference(ref, nameOptions(reg)...); err != nil {
			return nil, fmt.Errorf("fetch: %s: invalid reference: %w", rawURL, err)
		}
	}
	if len(opts.PullSecret) > 0 {
		kc, err := secretKeychain(opts.PullSecret)
		if err != nil {
			return nil, fmt.Errorf("fetch: %s: pull secret: %w", rawURL, err)
		}
		base := reg.Keychain
		if base == nil {
			base = authn.DefaultKeychain
		}
		reg.Keychain = authn.NewMultiKeychain(kc, base)
	}

	policy := opts.PullPolicy
	pinned := ""
	if d, ok := r.(name.Digest); ok {
		pinned = strings.TrimPrefix(d.DigestStr(), "sha256:")
		if want != "" && want != pinned {
			return nil, &MismatchError{URL: rawURL, What: "manifest digest in the URL", Got: "sha256:" + pinned, Want: "sha256:" + want}
		}
		want, policy = pinned, IfNotPresent // a digest cannot move
	} else if policy == PullDefault {
		policy = IfNotPresent
		if t, ok := r.(name.Tag); ok && t.TagStr() == "latest" {
			policy = Always
		}
	}
	if policy != Always || opts.CacheOnly {
		if m, ok := f.lookup(rawURL, want, true); ok {
			return m, nil
		}
	}
	if opts.CacheOnly {
		return nil, notCached(rawURL)
	}

	// Resolve the tag to a manifest digest, without downloading blobs.
	digest, isIndex := "sha256:"+pinned, false
	if pinned == "" {
		err := retry(ctx, opts, func() error {
			desc, err := remote.Head(r, remoteOptions(ctx, reg)...)
			if err != nil {
				return classify(err, rawURL, r.Context().RegistryStr())
			}
			digest, isIndex = desc.Digest.String(), desc.MediaType.IsIndex()
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if want != "" && digest != "sha256:"+want && !isIndex {
		return nil, &MismatchError{URL: rawURL, What: "manifest digest", Got: digest, Want: "sha256:" + want}
	}
	if m, ok := f.byImage(rawURL, digest); ok {
		return m, nil
	}

	var img v1.Image
	var got v1.Hash
	byDigest := r.Context().Name() + "@" + digest
	err = retry(ctx, opts, func() error {
		var err error
		img, got, err = oci.Pull(ctx, byDigest, reg)
		if err != nil {
			var nf *oci.NotFoundError
			var ae *oci.AuthError
			var fe *oci.FormatError
			if errors.As(err, &nf) || errors.As(err, &ae) || errors.As(err, &fe) {
				return permanent(fmt.Errorf("fetch: %s (%s): %w", rawURL, digest, err))
			}
			return classify(err, rawURL, r.Context().RegistryStr())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if want != "" && digest != "sha256:"+want && got.String() != "sha256:"+want {
		return nil, &MismatchError{URL: rawURL, What: "manifest digest", Got: got.String(), Want: "sha256:" + want}
	}
	wasm, _, err := oci.ExtractWasm(img)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s (%s): %w", rawURL, digest, err)
	}
	if int64(len(wasm)) > opts.MaxSize {
		return nil, fmt.Errorf("fetch: %s (%s): module is %d bytes, over the %d-byte limit", rawURL, digest, len(wasm), opts.MaxSize)
	}
	m := &Module{Wasm: wasm, Digest: sum(wasm), ImageDigest: digest, Fetched: f.now()}
	f.store(rawURL, m)
	return m, nil
}

func nameOptions(o oci.Options) []name.Option {
	if o.PlainHTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}

// remoteOptions mirrors what package oci gives ggcr for o.
func remoteOptions(ctx context.Context, o oci.Options) []remote.Option {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if o.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // an insecure registry, as configured
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(t), remote.WithUserAgent("wasmesh")}
	switch {
	case o.Auth != nil:
		opts = append(opts, remote.WithAuth(o.Auth))
	case o.Keychain != nil:
		opts = append(opts, remote.WithAuthFromKeychain(o.Keychain))
	default:
		opts = append(opts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	return opts
}

// classify wraps a registry error, marking the ones retrying cannot fix.
func classify(err error, rawURL, registry string) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusNotFound:
			return permanent(fmt.Errorf("fetch: %s: not found in registry %s", rawURL, registry))
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			return permanent(fmt.Errorf("fetch: %s: registry %s refused the credentials: %w", rawURL, registry, err))
		case !retryableStatus(te.StatusCode):
			return permanent(fmt.Errorf("fetch: %s: %w", rawURL, err))
		}
	}
	if errors.Is(err, context.Canceled) {
		return permanent(fmt.Errorf("fetch: %s: %w", rawURL, err))
	}
	return fmt.Errorf("fetch: %s: %w", rawURL, err)
}
