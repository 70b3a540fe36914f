package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Config configures a Fetcher.
type Config struct {
	// Dir is the cache directory; modules go to Dir/modules. "" keeps
	// nothing: every Fetch goes to the source.
	Dir string
	// Expiry is how long a cache entry is used after it was fetched from
	// its source; 0 means DefaultExpiry.
	Expiry time.Duration
	// HTTPClient fetches http(s):// URLs; nil means a client with the
	// default transport.
	HTTPClient *http.Client
}

// Fetcher fetches modules and caches them. It is safe for concurrent use;
// several processes may share a cache directory (files are replaced
// atomically; concurrent index updates may lose an entry, which only
// costs a download).
type Fetcher struct {
	dir    string // Dir/modules, or ""
	expiry time.Duration
	client *http.Client
	now    func() time.Time

	mu sync.Mutex // guards the index

	flightMu sync.Mutex
	flights  map[string]*flight // fetches in progress, by URL
}

// flight serializes the fetches of one URL, so concurrent fetches of a
// module download it once and the others find it cached.
type flight struct {
	sem chan struct{}
	n   int
}

// lockURL waits for the other fetches of url; the returned func releases.
func (f *Fetcher) lockURL(ctx context.Context, url string) (func(), error) {
	if f.dir == "" {
		return func() {}, nil
	}
	f.flightMu.Lock()
	fl := f.flights[url]
	if fl == nil {
		fl = &flight{sem: make(chan struct{}, 1)}
		f.flights[url] = fl
	}
	fl.n++
	f.flightMu.Unlock()
	done := func() {
		f.flightMu.Lock()
		if fl.n--; fl.n == 0 {
			delete(f.flights, url)
		}
		f.flightMu.Unlock()
	}
	select {
	case fl.sem <- struct{}{}:
		return func() { <-fl.sem; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// entry is the index record of one URL.
type entry struct {
	Module  string    `json:"module"`          // hex sha256 of the module
	Image   string    `json:"image,omitempty"` // oci manifest digest
	Fetched time.Time `json:"fetched"`         // from the source
	Used    time.Time `json:"used"`            // last returned
}

type index struct {
	Entries map[string]entry `json:"entries"`
}

// New opens (creating) the cache and purges expired entries.
func New(cfg Config) (*Fetcher, error) {
	f := &Fetcher{expiry: cfg.Expiry, client: cfg.HTTPClient, now: time.Now, flights: map[string]*flight{}}
	if f.expiry <= 0 {
		f.expiry = DefaultExpiry
	}
	if f.client == nil {
		f.client = &http.Client{}
	}
	if cfg.Dir != "" {
		f.dir = filepath.Join(cfg.Dir, "modules")
		if err := os.MkdirAll(f.dir, 0o755); err != nil {
			return nil, fmt.Errorf("fetch: cache: %w", err)
		}
		if err := f.Purge(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Dir returns the directory holding the cached modules ("" without a
// cache).
func (f *Fetcher) Dir() string { return f.dir }

func (f *Fetcher) indexPath() string { return filepath.Join(f.dir, "index.json") }

func (f *Fetcher) modulePath(digest string) string { return filepath.Join(f.dir, digest+".wasm") }

// load reads the index; a missing or corrupt index is an empty one.
func (f *Fetcher) load() index {
	idx := index{Entries: map[string]entry{}}
	b, err := os.ReadFile(f.indexPath())
	if err == nil {
		_ = json.Unmarshal(b, &idx)
	}
	if idx.Entries == nil {
		idx.Entries = map[string]entry{}
	}
	return idx
}

func (f *Fetcher) save(idx index) error {
	b, err := json.MarshalIndent(idx, "", " ")
	if err != nil {
		return err
	}
	return writeAtomic(f.indexPath(), b)
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// readModule returns the cached module of digest, checking its hash; a
// damaged file is removed.
func (f *Fetcher) readModule(digest string) ([]byte, bool) {
	if f.dir == "" || digest == "" {
		return nil, false
	}
	b, err := os.ReadFile(f.modulePath(digest))
	if err != nil {
		return nil, false
	}
	if sum(b) != digest {
		os.Remove(f.modulePath(digest))
		return nil, false
	}
	return b, true
}

// lookup finds an unexpired entry for url, or else (when digest is set)
// one whose manifest digest (image true) or module digest equals digest,
// and returns its module. It records the use.
func (f *Fetcher) lookup(url, digest string, image bool) (*Module, bool) {
	if f.dir == "" {
		return nil, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.load()
	now := f.now()
	fresh := func(e entry) bool { return now.Sub(e.Fetched) < f.expiry }
	match := func(e entry) bool {
		if digest == "" {
			return true
		}
		if image {
			return e.Image == "sha256:"+digest
		}
		return e.Module == digest
	}
	key := url
	e, ok := idx.Entries[url]
	ok = ok && fresh(e) && match(e)
	if !ok && digest != "" {
		for k, c := range idx.Entries {
			if fresh(c) && match(c) {
				key, e, ok = k, c, true
				break
			}
		}
	}
	if !ok {
		return nil, false
	}
	b, found := f.readModule(e.Module)
	if !found {
		return nil, false
	}
	e.Used = now
	idx.Entries[key] = e
	idx.Entries[url] = e // the URL now names this module too
	_ = f.save(idx)
	return &Module{Wasm: b, Digest: e.Module, ImageDigest: e.Image, FromCache: true, Fetched: e.Fetched}, true
}

// byImage returns the cached module of an oci manifest digest, whatever
// the age of its entry (the digest was just resolved, so the content is
// current), and records url → it.
func (f *Fetcher) byImage(url, imageDigest string) (*Module, bool) {
	if f.dir == "" {
		return nil, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.load()
	for _, e := range idx.Entries {
		if e.Image != imageDigest {
			continue
		}
		b, ok := f.readModule(e.Module)
		if !ok {
			continue
		}
		now := f.now()
		idx.Entries[url] = entry{Module: e.Module, Image: imageDigest, Fetched: now, Used: now}
		_ = f.save(idx)
		return &Module{Wasm: b, Digest: e.Module, ImageDigest: imageDigest, FromCache: true, Fetched: now}, true
	}
	return nil, false
}

// store writes a fetched module and its index entry. A cache that
// cannot be written is not an error: the module was fetched.
func (f *Fetcher) store(url string, m *Module) {
	if f.dir == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := os.Stat(f.modulePath(m.Digest)); err != nil {
		if writeAtomic(f.modulePath(m.Digest), m.Wasm) != nil {
			return
		}
	}
	idx := f.load()
	idx.Entries[url] = entry{Module: m.Digest, Image: m.ImageDigest, Fetched: m.Fetched, Used: m.Fetched}
	_ = f.save(idx)
}

// Purge removes expired index entries and the modules no remaining entry
// references (istio-agent's WASM_PURGE_INTERVAL pass).
func (f *Fetcher) Purge() error {
	if f.dir == "" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.load()
	now := f.now()
	keep := map[string]bool{}
	for k, e := range idx.Entries {
		if now.Sub(e.Fetched) >= f.expiry {
			delete(idx.Entries, k)
			continue
		}
		keep[e.Module] = true
	}
	if err := f.save(idx); err != nil {
		return fmt.Errorf("fetch: cache %s: %w", f.dir, err)
	}
	files, err := os.ReadDir(f.dir)
	if err != nil {
		return fmt.Errorf("fetch: cache %s: %w", f.dir, err)
	}
	for _, de := range files {
		name := de.Name()
		if d, ok := strings.CutSuffix(name, ".wasm"); ok && !keep[d] {
			if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("fetch: cache %s: %w", f.dir, err)
			}
		}
	}
	return nil
}
