package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/wasmesh/wasmesh/oci"
)

// Resolver looks sources up: the digest to pin, the root ids, and, for
// the legacy path, the module itself.
type Resolver struct {
	// Registry configures registry access (plain HTTP, TLS, credentials);
	// Progress is not used.
	Registry oci.Options
	// Store holds local images; FetchModule looks there before the
	// registry. Nil: registry only.
	Store *oci.Store
	// HTTP fetches http(s) modules; nil means a client with a 60 s timeout.
	HTTP *http.Client
}

// Resolved is what Resolve found about a source.
type Resolved struct {
	// URL is the WasmPlugin url: pinned (oci://host/repo@sha256:...) or
	// as given.
	URL string
	// SHA256 is the hex digest Istio checks (the manifest digest for oci,
	// the module's hash for http); empty when not pinned.
	SHA256 string
	// RootIDs are the root ids of the image's runtime config, if known.
	RootIDs []string
}

// Resolve pins p's source (unless p.NoPin) and, when p.RootID is empty,
// finds the root ids in its runtime config. An OCI tag is resolved
// through the registry to the digest of its image (an index resolves to
// linux/amd64, as Istio's agent does); an http(s) module is downloaded
// and hashed. file:// URLs are returned as given. Without pinning, root
// ids come from the local store or, failing that, the registry, and not
// finding them is not an error.
func (r *Resolver) Resolve(ctx context.Context, p *Plugin) (Resolved, error) {
	src := p.Source
	res := Resolved{URL: src.URL}
	wantRoot := p.RootID == ""
	switch src.Scheme {
	case SchemeOCI:
		if p.NoPin {
			if wantRoot {
				res.RootIDs = r.bestEffortRootIDs(ctx, src.Ref)
			}
			return res, nil
		}
		ref, img, err := r.remoteImage(ctx, src.Ref)
		if err != nil {
			return res, fmt.Errorf("deploy: resolve %s: %w (--no-pin deploys the reference as is)", src.Ref, err)
		}
		d, err := img.Digest()
		if err != nil {
			return res, fmt.Errorf("deploy: resolve %s: %w", src.Ref, err)
		}
		res.URL = "oci://" + ref.Context().Name() + "@" + d.String()
		res.SHA256 = d.Hex
		if wantRoot {
			if res.RootIDs, err = imageRootIDs(img); err != nil {
				return res, fmt.Errorf("deploy: runtime config of %s: %w", src.Ref, err)
			}
		}
	case SchemeHTTP, SchemeHTTPS:
		if p.NoPin {
			return res, nil
		}
		data, err := r.download(ctx, src.URL)
		if err != nil {
			return res, fmt.Errorf("%w (--no-pin deploys the URL without a sha256)", err)
		}
		if !bytes.HasPrefix(data, []byte("\x00asm")) {
			return res, fmt.Errorf("deploy: %s is not a raw Wasm module: Istio hashes the module after unpacking it, so it cannot be pinned here (use --no-pin)", src.URL)
		}
		res.SHA256 = sha256Hex(data)
	}
	return res, nil
}

// Module is a Wasm module fetched for the legacy path.
type Module struct {
	Wasm    []byte
	SHA256  string   // hex SHA-256 of Wasm
	RootIDs []string // from the image's runtime config
	// Origin says where the module was read: "local store", the registry
	// reference pinned by digest, the URL or the file.
	Origin string
}

// FetchModule reads the module src names: an OCI image from the local
// store, else from the registry; an http(s) URL; or a local file (a
// file:// URL names a file on this machine here, not in the proxy).
func (r *Resolver) FetchModule(ctx context.Context, src Source) (*Module, error) {
	switch src.Scheme {
	case SchemeOCI:
		if r.Store != nil {
			if img, err := r.Store.Get(src.Ref); err == nil {
				return moduleFromImage(img, src.Ref, src.Ref+" (local store)")
			}
		}
		img, digest, err := oci.Pull(ctx, src.Ref, r.Registry)
		if err != nil {
			return nil, fmt.Errorf("deploy: fetch %s: %w", src.Ref, err)
		}
		origin := src.Ref + "@" + digest.String()
		if ref, err := name.ParseReference(src.Ref, r.nameOptions()...); err == nil {
			origin = ref.Context().Name() + "@" + digest.String()
		}
		return moduleFromImage(img, src.Ref, origin)
	case SchemeHTTP, SchemeHTTPS:
		data, err := r.download(ctx, src.URL)
		if err != nil {
			return nil, err
		}
		return rawModule(data, src.URL)
	case SchemeFile:
		data, err := os.ReadFile(src.Path)
		if err != nil {
			return nil, fmt.Errorf("deploy: read module: %w", err)
		}
		return rawModule(data, src.Path)
	}
	return nil, fmt.Errorf("deploy: %s: unsupported scheme %q", src.Raw, src.Scheme)
}

func moduleFromImage(img v1.Image, ref, origin string) (*Module, error) {
	wasm, rc, err := oci.ExtractWasm(img)
	if err != nil {
		return nil, fmt.Errorf("deploy: %s: %w", ref, err)
	}
	m := &Module{Wasm: wasm, SHA256: sha256Hex(wasm), Origin: origin}
	if rc != nil {
		m.RootIDs = rc.RootIDs
	}
	return m, nil
}

func rawModule(data []byte, origin string) (*Module, error) {
	if !bytes.HasPrefix(data, []byte("\x00asm")) {
		return nil, fmt.Errorf("deploy: %s is not a Wasm module (no \\0asm magic number)", origin)
	}
	return &Module{Wasm: data, SHA256: sha256Hex(data), Origin: origin}, nil
}

// bestEffortRootIDs reads the root ids from the store, else the registry.
func (r *Resolver) bestEffortRootIDs(ctx context.Context, ref string) []string {
	if r.Store != nil {
		if img, err := r.Store.Get(ref); err == nil {
			if ids, err := imageRootIDs(img); err == nil && len(ids) > 0 {
				return ids
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, img, err := r.remoteImage(ctx, ref); err == nil {
		ids, _ := imageRootIDs(img)
		return ids
	}
	return nil
}

// remoteImage resolves ref in its registry: manifest (an index resolves
// to its linux/amd64 image); blobs are read lazily.
func (r *Resolver) remoteImage(ctx context.Context, s string) (name.Reference, v1.Image, error) {
	ref, err := name.ParseReference(s, r.nameOptions()...)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid reference: %w", err)
	}
	desc, err := remote.Get(ref, r.remoteOptions(ctx)...)
	if err != nil {
		return nil, nil, err
	}
	img, err := desc.Image()
	if err != nil {
		return nil, nil, err
	}
	return ref, img, nil
}

// imageRootIDs reads the runtime config: the manifest's config blob for
// the Wasm artifact, the compat layer otherwise.
func imageRootIDs(img v1.Image) ([]string, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	if m.Config.MediaType == oci.MediaTypeWasmConfig {
		raw, err := img.RawConfigFile()
		if err != nil {
			return nil, err
		}
		rc, err := oci.ParseRuntimeConfig(raw)
		if err != nil {
			return nil, err
		}
		return rc.RootIDs, nil
	}
	_, rc, err := oci.ExtractWasm(img)
	if err != nil || rc == nil {
		return nil, err
	}
	return rc.RootIDs, nil
}

// download fetches an http(s) module, capped at oci.MaxWasmSize.
func (r *Resolver) download(ctx context.Context, u string) ([]byte, error) {
	c := r.HTTP
	if c == nil {
		c = &http.Client{Timeout: 60 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("deploy: download %s: %w", u, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("deploy: download %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("deploy: download %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, oci.MaxWasmSize+1))
	if err != nil {
		return nil, fmt.Errorf("deploy: download %s: %w", u, err)
	}
	if len(data) > oci.MaxWasmSize {
		return nil, fmt.Errorf("deploy: download %s: over %d bytes", u, oci.MaxWasmSize)
	}
	return data, nil
}

func (r *Resolver) nameOptions() []name.Option {
	if r.Registry.PlainHTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}

// remoteOptions mirror package oci's: the same transport, user agent and
// credentials (Auth, else Keychain, else the docker config).
func (r *Resolver) remoteOptions(ctx context.Context) []remote.Option {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if r.Registry.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(t), remote.WithUserAgent("wasmesh")}
	switch {
	case r.Registry.Auth != nil:
		opts = append(opts, remote.WithAuth(r.Registry.Auth))
	case r.Registry.Keychain != nil:
		opts = append(opts, remote.WithAuthFromKeychain(r.Registry.Keychain))
	default:
		opts = append(opts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	return opts
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
