package oci

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Options configure registry access.
type Options struct {
	// PlainHTTP lets the client speak HTTP to the registry (ggcr already
	// does for localhost and private addresses).
	PlainHTTP bool
	// Insecure skips TLS certificate verification.
	Insecure bool
	// Keychain finds credentials; nil means authn.DefaultKeychain (the
	// docker config file and its credential helpers, then podman's).
	Keychain authn.Keychain
	// Progress receives progress lines ("pushing sha256:abcd… 1.2 MiB/3.4
	// MiB") and a final line with the manifest digest; nil for none.
	Progress io.Writer
	// Auth, when set, is used instead of Keychain (-u/-p).
	Auth *authn.Basic
}

func (o Options) nameOptions() []name.Option {
	if o.PlainHTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (o Options) transport() http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if o.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	return t
}

func (o Options) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(o.transport()), remote.WithUserAgent("wasmesh")}
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

// Push uploads img to ref and returns the manifest digest. The image must
// hold a Wasm module (see ExtractWasm).
func Push(ctx context.Context, img v1.Image, ref string, opts Options) (v1.Hash, error) {
	r, err := name.ParseReference(ref, opts.nameOptions()...)
	if err != nil {
		return v1.Hash{}, errorf("invalid reference %q: %w", ref, err)
	}
	if _, _, err := ExtractWasm(img); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Ref = ref
		}
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, errorf("push %s: %w", ref, err)
	}
	ropts := opts.remoteOptions(ctx)
	var done chan struct{}
	if opts.Progress != nil {
		updates := make(chan v1.Update, 64)
		done = make(chan struct{})
		go func() {
			defer close(done)
			p := progressPrinter{w: opts.Progress, verb: "pushing", what: shortDigest(digest)}
			for u := range updates {
				p.update(u.Complete, u.Total)
			}
			p.flush()
		}()
		ropts = append(ropts, remote.WithProgress(updates))
	}
	err = remote.Write(r, img, ropts...)
	if done != nil {
		<-done // remote.Write closes the channel when it returns
	}
	if err != nil {
		return v1.Hash{}, classify(err, "push", ref, r.Context().RegistryStr())
	}
	size, _ := img.Size()
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "%s: digest: %s size: %d\n", ref, digest, size)
	}
	return digest, nil
}

// Pull downloads the image ref names and returns it, read into memory, with
// its manifest digest (what Istio's WasmPlugin sha256 is compared with).
// An image that holds no Wasm module is a *FormatError; a ref the registry
// does not know, a *NotFoundError.
func Pull(ctx context.Context, ref string, opts Options) (v1.Image, v1.Hash, error) {
	r, err := name.ParseReference(ref, opts.nameOptions()...)
	if err != nil {
		return nil, v1.Hash{}, errorf("invalid reference %q: %w", ref, err)
	}
	registry := r.Context().RegistryStr()
	desc, err := remote.Get(r, opts.remoteOptions(ctx)...)
	if err != nil {
		return nil, v1.Hash{}, classify(err, "pull", ref, registry)
	}
	remoteImg, err := desc.Image() // an index resolves to linux/amd64, as in Istio's agent
	if err != nil {
		return nil, v1.Hash{}, classify(err, "pull", ref, registry)
	}
	img, err := download(remoteImg, opts.Progress)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Ref = ref
			return nil, v1.Hash{}, fe
		}
		return nil, v1.Hash{}, classify(err, "pull", ref, registry)
	}
	if _, _, err := ExtractWasm(img); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Ref = ref
		}
		return nil, v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, v1.Hash{}, errorf("pull %s: %w", ref, err)
	}
	if opts.Progress != nil {
		size, _ := img.Size()
		fmt.Fprintf(opts.Progress, "%s: digest: %s size: %d\n", ref, digest, size)
	}
	return img, digest, nil
}

// download reads the manifest and every blob of src into memory. Blobs
// larger than a Wasm image can hold are refused before they are fetched.
func download(src v1.Image, progress io.Writer) (v1.Image, error) {
	raw, err := src.RawManifest()
	if err != nil {
		return nil, err
	}
	mt, err := src.MediaType()
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	const maxBlob = 2 * MaxWasmSize
	for _, l := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if l.Size > maxBlob {
			return nil, &FormatError{Found: describe(m), Reason: fmt.Sprintf("blob %s is %d bytes", l.Digest, l.Size)}
		}
	}
	img := &memImage{mediaType: mt, manifest: raw, blobs: map[v1.Hash]memBlob{}}
	cfg, err := src.RawConfigFile()
	if err != nil {
		return nil, err
	}
	img.blobs[m.Config.Digest] = memBlob{data: cfg, mediaType: m.Config.MediaType}
	for _, l := range m.Layers {
		if _, ok := img.blobs[l.Digest]; ok {
			continue
		}
		data, err := fetchBlob(src, l, progress)
		if err != nil {
			return nil, err
		}
		img.blobs[l.Digest] = memBlob{data: data, mediaType: l.MediaType}
	}
	return img.image()
}

// fetchBlob reads one layer, reporting progress; ggcr checks the digest.
func fetchBlob(src v1.Image, d v1.Descriptor, progress io.Writer) ([]byte, error) {
	rc, err := openBlob(src, d.Digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r io.Reader = rc
	var p *progressPrinter
	if progress != nil {
		p = &progressPrinter{w: progress, verb: "pulling", what: shortDigest(d.Digest)}
		r = &countingReader{r: rc, onRead: func(n int64) { p.update(n, d.Size) }}
	}
	data, err := io.ReadAll(io.LimitReader(r, 2*MaxWasmSize+1))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if p != nil {
		p.flush()
	}
	return data, nil
}

type countingReader struct {
	r      io.Reader
	n      int64
	onRead func(total int64)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if n > 0 {
		c.onRead(c.n)
	}
	return n, err
}

// progressPrinter writes at most one progress line every 200ms, and the
// last state on flush.
type progressPrinter struct {
	w               io.Writer
	verb, what      string
	last            time.Time
	complete, total int64
	printed         bool
}

func (p *progressPrinter) update(complete, total int64) {
	p.complete, p.total, p.printed = complete, total, false
	if time.Since(p.last) >= 200*time.Millisecond {
		p.print()
	}
}

func (p *progressPrinter) flush() {
	if !p.printed && (p.complete > 0 || p.total > 0) {
		p.print()
	}
}

func (p *progressPrinter) print() {
	fmt.Fprintf(p.w, "%s %s %s/%s\n", p.verb, p.what, HumanSize(p.complete), HumanSize(p.total))
	p.last, p.printed = time.Now(), true
}

// shortDigest renders a digest as "sha256:" and 12 hex digits and "…".
func shortDigest(h v1.Hash) string {
	if len(h.Hex) <= 12 {
		return h.String()
	}
	return h.Algorithm + ":" + h.Hex[:12] + "…"
}

// HumanSize renders a byte count in binary units: "512 B", "1.2 MiB".
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
