package build

import (
	"errors"
	"os"
	"path/filepath"
)

// ImageMeta is what wasmesh build records in an image: the fields of
// oci.ImageMeta.
type ImageMeta struct {
	ABIVersions []string
	RootIDs     []string
	Language    string
	Revision    string
}

// RuntimeConfig is an image's runtime configuration, as oci.ExtractWasm
// returns it.
type RuntimeConfig struct {
	Type        string
	ABIVersions []string
	RootIDs     []string
}

// ImageStore is the local image store as build, inspect and validate use
// it. Package oci provides it (oci.OpenStore, oci.NewImage, Store.Put,
// Store.Get, oci.ExtractWasm); an adapter in this package's oci file sets
// OpenStoreFunc and DefaultStoreDirFunc.
type ImageStore interface {
	// Put packages a module as an image in format ("oci" or "compat"),
	// stores it under ref and returns the image's digest.
	Put(ref string, wasm []byte, meta ImageMeta, format string) (digest string, err error)
	// Get returns the module and runtime configuration of the image ref.
	Get(ref string) (wasm []byte, cfg *RuntimeConfig, err error)
}

// The image store hooks. Nil until an image store is linked in; tests set
// them to a fake.
var (
	OpenStoreFunc       func(dir string) (ImageStore, error)
	DefaultStoreDirFunc func() string
)

// ErrNoStore is returned by OpenStore while no image store is linked in.
var ErrNoStore = errors.New("build: no image store: package oci is not linked into this binary yet (use -o FILE to write the module)")

// OpenStore opens the image store in dir.
func OpenStore(dir string) (ImageStore, error) {
	if OpenStoreFunc == nil {
		return nil, ErrNoStore
	}
	return OpenStoreFunc(dir)
}

// DefaultStoreDir is the store's default location: the image store's own
// default when one is linked in, else $WASMESH_HOME/store or
// ~/.wasmesh/store.
func DefaultStoreDir() string {
	if DefaultStoreDirFunc != nil {
		return DefaultStoreDirFunc()
	}
	if d := os.Getenv("WASMESH_HOME"); d != "" {
		return filepath.Join(d, "store")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".wasmesh", "store")
	}
	return ""
}
