// Package h1 is the data plane's HTTP/1.1 codec: it parses request and
// response heads straight into host.Headers (the map filters see, names
// lower-cased, pseudo-headers first), frames bodies (content-length,
// chunked with trailers, until close) and writes heads and bodies back, on
// the caller's bufio buffers, without allocating per message.
//
// It is strict where laxness lets two parsers disagree about where a
// message ends (request smuggling, RFC 9112 §6.3, §11.2): obsolete line
// folding, whitespace before a colon, Transfer-Encoding with
// Content-Length, differing Content-Length values, bare CR and NUL are
// errors, as they are in Envoy's codec.
package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/wasmesh/wasmesh/host"
)

// Envoy's default limits (HttpProtocolOptions max_headers_count and
// HttpConnectionManager max_request_headers_kb).
const (
	MaxHeaderBytes = 60 << 10
	MaxHeaders     = 100
)

// Error is a message this codec refuses. Status is what a server answers
// (400, 431, 501) before closing the connection; Details is Envoy's
// response code detail.
type Error struct {
	Status  int
	Details string
	Msg     string
}

func (e *Error) Error() string { return "h1: " + e.Msg }

func bad(details, format string, args ...any) error {
	return &Error{Status: 400, Details: details, Msg: fmt.Sprintf(format, args...)}
}

// Framing says how a message's body ends (RFC 9112 §6.3).
type Framing uint8

const (
	// NoBody: the message has no body.
	NoBody Framing = iota
	// Length: the body is Head.Length bytes.
	Length
	// Chunked: transfer-encoding chunked, maybe with trailers.
	Chunked
	// UntilClose: the body ends when the connection closes (responses).
	UntilClose
)

// Head is what a message's start line and framing headers say.
type Head struct {
	Framing Framing
	Length  int64 // with Length
	Minor   int   // HTTP/1.<Minor>
	// Close: the connection ends after this message (Connection: close,
	// or HTTP/1.0 without keep-alive, or a body framed by the close).
	Close bool
	// Continue: the client waits for "100 Continue" before the body.
	Continue bool
	// Upgrade: the request asks to switch protocols (Connection: upgrade
	// and an upgrade field other than h2c, which stays in the map).
	Upgrade bool
	// Status is a response's status code.
	Status int
}

// reader reads lines of a head with a byte budget.
type reader struct {
	br     *bufio.Reader
	budget int
	long   []byte // a line longer than the bufio buffer
}

// line returns the next line without its CRLF (or LF). The slice is valid
// until the next read from br.
func (r *reader) line() ([]byte, error) {
	l, err := r.rawLine()
	if err != nil {
		return nil, err
	}
	l = l[:len(l)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// rawLine returns the next line with its LF (and CR, if any).
func (r *reader) rawLine() ([]byte, error) {
	l, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], l...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.budget {
				return nil, &Error{Status: 431, Details: "http1.headers_too_large", Msg: "headers too large"}
			}
			l, err = r.br.ReadSlice('\n')
			r.long = append(r.long, l...)
		}
		l = r.long
	}
	r.budget -= len(l)
	if r.budget < 0 {
		return nil, &Error{Status: 431, Details: "http1.headers_too_large", Msg: "headers too large"}
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// field is one parsed header line.
func splitField(l []byte) (name, value []byte, err error) {
	if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
		return nil, nil, bad("http1.codec_error", "obsolete line folding")
	}
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		return nil, nil, bad("http1.codec_error", "malformed header line %q", clip(l))
	}
	name = l[:colon]
	for _, c := range name {
		if !isToken(c) {
			return nil, nil, bad("http1.invalid_characters", "invalid header name %q", clip(name))
		}
	}
	value = trimOWS(l[colon+1:])
	for _, c := range value {
		if c == 0 || c == '\r' || c == '\n' {
			return nil, nil, bad("http1.invalid_characters", "invalid character in header %q", name)
		}
	}
	return name, value, nil
}

// framing accumulates the headers that decide a message's framing.
type framing struct {
	length     int64 // -1: none
	chunked    bool
	te         bool // any Transfer-Encoding
	close      bool
	keepAlive  bool
	cont       bool
	connUp     bool // Connection lists "upgrade"
	upgrade    bool // an upgrade field other than h2c
	badTE      bool
	absolute   bool // the request target carried the authority
	hosts      int
	lengthSeen bool
}

// readFields reads header lines up to the empty line into h, recording
// what frames the message. Connection-specific fields (connection,
// keep-alive, proxy-connection, transfer-encoding, upgrade: h2c,
// http2-settings) are consumed, not added, as Envoy's connection manager
// strips them; host is returned as the authority.
func (r *reader) readFields(h *host.Headers, f *framing, request bool) error {
	f.length = -1
	n := 0
	for {
		l, err := r.line()
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return nil
		}
		if n++; n > MaxHeaders {
			return &Error{Status: 431, Details: "http1.too_many_headers", Msg: "too many headers"}
		}
		name, value, err := splitField(l)
		if err != nil {
			return err
		}
		switch {
		case foldBytes(name, "content-length"):
			v, ok := parseLength(value)
			if !ok {
				return bad("http1.content_length_not_allowed", "invalid content-length %q", clip(value))
			}
			if f.lengthSeen {
				if v != f.length {
					return bad("http1.content_length_not_allowed", "conflicting content-length values")
				}
				continue
			}
			f.length, f.lengthSeen = v, true
		case foldBytes(name, "transfer-encoding"):
			// Only "chunked", once; Envoy answers 501 to anything else.
			if f.te || !foldBytes(value, "chunked") {
				f.badTE = true
			}
			f.te, f.chunked = true, true
			continue
		case foldBytes(name, "connection"):
			eachToken(value, func(t []byte) {
				if foldBytes(t, "close") {
					f.close = true
				} else if foldBytes(t, "keep-alive") {
					f.keepAlive = true
				} else if foldBytes(t, "upgrade") {
					f.connUp = true
				}
			})
			continue
		case foldBytes(name, "keep-alive"), foldBytes(name, "proxy-connection"), foldBytes(name, "http2-settings"):
			continue
		case request && foldBytes(name, "upgrade"):
			if foldBytes(value, "h2c") {
				continue // Envoy serves an h2c upgrade request as HTTP/1.1
			}
			f.upgrade = true
		case request && foldBytes(name, "host"):
			if f.hosts++; f.hosts == 1 && !f.absolute {
				h.SetBytes(":authority", value)
			}
			continue
		case request && foldBytes(name, "expect") && foldBytes(value, "100-continue"):
			f.cont = true
			continue
		}
		h.AddBytes(name, value)
	}
}

// ReadRequest reads a request head into h (which it resets): :authority,
// :path, :method and :scheme ("https" if tls), then the fields. At EOF
// before any byte it returns io.EOF; a malformed head is an *Error.
func ReadRequest(br *bufio.Reader, h *host.Headers, tls bool, scratch *[]byte) (Head, error) {
	h.Reset()
	r := reader{br: br, budget: MaxHeaderBytes, long: *scratch}
	defer func() { *scratch = r.long }()
	var l []byte
	var err error
	for { // RFC 9112 §2.2: ignore empty lines before the request line
		if l, err = r.line(); err != nil {
			if err == io.EOF && r.budget == MaxHeaderBytes {
				return Head{}, io.EOF
			}
			return Head{}, truncated(err)
		}
		if len(l) > 0 {
			break
		}
	}
	sp1 := bytes.IndexByte(l, ' ')
	sp2 := bytes.LastIndexByte(l, ' ')
	if sp1 <= 0 || sp2 <= sp1+1 {
		return Head{}, bad("http1.codec_error", "malformed request line %q", clip(l))
	}
	method, target, version := l[:sp1], l[sp1+1:sp2], l[sp2+1:]
	for _, c := range method {
		if !isToken(c) {
			return Head{}, bad("http1.codec_error", "invalid method %q", clip(method))
		}
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return Head{}, bad("http1.codec_error", "invalid request target %q", clip(target))
		}
	}
	var hd Head
	if hd.Minor, err = parseVersion(version); err != nil {
		return Head{}, err
	}
	h.Add(":authority", "")
	var authority []byte
	switch {
	case target[0] == '/' || (len(target) == 1 && target[0] == '*'):
		// SetBytes, not AddBytes: []byte(":path") would escape (allocate).
		h.SetBytes(":path", target)
	case hasScheme(target):
		// absolute-form: the authority comes from the target (§3.2.2).
		rest := target[bytes.Index(target, []byte("://"))+3:]
		end := bytes.IndexAny(rest, "/?")
		if end < 0 {
			authority, target = rest, []byte("/")
		} else {
			authority, target = rest[:end], rest[end:]
			if target[0] == '?' {
				h.SetBytes(":path", append([]byte("/"), target...))
				break
			}
		}
		h.SetBytes(":path", target)
	case string(method) == "CONNECT": // methods are case-sensitive
		authority = target
	default:
		return Head{}, bad("http1.codec_error", "invalid request target %q", clip(target))
	}
	h.SetBytes(":method", method)
	if tls {
		h.Add(":scheme", "https")
	} else {
		h.Add(":scheme", "http")
	}
	f := framing{absolute: authority != nil}
	if authority != nil {
		h.SetBytes(":authority", authority)
	}
	if err := r.readFields(h, &f, true); err != nil {
		return Head{}, truncated(err)
	}
	switch {
	case f.hosts > 1:
		return Head{}, bad("http1.codec_error", "more than one host header")
	case f.hosts == 0 && authority == nil && hd.Minor == 1:
		return Head{}, bad("http1.codec_error", "missing host header")
	}
	switch {
	case f.te && f.lengthSeen:
		return Head{}, bad("http1.content_length_and_chunked_not_allowed", "both transfer-encoding and content-length")
	case f.badTE || (f.te && hd.Minor == 0):
		return Head{}, &Error{Status: 501, Details: "http1.invalid_transfer_encoding", Msg: "unsupported transfer-encoding"}
	case f.chunked:
		hd.Framing = Chunked
	case f.length > 0:
		hd.Framing, hd.Length = Length, f.length
	}
	hd.Close = f.close || (hd.Minor == 0 && !f.keepAlive)
	hd.Continue = f.cont && hd.Minor == 1 && hd.Framing != NoBody
	if f.upgrade && !f.connUp {
		h.Del("upgrade") // not an upgrade: Envoy strips the field
	}
	hd.Upgrade = f.upgrade && f.connUp
	return hd, nil
}

// ReadResponse reads a response head into h (which it resets): :status,
// then the fields. Informational responses (1xx) other than 101 are
// skipped. head says the request was HEAD (no body whatever the framing
// headers say).
func ReadResponse(br *bufio.Reader, h *host.Headers, head bool, scratch *[]byte) (Head, error) {
	r := reader{br: br, budget: MaxHeaderBytes, long: *scratch}
	defer func() { *scratch = r.long }()
	for {
		h.Reset()
		l, err := r.line()
		if err != nil {
			return Head{}, err
		}
		// HTTP/1.1 200 OK
		if len(l) < 12 || l[8] != ' ' || (len(l) > 12 && l[12] != ' ') {
			return Head{}, bad("http1.codec_error", "malformed status line %q", clip(l))
		}
		var hd Head
		if hd.Minor, err = parseVersion(l[:8]); err != nil {
			return Head{}, err
		}
		code, ok := parseStatus(l[9:12])
		if !ok {
			return Head{}, bad("http1.codec_error", "malformed status line %q", clip(l))
		}
		hd.Status = code
		h.SetBytes(":status", l[9:12])
		var f framing
		if err := r.readFields(h, &f, false); err != nil {
			return Head{}, err
		}
		if code >= 100 && code < 200 && code != 101 {
			r.budget = MaxHeaderBytes
			continue
		}
		switch {
		case head || code == 204 || code == 304 || (code >= 100 && code < 200):
			hd.Framing = NoBody
		case f.badTE:
			return Head{}, bad("http1.invalid_transfer_encoding", "unsupported transfer-encoding")
		case f.chunked:
			hd.Framing = Chunked
		case f.length == 0:
			hd.Framing = NoBody
		case f.length > 0:
			hd.Framing, hd.Length = Length, f.length
		default:
			hd.Framing = UntilClose
		}
		if f.te && f.lengthSeen {
			h.Del("content-length") // chunked wins (RFC 9112 §6.3)
		}
		hd.Close = f.close || (hd.Minor == 0 && !f.keepAlive) || hd.Framing == UntilClose
		return hd, nil
	}
}

func parseVersion(v []byte) (int, error) {
	if len(v) == 8 && string(v[:7]) == "HTTP/1." && (v[7] == '0' || v[7] == '1') {
		return int(v[7] - '0'), nil
	}
	return 0, &Error{Status: 400, Details: "http1.codec_error", Msg: fmt.Sprintf("unsupported protocol version %q", clip(v))}
}

func parseStatus(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 100
}

func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// truncated turns an EOF inside a head into a 400.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return bad("http1.codec_error", "connection closed inside a request head")
	}
	return err
}

func hasScheme(t []byte) bool {
	i := bytes.Index(t, []byte("://"))
	if i <= 0 {
		return false
	}
	s := t[:i]
	return foldBytes(s, "http") || foldBytes(s, "https")
}

func isToken(c byte) bool {
	if c >= 0x80 || c <= ' ' || c == 0x7f {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return false
	}
	return true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// foldBytes compares b, in any case, with a lower-case constant.
func foldBytes(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func eachToken(v []byte, f func([]byte)) {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		var t []byte
		if i < 0 {
			t, v = v, nil
		} else {
			t, v = v[:i], v[i+1:]
		}
		if t = trimOWS(t); len(t) > 0 {
			f(t)
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
