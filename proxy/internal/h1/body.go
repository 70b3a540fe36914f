package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/wasmesh/wasmesh/host"
)

// Body reads one message body with its framing. A Body is reused message
// after message (Reset): reading it allocates nothing.
type Body struct {
	br      *bufio.Reader
	framing Framing
	left    int64 // Length: bytes left; Chunked: bytes left in the chunk
	done    bool
	err     error
	// Trailers receives a chunked body's trailers; it is reset by Reset.
	Trailers host.Headers
	scratch  []byte
	// OnFirstRead, when set, runs before the first read from the
	// connection (a server sends "100 Continue" there).
	OnFirstRead func()
}

// Reset makes b read the body of a message with head hd from br.
func (b *Body) Reset(br *bufio.Reader, hd Head) {
	b.br, b.framing, b.left, b.err = br, hd.Framing, hd.Length, nil
	b.done = hd.Framing == NoBody
	b.Trailers.Reset()
	b.OnFirstRead = nil
	if hd.Framing == Chunked {
		b.left = -1 // at a chunk-size line
	}
}

// Done reports whether the body was read to its end.
func (b *Body) Done() bool { return b.done }

// Read reads body bytes; io.EOF at the end of the body. A framing error
// (a malformed chunk, a connection closed early) is sticky.
func (b *Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if f := b.OnFirstRead; f != nil {
		b.OnFirstRead = nil
		f()
	}
	var n int
	switch b.framing {
	case Length:
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, b.err = b.br.Read(p)
		b.left -= int64(n)
		if b.left == 0 {
			b.done, b.err = true, nil
		} else if b.err == io.EOF {
			b.err = io.ErrUnexpectedEOF
		}
	case UntilClose:
		n, b.err = b.br.Read(p)
		if b.err == io.EOF {
			b.done, b.err = true, nil
		}
	case Chunked:
		n, b.err = b.readChunked(p)
	}
	if b.err != nil {
		return n, b.err
	}
	if b.done && n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (b *Body) readChunked(p []byte) (int, error) {
	if b.left <= 0 {
		if b.left == 0 { // the CRLF after a chunk's data
			if err := b.crlf(); err != nil {
				return 0, err
			}
		}
		size, err := b.chunkSize()
		if err != nil {
			return 0, err
		}
		if size == 0 {
			r := reader{br: b.br, budget: MaxHeaderBytes, long: b.scratch}
			var f framing
			err := r.readFields(&b.Trailers, &f, false)
			b.scratch = r.long
			if err != nil {
				return 0, unexpected(err)
			}
			b.done = true
			return 0, nil
		}
		b.left = size
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// crlf reads the CRLF after a chunk's data. Chunk framing takes CRLF only:
// a bare LF, which headers may use, is refused here (RFC 9112 §7.1, erratum
// 7633), as Go's net/http does, so that no two parsers split a body apart.
func (b *Body) crlf() error {
	c, err := b.br.ReadByte()
	if err == nil && c == '\r' {
		c, err = b.br.ReadByte()
		if err == nil && c != '\n' {
			return bad("http1.codec_error", "malformed chunk: CR without LF")
		}
	} else if err == nil {
		return bad("http1.codec_error", "malformed chunk: data longer than its size")
	}
	return unexpected(err)
}

// chunkSize reads "hex-size [BWS ; extensions] CRLF". The extensions are
// ignored, as every proxy does, but the line must end in CRLF and hold no
// other CR, and only whitespace may separate the size from the ";".
func (b *Body) chunkSize() (int64, error) {
	r := reader{br: b.br, budget: 4096, long: b.scratch}
	l, err := r.rawLine()
	b.scratch = r.long
	if err != nil {
		return 0, unexpected(err)
	}
	if len(l) < 2 || l[len(l)-2] != '\r' || bytes.IndexByte(l[:len(l)-2], '\r') >= 0 {
		return 0, bad("http1.codec_error", "malformed chunk size: the line does not end in CRLF")
	}
	l = l[:len(l)-2]
	var n int64
	digits := 0
	for i, c := range l {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			if digits == 0 || !chunkExtOK(l[i:]) {
				return 0, bad("http1.codec_error", "malformed chunk size")
			}
			return n, nil
		}
		if digits++; digits > 15 {
			return 0, bad("http1.codec_error", "chunk too large")
		}
		n = n<<4 | int64(d)
	}
	if digits == 0 {
		return 0, bad("http1.codec_error", "malformed chunk size")
	}
	return n, nil
}

// chunkExtOK reports whether what follows a chunk size is whitespace,
// then nothing or ";" and extensions (without control characters other
// than HTAB).
func chunkExtOK(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ';' {
		return false
	}
	for _, c := range rest {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Upgrade, as the length of a head to write, marks a message that switches
// protocols (an upgrade request, a 101 response): instead of framing it
// carries "connection: upgrade" and the upgrade field of its map.
const Upgrade = -2

// WriteResponseHead writes a response's status line and every field of h
// but pseudo-headers and the connection-specific ones, then the framing:
// "content-length: length" when length >= 0, the upgrade fields when
// length is Upgrade, else "transfer-encoding: chunked" when chunked;
// "connection: close" when close.
func WriteResponseHead(bw *bufio.Writer, minor, status int, h *host.Headers, length int64, chunked, close bool) {
	bw.WriteString("HTTP/1.")
	bw.WriteByte('0' + byte(minor))
	bw.WriteByte(' ')
	writeInt(bw, int64(status), 10)
	bw.WriteByte(' ')
	bw.WriteString(reason(status))
	bw.WriteString("\r\n")
	writeFields(bw, h)
	writeFraming(bw, h, length, chunked)
	switch {
	case close:
		bw.WriteString("connection: close\r\n")
	case minor == 0:
		bw.WriteString("connection: keep-alive\r\n") // HTTP/1.0 keep-alive, as Envoy
	}
	bw.WriteString("\r\n")
}

// WriteRequestHead writes "METHOD path HTTP/1.1", host from :authority,
// the other fields of h but the connection-specific ones, and the framing
// (as WriteResponseHead; Upgrade for an upgrade request).
// It returns an error, writing nothing, when the pseudo-headers cannot be
// sent in a request line.
func WriteRequestHead(bw *bufio.Writer, h *host.Headers, length int64, chunked bool) error {
	method, _ := h.GetBytes(":method")
	path, _ := h.GetBytes(":path")
	authority, _ := h.GetBytes(":authority")
	if len(method) == 0 || len(path) == 0 {
		return bad("http1.codec_error", "request without :method or :path")
	}
	for _, c := range method {
		if !isToken(c) {
			return bad("http1.codec_error", "invalid :method %q", clip(method))
		}
	}
	for _, c := range path {
		if c <= ' ' || c == 0x7f {
			return bad("http1.codec_error", "invalid :path %q", clip(path))
		}
	}
	bw.Write(method)
	bw.WriteByte(' ')
	bw.Write(path)
	bw.WriteString(" HTTP/1.1\r\nhost: ")
	writeValue(bw, authority)
	bw.WriteString("\r\n")
	writeFields(bw, h)
	writeFraming(bw, h, length, chunked)
	bw.WriteString("\r\n")
	return nil
}

func writeFields(bw *bufio.Writer, h *host.Headers) {
	for i := 0; i < h.Len(); i++ {
		k, v := h.Field(i)
		if len(k) == 0 || k[0] == ':' || connectionSpecific(k) || !isTokenString(k) {
			continue // a name a filter set with CR, LF, ':' or space would split the head
		}
		bw.Write(k)
		bw.WriteString(": ")
		writeValue(bw, v)
		bw.WriteString("\r\n")
	}
}

// writeValue writes a field value, turning CR and LF (which a filter may
// have put there) into spaces: a value never splits a message.
func writeValue(bw *bufio.Writer, v []byte) {
	for {
		i := indexCRLF(v)
		if i < 0 {
			bw.Write(v)
			return
		}
		bw.Write(v[:i])
		bw.WriteByte(' ')
		v = v[i+1:]
	}
}

func isTokenString(k []byte) bool {
	for _, c := range k {
		if !isToken(c) {
			return false
		}
	}
	return true
}

func indexCRLF(v []byte) int {
	for i, c := range v {
		if c == '\r' || c == '\n' || c == 0 {
			return i
		}
	}
	return -1
}

func writeFraming(bw *bufio.Writer, h *host.Headers, length int64, chunked bool) {
	switch {
	case length == Upgrade:
		bw.WriteString("connection: upgrade\r\nupgrade: ")
		v, _ := h.GetBytes("upgrade")
		writeValue(bw, v)
		bw.WriteString("\r\n")
	case length >= 0:
		bw.WriteString("content-length: ")
		writeInt(bw, length, 10)
		bw.WriteString("\r\n")
	case chunked:
		bw.WriteString("transfer-encoding: chunked\r\n")
	}
}

// connectionSpecific are the fields a codec owns: never copied from a map.
func connectionSpecific(k []byte) bool {
	switch len(k) {
	case 4:
		return foldBytes(k, "host")
	case 7:
		return foldBytes(k, "upgrade")
	case 10:
		return foldBytes(k, "connection") || foldBytes(k, "keep-alive")
	case 14:
		return foldBytes(k, "content-length")
	case 16:
		return foldBytes(k, "proxy-connection")
	case 17:
		return foldBytes(k, "transfer-encoding")
	}
	return false
}

// writeInt writes n byte by byte: a local buffer passed to bw.Write would
// escape (bw.Write may hand it to the underlying writer) and allocate.
func writeInt(bw *bufio.Writer, n int64, base int) {
	var num [20]byte
	for _, c := range strconv.AppendInt(num[:0], n, base) {
		bw.WriteByte(c)
	}
}

// WriteChunk writes p as one chunk (nothing for an empty p).
func WriteChunk(bw *bufio.Writer, p []byte) {
	if len(p) == 0 {
		return
	}
	writeInt(bw, int64(len(p)), 16)
	bw.WriteString("\r\n")
	bw.Write(p)
	bw.WriteString("\r\n")
}

// WriteLastChunk ends a chunked body, with trailers (may be nil).
func WriteLastChunk(bw *bufio.Writer, trailers *host.Headers) {
	bw.WriteString("0\r\n")
	if trailers != nil {
		writeFields(bw, trailers)
	}
	bw.WriteString("\r\n")
}

// WriteContinue writes an interim "100 Continue".
func WriteContinue(bw *bufio.Writer) {
	bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
}

func reason(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}
