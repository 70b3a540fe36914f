package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ModuleList is the answer of GET /api/modules?q=TEXT.
type ModuleList struct {
	// Query is the q parameter the list was filtered by.
	Query string `json:"query"`
	// Modules are the matching modules, sorted by name.
	Modules []Module `json:"modules"`
}

// Module summarizes one repository by its latest tag: the tag named
// "latest" if there is one, else the most recently pushed.
type Module struct {
	Name string `json:"name"`
	// Description is the README's first paragraph, as plain text.
	Description string `json:"description"`
	// Tags are the tag names, most recently pushed first.
	Tags      []string `json:"tags"`
	LatestTag string   `json:"latestTag"`
	// Digest is the latest tag's manifest digest.
	Digest string `json:"digest"`
	// Format is oci (the Wasm OCI artifact), compat, docker or other.
	Format string `json:"format"`
	// Size is the image's size: manifest, config and layers.
	Size int64 `json:"size"`
	// WasmSize is the size of the module itself, 0 when not known.
	WasmSize    int64     `json:"wasmSize"`
	ABIVersions []string  `json:"abiVersions"`
	RootIDs     []string  `json:"rootIds"`
	Language    string    `json:"language"`
	Updated     time.Time `json:"updated"`
	// Pull is the command that pulls the latest tag.
	Pull string `json:"pull"`
	// Error says why the latest tag could not be read, if it could not.
	Error string `json:"error,omitempty"`
}

// ModuleDetail is the answer of GET /api/modules/{name}: the summary, with
// every tag described in full in place of the tag names.
type ModuleDetail struct {
	Module
	Tags []Tag `json:"tags"`
}

// Tag is one tag of a module and the image it points at.
type Tag struct {
	Tag    string `json:"tag"`
	Digest string `json:"digest"`
	// MediaType is the manifest's media type.
	MediaType       string   `json:"mediaType"`
	ConfigMediaType string   `json:"configMediaType"`
	Format          string   `json:"format"`
	Size            int64    `json:"size"`
	WasmSize        int64    `json:"wasmSize"`
	Layers          []Layer  `json:"layers"`
	ABIVersions     []string `json:"abiVersions"`
	RootIDs         []string `json:"rootIds"`
	// RuntimeType is the runtime config's type (envoy_proxy).
	RuntimeType string            `json:"runtimeType"`
	Language    string            `json:"language"`
	Revision    string            `json:"revision"`
	Annotations map[string]string `json:"annotations"`
	Updated     time.Time         `json:"updated"`
	// Readme is the README's markdown text, empty if the image has none.
	Readme string `json:"readme"`
	// ReadmeSource says where the README came from: layer, referrer or
	// annotation.
	ReadmeSource string `json:"readmeSource"`
	// Pull is `wasmesh pull HOST/NAME:TAG`.
	Pull string `json:"pull"`
	// Deploy is `wasmesh deploy istio oci://HOST/NAME@DIGEST --name N`.
	Deploy string `json:"deploy"`
	// URL is the digest-pinned oci:// URL an Istio WasmPlugin takes.
	URL string `json:"url"`
	// WasmPlugin is an Istio WasmPlugin resource for this image, as YAML.
	WasmPlugin string `json:"wasmPlugin"`
	// Error says why the image could not be read, if it could not.
	Error string `json:"error,omitempty"`
}

// Layer is one layer of an image.
type Layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	// Title is the org.opencontainers.image.title annotation (a file name).
	Title string `json:"title,omitempty"`
}

// listModules serves GET /api/modules?q=TEXT.
func (s *Server) listModules(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	names, err := s.cat.repositories(ctx)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	list := ModuleList{Query: q, Modules: []Module{}}
	host := s.host(r)
	for _, name := range names {
		rp, err := s.cat.openRepo(ctx, name)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		if rp == nil {
			continue
		}
		m, _ := s.summary(ctx, rp, host)
		if matches(m, q) {
			list.Modules = append(list.Modules, m)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

// getModule serves GET /api/modules/{name...}.
func (s *Server) getModule(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := strings.Trim(r.PathValue("name"), "/")
	rp, err := s.cat.openRepo(ctx, name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if rp == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("hub: no module %q", name))
		return
	}
	host := s.host(r)
	m, _ := s.summary(ctx, rp, host)
	d := ModuleDetail{Module: m, Tags: make([]Tag, 0, len(rp.tags))}
	for _, t := range rp.tags {
		d.Tags = append(d.Tags, s.tag(ctx, rp, t, host))
	}
	writeJSON(w, http.StatusOK, d)
}

// summary describes a repository by its latest tag.
func (s *Server) summary(ctx context.Context, rp *repo, host string) (Module, *imageMeta) {
	lt := rp.latest()
	m := Module{
		Name:        rp.name,
		LatestTag:   lt.name,
		Digest:      lt.digest.String(),
		ABIVersions: []string{},
		RootIDs:     []string{},
		Pull:        "wasmesh pull " + host + "/" + rp.name + ":" + lt.name,
	}
	for _, t := range rp.tags {
		m.Tags = append(m.Tags, t.name)
		if t.updated.After(m.Updated) {
			m.Updated = t.updated
		}
	}
	meta, err := s.cat.meta(ctx, rp, lt.digest)
	if err != nil {
		m.Error = err.Error()
		return m, nil
	}
	m.Description = describe(meta.readme)
	m.Format, m.Size, m.WasmSize = meta.format, meta.size, meta.wasmSize
	m.ABIVersions, m.RootIDs = meta.abi, meta.rootIDs
	m.Language = meta.annotations[annLanguage]
	return m, meta
}

// tag describes one tag in full.
func (s *Server) tag(ctx context.Context, rp *repo, t tagRef, host string) Tag {
	url := "oci://" + host + "/" + rp.name + "@" + t.digest.String()
	name := pluginName(rp.name)
	out := Tag{
		Tag:         t.name,
		Digest:      t.digest.String(),
		Updated:     t.updated,
		Layers:      []Layer{},
		ABIVersions: []string{},
		RootIDs:     []string{},
		Annotations: map[string]string{},
		Pull:        "wasmesh pull " + host + "/" + rp.name + ":" + t.name,
		Deploy:      "wasmesh deploy istio " + url + " --name " + name,
		URL:         url,
	}
	meta, err := s.cat.meta(ctx, rp, t.digest)
	if err != nil {
		out.Error = err.Error()
		out.WasmPlugin = wasmPluginYAML(name, url, nil)
		return out
	}
	out.MediaType, out.ConfigMediaType, out.Format = meta.mediaType, meta.configMediaType, meta.format
	out.Size, out.WasmSize = meta.size, meta.wasmSize
	if meta.layers != nil {
		out.Layers = meta.layers
	}
	out.ABIVersions, out.RootIDs, out.RuntimeType = meta.abi, meta.rootIDs, meta.runtimeType
	out.Annotations = meta.annotations
	out.Language, out.Revision = meta.annotations[annLanguage], meta.annotations[annRevision]
	out.Readme, out.ReadmeSource = meta.readme, meta.readmeSource
	out.WasmPlugin = wasmPluginYAML(name, url, meta.rootIDs)
	return out
}

// host is the registry host the commands name.
func (s *Server) host(r *http.Request) string {
	if s.cfg.Host != "" {
		return s.cfg.Host
	}
	if r.Host != "" {
		return r.Host
	}
	return "localhost"
}

// matches reports whether q is a case-insensitive substring of the
// module's name, description, a root ID or its language.
func matches(m Module, q string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	fields := append([]string{m.Name, m.Description, m.Language}, m.RootIDs...)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// pluginName makes a Kubernetes resource name of a repository's last
// path element: lower case letters, digits and dashes.
func pluginName(repo string) string {
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	var b strings.Builder
	for _, c := range strings.ToLower(repo) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-")
	if len(n) > 63 {
		n = strings.Trim(n[:63], "-")
	}
	if n == "" {
		n = "wasm-plugin"
	}
	return n
}

// wasmPluginYAML is the Istio WasmPlugin that runs the image, pinned by
// digest; pluginName is the root ID when the module declares one.
func wasmPluginYAML(name, url string, rootIDs []string) string {
	var b strings.Builder
	b.WriteString("apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata:\n  name: ")
	b.WriteString(name)
	b.WriteString("\nspec:\n  url: ")
	b.WriteString(url)
	b.WriteString("\n")
	if len(rootIDs) > 0 {
		fmt.Fprintf(&b, "  pluginName: %q\n", rootIDs[0])
	}
	return b.String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
