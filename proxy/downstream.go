package proxy

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"

	"github.com/wasmesh/wasmesh/host"
)

// downstream is the client side of an exchange, as the codec that read
// the request hands it over: the HTTP/1.1 codec (http1.go) or net/http
// (HTTP/2, and the Middleware). An exchange resets the stream by panicking
// with http.ErrAbortHandler; both codecs recover it and drop the stream.
type downstream interface {
	// proto is the request's protocol, as %PROTOCOL%: "HTTP/1.1", "HTTP/2".
	proto() string
	// tlsState is the connection's TLS state, nil for plaintext.
	tlsState() *tls.ConnectionState
	remoteAddr() string
	// readBody reads the request body; io.EOF at its end.
	readBody(p []byte) (int, error)
	// trailers returns the request trailers once the body is read (nil or
	// empty if none).
	trailers() *host.Headers
	// writeHead sends the response head: status and every field of h but
	// pseudo-headers and connection-specific ones; the body is length
	// bytes, or of unknown length when length < 0.
	writeHead(status int, h *host.Headers, length int64)
	// write sends body bytes, buffered; flush pushes them out.
	write(p []byte)
	flush()
	// end completes the response, with trailers (may be nil).
	end(trailers *host.Headers)
	// hijack hands over the connection after a 101 response to an upgrade:
	// its reader holds what was read ahead. HTTP/2 streams return nil.
	hijack() (net.Conn, *bufio.Reader)
}

// stdDownstream is a request served by net/http.
type stdDownstream struct {
	w  http.ResponseWriter
	r  *http.Request
	tr *host.Headers
}

func (d *stdDownstream) proto() string                  { return d.r.Proto }
func (d *stdDownstream) tlsState() *tls.ConnectionState { return d.r.TLS }
func (d *stdDownstream) remoteAddr() string             { return d.r.RemoteAddr }
func (d *stdDownstream) readBody(p []byte) (int, error) { return d.r.Body.Read(p) }

func (d *stdDownstream) trailers() *host.Headers {
	if d.tr == nil && len(d.r.Trailer) > 0 {
		d.tr = trailerHeaders(d.r.Trailer)
	}
	return d.tr
}

func (d *stdDownstream) writeHead(status int, h *host.Headers, length int64) {
	hdr := d.w.Header()
	for i := 0; i < h.Len(); i++ {
		k, v := h.Field(i)
		switch {
		case len(k) > 0 && k[0] == ':':
		case string(k) == "content-length", string(k) == "transfer-encoding", string(k) == "connection":
		default:
			// Lower-case names on the wire, as Envoy sends them (net/http
			// writes map keys as they are).
			hdr[string(k)] = append(hdr[string(k)], string(v))
		}
	}
	// 1xx and 204 carry no content-length (RFC 9110 §8.6), and a 304's would
	// describe a body it does not have: the same rule as the HTTP/1.1 path.
	if length >= 0 && status >= 200 && status != 204 && status != 304 {
		hdr["content-length"] = []string{strconv.FormatInt(length, 10)}
	}
	// Keep net/http from adding its own Date and sniffed Content-Type: the
	// response carries exactly the headers the filters left.
	hdr["Date"], hdr["Content-Type"] = nil, nil
	d.w.WriteHeader(status)
}

func (d *stdDownstream) write(p []byte) { d.w.Write(p) }

func (d *stdDownstream) hijack() (net.Conn, *bufio.Reader) { return nil, nil }

func (d *stdDownstream) flush() {
	if f, ok := d.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (d *stdDownstream) end(trailers *host.Headers) {
	if trailers == nil {
		return
	}
	for i := 0; i < trailers.Len(); i++ {
		k, v := trailers.Field(i)
		d.w.Header().Add(http.TrailerPrefix+string(k), string(v))
	}
}

// requestHeaders converts a net/http request to the proxy's header map:
// pseudo-headers first, names lower-cased.
func requestHeaders(r *http.Request) *host.Headers {
	h := &host.Headers{}
	h.Add(":authority", r.Host)
	h.Add(":path", r.URL.RequestURI())
	h.Add(":method", r.Method)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	h.Add(":scheme", scheme)
	for k, vs := range r.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if r.ContentLength > 0 && r.Header.Get("content-length") == "" {
		h.Add("content-length", strconv.FormatInt(r.ContentLength, 10))
	}
	return h
}

// requestEOS reports whether a net/http request has no body.
func requestEOS(r *http.Request) bool {
	return r.ContentLength == 0 && (r.Body == http.NoBody || len(r.TransferEncoding) == 0)
}

func trailerHeaders(t http.Header) *host.Headers {
	h := &host.Headers{}
	for k, vs := range t {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}
