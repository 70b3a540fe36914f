package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

var (
	wasmMagic = []byte{0x00, 'a', 's', 'm'}
	gzipMagic = []byte{0x1f, 0x8b}
)

// getHTTP fetches an http(s) URL; want is the expected module sha256.
func (f *Fetcher) getHTTP(ctx context.Context, rawURL, want string, opts Options) (*Module, error) {
	if opts.PullPolicy != Always || opts.CacheOnly {
		if m, ok := f.lookup(rawURL, want, false); ok {
			return m, nil
		}
	}
	if opts.CacheOnly {
		return nil, notCached(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("fetch: %s: invalid URL", rawURL)
	}
	client := f.client
	insecure := insecureHost(u.Host, opts)
	if insecure && u.Scheme == "https" {
		if t, ok := transportOf(client).(*http.Transport); ok {
			t = t.Clone()
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // an insecure host, as configured
			client = &http.Client{Transport: t, CheckRedirect: client.CheckRedirect, Jar: client.Jar}
		}
	}
	var body []byte
	err = retry(ctx, opts, func() error {
		b, err := download(ctx, client, rawURL, opts.MaxSize)
		if isPlainHTTPAnswer(err) && insecure && u.Scheme == "https" {
			// istio-agent retries an insecure host without TLS.
			b, err = download(ctx, client, "http://"+strings.TrimPrefix(rawURL, u.Scheme+"://"), opts.MaxSize)
		}
		body = b
		return err
	})
	if err != nil {
		return nil, err
	}
	wasm, err := unwrap(body, opts.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	got := sum(wasm)
	if want != "" && got != want {
		me := &MismatchError{URL: rawURL, What: "module sha256", Got: got, Want: want}
		if b := sum(body); b != got {
			me.Note = "the sha256 of the module after unwrapping, as Istio checks it; the body's is " + b
		}
		return nil, me
	}
	m := &Module{Wasm: wasm, Digest: got, Fetched: f.now()}
	f.store(rawURL, m)
	return m, nil
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// download GETs rawURL, reading at most max bytes.
func download(ctx context.Context, c *http.Client, rawURL string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, permanent(fmt.Errorf("fetch: %s: %w", rawURL, err))
	}
	req.Header.Set("User-Agent", "wasmesh")
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, permanent(fmt.Errorf("fetch: %w", err))
		}
		return nil, fmt.Errorf("fetch: %w", err) // *url.Error names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("fetch: %s: %s", rawURL, resp.Status)
		if !retryableStatus(resp.StatusCode) {
			err = permanent(err)
		}
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	if int64(len(b)) > max {
		return nil, permanent(fmt.Errorf("fetch: %s: body over the %d-byte limit", rawURL, max))
	}
	return b, nil
}

// unwrap returns the module in b: b itself, or the content of gzip, tar
// or tar.gz wrapping (Istio's unboxIfPossible). A tar must hold only the
// plugin (directory entries aside).
func unwrap(b []byte, max int64) ([]byte, error) {
	for range 4 {
		switch {
		case bytes.HasPrefix(b, wasmMagic):
			return b, nil
		case bytes.HasPrefix(b, gzipMagic):
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("gzip body: %w", err)
			}
			if b, err = readCapped(zr, max); err != nil {
				return nil, fmt.Errorf("gzip body: %w", err)
			}
		case len(b) > 262 && string(b[257:262]) == "ustar":
			var err error
			if b, err = tarFile(b, max); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New("not a Wasm module (no \\0asm magic number), nor gzip or tar holding one")
		}
	}
	return nil, errors.New("too many nested gzip/tar layers")
}

func tarFile(b []byte, max int64) ([]byte, error) {
	tr := tar.NewReader(bytes.NewReader(b))
	var name string
	var out []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("tar body: %w", err)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if name != "" || h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("tar body must hold only the plugin; it also holds %s", h.Name)
		}
		name = h.Name
		if out, err = readCapped(tr, max); err != nil {
			return nil, fmt.Errorf("tar body: %s: %w", h.Name, err)
		}
	}
	if name == "" {
		return nil, errors.New("tar body holds no file")
	}
	return out, nil
}

func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("over the %d-byte limit", max)
	}
	return b, nil
}

// getFile reads file:///path (file://relative/path is relative to the
// working directory). Files are not cached: reading them is the cache.
func (f *Fetcher) getFile(rawURL, want string, opts Options) (*Module, error) {
	path := rawURL[strings.Index(rawURL, "://")+3:]
	if after, ok := strings.CutPrefix(path, "localhost/"); ok {
		path = "/" + after
	}
	if u, err := url.Parse("file://" + path); err == nil && strings.HasPrefix(path, "/") {
		path = u.Path
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	if st.Size() > opts.MaxSize {
		return nil, fmt.Errorf("fetch: %s: %d bytes, over the %d-byte limit", rawURL, st.Size(), opts.MaxSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	wasm, err := unwrap(b, opts.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", rawURL, err)
	}
	got := sum(wasm)
	if want != "" && got != want {
		return nil, &MismatchError{URL: rawURL, What: "module sha256", Got: got, Want: want}
	}
	return &Module{Wasm: wasm, Digest: got, Fetched: st.ModTime().Truncate(time.Second)}, nil
}
