package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// readIndex reads index.json.
func (s *Store) readIndex() (*v1.IndexManifest, error) {
	f, err := os.Open(filepath.Join(s.dir, "index.json"))
	if err != nil {
		return nil, errorf("read store index: %w", err)
	}
	defer f.Close()
	idx, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, errorf("read store index %s: %w", f.Name(), err)
	}
	return idx, nil
}

// update applies change to index.json, replaces the file atomically, and
// deletes the blobs the index no longer reaches. Callers hold s.mu.
func (s *Store) update(change func(*v1.IndexManifest) error) error {
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	if err := change(idx); err != nil {
		return err
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return errorf("encode store index: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(s.dir, "index.json"), data); err != nil {
		return errorf("write store index: %w", err)
	}
	return s.gc(idx)
}

// writeImage writes the manifest, config and layers of img as blobs and
// returns the manifest's descriptor.
func (s *Store) writeImage(img v1.Image) (v1.Descriptor, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Descriptor{}, err
	}
	if err := s.writeBlob(m.Config.Digest, bytes.NewReader(cfg)); err != nil {
		return v1.Descriptor{}, err
	}
	for _, l := range m.Layers {
		if l.Digest == m.Config.Digest {
			continue
		}
		if err := s.copyLayer(img, l.Digest); err != nil {
			return v1.Descriptor{}, err
		}
	}
	d, _, _ := v1.SHA256(bytes.NewReader(raw))
	if err := s.writeBlob(d, bytes.NewReader(raw)); err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: int64(len(raw)), Digest: d}, nil
}

func (s *Store) copyLayer(img v1.Image, h v1.Hash) error {
	rc, err := openBlob(img, h)
	if err != nil {
		return err
	}
	defer rc.Close()
	return s.writeBlob(h, rc)
}

func (s *Store) blobPath(h v1.Hash) string {
	return filepath.Join(s.dir, "blobs", h.Algorithm, h.Hex)
}

// writeBlob writes r as blob h unless present, checking the digest.
func (s *Store) writeBlob(h v1.Hash, r io.Reader) error {
	p := s.blobPath(h)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+h.Hex[:min(12, len(h.Hex))]+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	hasher, err := v1.Hasher(h.Algorithm)
	if err != nil {
		tmp.Close()
		return err
	}
	_, err = io.Copy(io.MultiWriter(tmp, hasher), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	if got := fmt.Sprintf("%x", hasher.Sum(nil)); got != h.Hex {
		return fmt.Errorf("blob %s: content has digest %s:%s", h, h.Algorithm, got)
	}
	return os.Rename(tmp.Name(), p)
}

// gc deletes the blobs that no descriptor of idx reaches.
func (s *Store) gc(idx *v1.IndexManifest) error {
	keep := map[string]bool{}
	for _, d := range idx.Manifests {
		keep[d.Digest.String()] = true
		f, err := os.Open(s.blobPath(d.Digest))
		if err != nil {
			return errorf("gc: %w", err)
		}
		m, err := v1.ParseManifest(f)
		f.Close()
		if err != nil {
			return errorf("gc: manifest %s: %w", d.Digest, err)
		}
		keep[m.Config.Digest.String()] = true
		for _, l := range m.Layers {
			keep[l.Digest.String()] = true
		}
	}
	root := filepath.Join(s.dir, "blobs")
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".tmp-") {
			return err // leave other writers' temporary files alone
		}
		rel, _ := filepath.Rel(root, p)
		alg, hex := filepath.Split(rel)
		if !keep[filepath.Clean(alg)+":"+hex] {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errorf("gc: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data through a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
