package oci

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Store is the local image store: an OCI image layout directory whose
// index.json maps names ("registry/repo:tag", or "registry/repo@sha256:…")
// to manifest digests, one descriptor per name, the name in the
// org.opencontainers.image.ref.name annotation. Blobs no name reaches are
// deleted when a name is removed or moved.
//
// A Store is safe for concurrent use within a process. Separate processes
// sharing a directory each replace index.json atomically, so the file is
// never torn, but one's update can hide the other's.
type Store struct {
	dir  string
	path layout.Path
	mu   sync.Mutex
}

// Entry is one name in the store, as List reports it. Ref is the fully
// qualified name, except that Docker Hub names are shortened as docker
// shows them ("x:1" for index.docker.io/library/x:1).
type Entry struct {
	Ref         string    `json:"ref"`
	Digest      v1.Hash   `json:"digest"`
	Size        int64     `json:"size"` // manifest, config and layers, each blob once
	Created     time.Time `json:"created,omitzero"`
	ABIVersions []string  `json:"abiVersions,omitempty"`
	RootIDs     []string  `json:"rootIds,omitempty"`
	Language    string    `json:"language,omitempty"`
}

// DefaultStoreDir is $WASMESH_HOME/store, else $HOME/.wasmesh/store.
func DefaultStoreDir() string {
	if d := os.Getenv("WASMESH_HOME"); d != "" {
		return filepath.Join(d, "store")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".wasmesh", "store")
	}
	return filepath.Join(home, ".wasmesh", "store")
}

// OpenStore opens the store in dir, creating an empty one if needed.
func OpenStore(dir string) (*Store, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.json")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, errorf("create store: %w", err)
		}
		if _, err := layout.Write(dir, empty.Index); err != nil {
			return nil, errorf("create store %s: %w", dir, err)
		}
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, errorf("open store %s: %w", dir, err)
	}
	return &Store{dir: dir, path: p}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Put writes img to the store under ref (replacing what ref named) and
// returns the manifest digest.
func (s *Store) Put(ref string, img v1.Image) (v1.Hash, error) {
	norm, isDigest, err := normalizeRef(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	desc, err := s.writeImage(img)
	if err != nil {
		return v1.Hash{}, errorf("store %s: %w", ref, err)
	}
	if isDigest && !strings.HasSuffix(norm, "@"+desc.Digest.String()) {
		return v1.Hash{}, errorf("store %s: the image's digest is %s", ref, desc.Digest)
	}
	err = s.update(func(idx *v1.IndexManifest) error {
		idx.Manifests = setRef(idx.Manifests, norm, desc)
		return nil
	})
	if err != nil {
		return v1.Hash{}, err
	}
	return desc.Digest, nil
}

// Get returns the image ref names. ref is a tag reference, a digest
// reference (repo@sha256:…), or a bare digest (sha256:…); a digest finds
// the image whatever name it is stored under. A ref naming nothing is a
// *NotFoundError.
func (s *Store) Get(ref string) (v1.Image, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc, err := s.find(ref)
	if err != nil {
		return nil, err
	}
	img, err := s.path.Image(desc.Digest)
	if err != nil {
		return nil, errorf("read %s (%s) from the store: %w", ref, desc.Digest, err)
	}
	return img, nil
}

// List returns the store's names, sorted.
func (s *Store) List() ([]Entry, error) {
	s.mu.Lock()
	idx, err := s.readIndex()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		e, err := s.entry(d)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Ref, b.Ref) })
	return entries, nil
}

// Tag gives the image src names the name dst too (replacing what dst
// named). dst must be a tag reference.
func (s *Store) Tag(src, dst string) error {
	norm, isDigest, err := normalizeRef(dst)
	if err != nil {
		return err
	}
	if isDigest {
		return errorf("tag %s: the new name must be a tag, not a digest", dst)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	desc, err := s.find(src)
	if err != nil {
		return err
	}
	return s.update(func(idx *v1.IndexManifest) error {
		idx.Manifests = setRef(idx.Manifests, norm, desc)
		return nil
	})
}

// Remove deletes the name ref, or with a digest every name of that image,
// and deletes the blobs no other name uses.
func (s *Store) Remove(ref string) error {
	norm, isDigest, err := normalizeRef(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(func(idx *v1.IndexManifest) error {
		kept := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if !matches(d, norm, isDigest) {
				kept = append(kept, d)
			}
		}
		if len(kept) == len(idx.Manifests) {
			return &NotFoundError{Ref: ref, Where: "store"}
		}
		idx.Manifests = kept
		return nil
	})
}

// normalizeRef returns the stored form of ref: the fully qualified name,
// or "sha256:…" for a bare digest; isDigest reports a digest reference.
func normalizeRef(ref string) (norm string, isDigest bool, err error) {
	if strings.HasPrefix(ref, "sha256:") {
		if _, err := v1.NewHash(ref); err != nil {
			return "", false, errorf("invalid digest %q: %w", ref, err)
		}
		return ref, true, nil
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", false, errorf("invalid reference %q: %w", ref, err)
	}
	_, isDigest = r.(name.Digest)
	return r.Name(), isDigest, nil
}

// familiar shortens Docker Hub names as docker does: "x:1" for
// index.docker.io/library/x:1, "o/x:1" for index.docker.io/o/x:1.
func familiar(norm string) string {
	rest, ok := strings.CutPrefix(norm, name.DefaultRegistry+"/")
	if !ok {
		return norm
	}
	if short, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(short, "/") {
		return short
	}
	return rest
}

// matches reports whether d is named norm; a digest reference matches
// every name of the image.
func matches(d v1.Descriptor, norm string, isDigest bool) bool {
	if isDigest {
		return strings.HasSuffix(norm, d.Digest.String())
	}
	return d.Annotations[AnnotationRefName] == norm
}

// find returns the descriptor ref names.
func (s *Store) find(ref string) (v1.Descriptor, error) {
	norm, isDigest, err := normalizeRef(ref)
	if err != nil {
		return v1.Descriptor{}, err
	}
	idx, err := s.readIndex()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range idx.Manifests {
		if matches(d, norm, isDigest) {
			return d, nil
		}
	}
	return v1.Descriptor{}, &NotFoundError{Ref: ref, Where: "store"}
}

// setRef points name at desc, replacing any descriptor of that name.
func setRef(ds []v1.Descriptor, norm string, desc v1.Descriptor) []v1.Descriptor {
	ds = slices.DeleteFunc(ds, func(d v1.Descriptor) bool { return d.Annotations[AnnotationRefName] == norm })
	return append(ds, v1.Descriptor{
		MediaType:   desc.MediaType,
		Size:        desc.Size,
		Digest:      desc.Digest,
		Annotations: map[string]string{AnnotationRefName: norm},
	})
}

// entry reads what List reports about one descriptor.
func (s *Store) entry(d v1.Descriptor) (Entry, error) {
	e := Entry{Ref: familiar(d.Annotations[AnnotationRefName]), Digest: d.Digest, Size: d.Size}
	img, err := s.path.Image(d.Digest)
	if err != nil {
		return e, errorf("read %s from the store: %w", e.Ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return e, errorf("read %s from the store: %w", e.Ref, err)
	}
	seen := map[v1.Hash]bool{}
	for _, b := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if !seen[b.Digest] {
			seen[b.Digest] = true
			e.Size += b.Size
		}
	}
	e.Language = m.Annotations[AnnotationLanguage]
	if t, err := time.Parse(time.RFC3339, m.Annotations[AnnotationCreated]); err == nil {
		e.Created = t
	} else if m.Config.MediaType == types.OCIConfigJSON || m.Config.MediaType == types.DockerConfigJSON {
		if cf, err := img.ConfigFile(); err == nil {
			e.Created = cf.Created.Time
		}
	}
	if _, rc, err := ExtractWasm(img); err == nil && rc != nil {
		e.ABIVersions, e.RootIDs = rc.ABIVersions, rc.RootIDs
	}
	if len(e.ABIVersions) == 0 {
		e.ABIVersions = splitList(m.Annotations[AnnotationABIVersion])
	}
	return e, nil
}
