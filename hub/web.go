package hub

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"time"
)

// webFS holds the catalogue page: plain HTML, CSS and JavaScript modules,
// no build step and nothing loaded from elsewhere.
//
//go:embed web
var webFS embed.FS

// indexTmpl is web/index.html; the page title is its only variable.
var indexTmpl = template.Must(template.ParseFS(webFS, "web/index.html"))

// contentSecurityPolicy allows the page's own files only: no inline
// script, no remote content, so a README cannot run or load anything.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// webHandler serves the page at / and its files.
func (s *Server) webHandler() http.Handler {
	var page bytes.Buffer
	if err := indexTmpl.Execute(&page, struct{ Title string }{s.cfg.Title}); err != nil {
		panic(err) // the template is embedded: this is a build error
	}
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case "/", "/index.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			http.ServeContent(w, r, "index.html", started, bytes.NewReader(page.Bytes()))
		default:
			h.Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		}
	})
}
