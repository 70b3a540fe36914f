// Package templates holds the projects wasmesh init scaffolds, one
// directory per language, embedded in the binary. Every file is a
// text/template with the delimiters <% %> (so Go, Rust, C and TOML braces
// need no escaping), named with a .tmpl suffix that is dropped on output
// (so the Go tool never treats a template as part of this module).
package templates

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

//go:embed all:go all:assemblyscript all:c all:rust all:cpp all:tinygo
var files embed.FS

// WasmeshVersion is the github.com/wasmesh/wasmesh version generated Go
// projects require when no local checkout is given.
const WasmeshVersion = "v0.1.0"

// GoVersion is the go directive of generated go.mod files: the one this
// module needs (go.mod), since generated projects build against it.
const GoVersion = "1.26.0"

// Data parametrises a template.
type Data struct {
	// Name is the project name (the directory's base name, sanitised).
	Name string
	// Module is the Go module path of generated Go code.
	Module string
	// RootID is the plugin's root id.
	RootID string
	// WasmeshVersion is the wasmesh version go.mod requires.
	WasmeshVersion string
	// WasmeshSrc, when set, is the absolute path of a wasmesh checkout that
	// go.mod replaces github.com/wasmesh/wasmesh with.
	WasmeshSrc string
	// GoVersion is the go directive of generated go.mod files.
	GoVersion string
	// Requires are the checkout's own requirements ("path version"),
	// written as indirect requirements next to the replace so the project
	// builds without go mod tidy (and offline, from the module cache).
	Requires []string
}

// Languages returns the languages with a template.
func Languages() []string {
	entries, _ := fs.ReadDir(files, ".")
	var langs []string
	for _, e := range entries {
		langs = append(langs, e.Name())
	}
	return langs
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9_-]+`)

// NewData returns the data for a project in dir: name and module from the
// directory, and, when wasmeshSrc is a wasmesh checkout, its absolute path
// and requirements.
func NewData(dir, rootID, wasmeshSrc string) (Data, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Data{}, fmt.Errorf("templates: %w", err)
	}
	name := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(filepath.Base(abs)), "-"), "-")
	if name == "" {
		name = "filter"
	}
	d := Data{Name: name, Module: name, RootID: rootID, WasmeshVersion: WasmeshVersion, GoVersion: GoVersion}
	if wasmeshSrc != "" {
		if d.WasmeshSrc, err = filepath.Abs(wasmeshSrc); err != nil {
			return Data{}, fmt.Errorf("templates: %w", err)
		}
		if d.Requires, err = checkoutRequires(d.WasmeshSrc); err != nil {
			return Data{}, err
		}
		d.WasmeshVersion = "v0.0.0-00010101000000-000000000000"
	}
	return d, nil
}

// checkoutRequires reads the requirements of the checkout's go.mod and
// checks that it is github.com/wasmesh/wasmesh.
func checkoutRequires(src string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("templates: --wasmesh-src: %w", err)
	}
	var reqs []string
	inBlock, isWasmesh := false, false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(strings.SplitN(sc.Text(), "//", 2)[0])
		switch {
		case line == "module github.com/wasmesh/wasmesh":
			isWasmesh = true
		case line == "require (":
			inBlock = true
		case inBlock && line == ")":
			inBlock = false
		case inBlock && line != "":
			reqs = append(reqs, line)
		case strings.HasPrefix(line, "require "):
			reqs = append(reqs, strings.TrimSpace(strings.TrimPrefix(line, "require ")))
		}
	}
	if !isWasmesh {
		return nil, fmt.Errorf("templates: --wasmesh-src %s is not a github.com/wasmesh/wasmesh checkout", src)
	}
	return reqs, nil
}

// ErrExists is wrapped by Render's error when it would overwrite a file.
var ErrExists = errors.New("file exists")

// Render writes the template of lang into dir and returns the files written,
// relative to dir. It never overwrites a file. A Go project generated with
// WasmeshSrc also gets the checkout's go.sum.
func Render(lang, dir string, d Data) ([]string, error) {
	root := path.Clean(lang)
	if _, err := fs.Stat(files, root); err != nil {
		return nil, fmt.Errorf("templates: no template for %q (have %s)", lang, strings.Join(Languages(), ", "))
	}
	type out struct {
		rel  string
		data []byte
		mode os.FileMode
	}
	var outs []out
	err := fs.WalkDir(files, root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		src, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Delims("<%", "%>").Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("templates: %s: %w", p, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return fmt.Errorf("templates: %s: %w", p, err)
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		mode := os.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		outs = append(outs, out{rel, b.Bytes(), mode})
		if d.WasmeshSrc != "" && path.Base(rel) == "go.mod" {
			sum, err := os.ReadFile(filepath.Join(d.WasmeshSrc, "go.sum"))
			if err != nil {
				return fmt.Errorf("templates: --wasmesh-src: %w", err)
			}
			outs = append(outs, out{path.Join(path.Dir(rel), "go.sum"), sum, 0o644})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, o := range outs {
		if _, err := os.Stat(filepath.Join(dir, o.rel)); err == nil {
			return nil, fmt.Errorf("templates: %s: %w", filepath.Join(dir, o.rel), ErrExists)
		}
	}
	var written []string
	for _, o := range outs {
		p := filepath.Join(dir, filepath.FromSlash(o.rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return written, fmt.Errorf("templates: %w", err)
		}
		if err := os.WriteFile(p, o.data, o.mode); err != nil {
			return written, fmt.Errorf("templates: %w", err)
		}
		written = append(written, o.rel)
	}
	return written, nil
}
