package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// maxCached bounds the per-digest caches; past it they start over.
const maxCached = 4096

// referrersTag matches the tags of the OCI referrers tag schema (and
// cosign's sha256-<hex>.sig and friends): they are no module versions.
var referrersTag = regexp.MustCompile(`^sha256-[0-9a-f]{64}(\..*)?$`)

// catalog reads modules from the registry's storage, through
// distribution's storage API on its own driver over the same directory.
type catalog struct {
	driver storagedriver.StorageDriver
	ns     distribution.Namespace

	mu      sync.Mutex
	metas   map[digest.Digest]*imageMeta
	readmes map[digest.Digest]string // referrers index digest -> README
}

func newCatalog(dir string) (*catalog, error) {
	d, err := filesystem.FromParameters(map[string]any{"rootdirectory": dir})
	if err != nil {
		return nil, fmt.Errorf("hub: storage: %w", err)
	}
	ns, err := storage.NewRegistry(context.Background(), d)
	if err != nil {
		return nil, fmt.Errorf("hub: storage: %w", err)
	}
	return &catalog{driver: d, ns: ns, metas: map[digest.Digest]*imageMeta{}, readmes: map[digest.Digest]string{}}, nil
}

// repositories lists every repository name, sorted.
func (c *catalog) repositories(ctx context.Context) ([]string, error) {
	e, ok := c.ns.(distribution.RepositoryEnumerator)
	if !ok {
		return nil, errors.New("hub: storage cannot list repositories")
	}
	var names []string
	err := e.Enumerate(ctx, func(name string) error {
		names = append(names, name)
		return nil
	})
	var notFound storagedriver.PathNotFoundError
	if err != nil && !errors.As(err, &notFound) {
		return nil, fmt.Errorf("hub: list repositories: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// tagRef is one tag of a repository and what it points at.
type tagRef struct {
	name    string
	digest  digest.Digest
	updated time.Time
}

// repo is an open repository with its tags, newest first.
type repo struct {
	name    string
	r       distribution.Repository
	tags    []tagRef
	refTags map[string]digest.Digest // referrers tag schema: tag -> index digest
}

// openRepo reads a repository's tags; nil (no error) when it has none.
func (c *catalog) openRepo(ctx context.Context, name string) (*repo, error) {
	named, err := reference.WithName(name)
	if err != nil {
		return nil, nil
	}
	r, err := c.ns.Repository(ctx, named)
	if err != nil {
		return nil, fmt.Errorf("hub: repository %s: %w", name, err)
	}
	ts := r.Tags(ctx)
	all, err := ts.All(ctx)
	var unknown distribution.ErrRepositoryUnknown
	if errors.As(err, &unknown) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: tags of %s: %w", name, err)
	}
	rp := &repo{name: name, r: r, refTags: map[string]digest.Digest{}}
	for _, t := range all {
		desc, err := ts.Get(ctx, t)
		if err != nil {
			continue // untagged in between
		}
		if referrersTag.MatchString(t) {
			rp.refTags[t] = desc.Digest
			continue
		}
		tr := tagRef{name: t, digest: desc.Digest}
		if fi, err := c.driver.Stat(ctx, tagLinkPath(name, t)); err == nil {
			tr.updated = fi.ModTime().UTC()
		}
		rp.tags = append(rp.tags, tr)
	}
	if len(rp.tags) == 0 {
		return nil, nil
	}
	sort.SliceStable(rp.tags, func(i, j int) bool {
		a, b := rp.tags[i], rp.tags[j]
		if !a.updated.Equal(b.updated) {
			return a.updated.After(b.updated)
		}
		return a.name > b.name
	})
	return rp, nil
}

// tagLinkPath is where distribution's storage keeps a tag's current
// manifest link; its modification time is when the tag was last pushed.
func tagLinkPath(repo, tag string) string {
	return "/docker/registry/v2/repositories/" + repo + "/_manifests/tags/" + tag + "/current/link"
}

// latest is the tag a module is summarized by: "latest" if there is one,
// else the most recently pushed.
func (rp *repo) latest() tagRef {
	for _, t := range rp.tags {
		if t.name == "latest" {
			return t
		}
	}
	return rp.tags[0]
}

// meta returns what a manifest describes, from the cache when it can, with
// a README attached through the referrers tag schema when the image carries
// none itself.
func (c *catalog) meta(ctx context.Context, rp *repo, dgst digest.Digest) (*imageMeta, error) {
	c.mu.Lock()
	m, ok := c.metas[dgst]
	c.mu.Unlock()
	if !ok {
		var err error
		if m, err = readImage(ctx, repoSource{rp.r}, dgst); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if len(c.metas) >= maxCached {
			c.metas = map[digest.Digest]*imageMeta{}
		}
		c.metas[dgst] = m
		c.mu.Unlock()
	}
	if m.readmeSource == "layer" {
		return m, nil
	}
	idx, ok := rp.refTags[dgst.Algorithm().String()+"-"+dgst.Encoded()]
	if !ok {
		return m, nil
	}
	readme := c.referrerReadme(ctx, rp, idx)
	if readme == "" {
		return m, nil
	}
	cp := *m
	cp.readme, cp.readmeSource = readme, "referrer"
	return &cp, nil
}

// referrerReadme reads the README of the first referrer in a referrers
// index that carries one, cached by the index's digest. Errors only mean
// no README.
func (c *catalog) referrerReadme(ctx context.Context, rp *repo, idx digest.Digest) string {
	c.mu.Lock()
	readme, ok := c.readmes[idx]
	c.mu.Unlock()
	if ok {
		return readme
	}
	src := repoSource{rp.r}
	if _, payload, err := src.manifest(ctx, idx); err == nil {
		var index manifest
		_ = json.Unmarshal(payload, &index)
		for _, d := range index.Manifests {
			if readme = referrerDoc(ctx, src, d); readme != "" {
				break
			}
		}
	}
	c.mu.Lock()
	if len(c.readmes) >= maxCached {
		c.readmes = map[digest.Digest]string{}
	}
	c.readmes[idx] = readme
	c.mu.Unlock()
	return readme
}

// referrerDoc reads the README layer of one referrer artifact.
func referrerDoc(ctx context.Context, src blobSource, d descriptor) string {
	_, payload, err := src.manifest(ctx, d.Digest)
	if err != nil {
		return ""
	}
	var m manifest
	if json.Unmarshal(payload, &m) != nil {
		return ""
	}
	l := pickReadme(m.Layers)
	if l == nil || l.Size > maxReadme {
		return ""
	}
	b, err := src.blob(ctx, l.Digest, l.Size, maxReadme)
	if err != nil {
		return ""
	}
	return string(b)
}

// repoSource reads manifests and blobs of a repository in storage.
type repoSource struct{ r distribution.Repository }

func (s repoSource) manifest(ctx context.Context, dgst digest.Digest) (string, []byte, error) {
	ms, err := s.r.Manifests(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("hub: manifests: %w", err)
	}
	m, err := ms.Get(ctx, dgst)
	if err != nil {
		return "", nil, fmt.Errorf("hub: manifest %s: %w", dgst, err)
	}
	mt, payload, err := m.Payload()
	if err != nil {
		return "", nil, fmt.Errorf("hub: manifest %s: %w", dgst, err)
	}
	return mt, payload, nil
}

func (s repoSource) blob(ctx context.Context, dgst digest.Digest, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, fmt.Errorf("hub: blob %s: %d bytes, more than %d", dgst, size, limit)
	}
	rc, err := s.open(ctx, dgst)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(rc, limit+1)); err != nil {
		return nil, fmt.Errorf("hub: blob %s: %w", dgst, err)
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("hub: blob %s: more than %d bytes", dgst, limit)
	}
	return buf.Bytes(), nil
}

func (s repoSource) open(ctx context.Context, dgst digest.Digest) (io.ReadCloser, error) {
	rc, err := s.r.Blobs(ctx).Open(ctx, dgst)
	if err != nil {
		return nil, fmt.Errorf("hub: blob %s: %w", dgst, err)
	}
	return rc, nil
}
