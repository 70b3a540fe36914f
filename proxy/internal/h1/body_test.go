package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wasmesh/wasmesh/host"
)

// readAll reads b with a small buffer until an error; it checks that the
// error is then returned again (sticky) with no bytes.
func readAll(t *testing.T, b *Body, step int) (string, error) {
	t.Helper()
	var out []byte
	p := make([]byte, step)
	for i := 0; ; i++ {
		if i > 1<<16 {
			t.Fatal("Read makes no progress")
		}
		n, err := b.Read(p)
		out = append(out, p[:n]...)
		if err != nil {
			for range 2 {
				if n2, err2 := b.Read(p); n2 != 0 || err2 != err {
					t.Fatalf("error not sticky: first %v, then (%d, %v)", err, n2, err2)
				}
			}
			return string(out), err
		}
	}
}

func newBody(in string, hd Head) *Body {
	b := &Body{}
	b.Reset(bufio.NewReaderSize(strings.NewReader(in), 16), hd)
	return b
}

func TestBodyLength(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		length  int64
		step    int
		want    string
		wantErr error
	}{
		{name: "exact", in: "hello world", length: 11, step: 4, want: "hello world", wantErr: io.EOF},
		{name: "one read", in: "hello", length: 5, step: 64, want: "hello", wantErr: io.EOF},
		{name: "stops at the length", in: "helloGET / HTTP/1.1\r\n", length: 5, step: 64, want: "hello", wantErr: io.EOF},
		{name: "short", in: "hel", length: 5, step: 2, want: "hel", wantErr: io.ErrUnexpectedEOF},
		{name: "empty connection", in: "", length: 5, step: 2, want: "", wantErr: io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBody(c.in, Head{Framing: Length, Length: c.length})
			got, err := readAll(t, b, c.step)
			if got != c.want || err != c.wantErr {
				t.Fatalf("got (%q, %v), want (%q, %v)", got, err, c.want, c.wantErr)
			}
			if b.Done() != (err == io.EOF) {
				t.Errorf("Done() = %v", b.Done())
			}
		})
	}
}

func TestBodyLengthNoEOFAfterLastByte(t *testing.T) {
	// The body ends with its last byte, not with a read of the connection:
	// a reader that would block after the body must not be read.
	br := bufio.NewReader(iotest.OneByteReader(&failAfter{data: []byte("abc")}))
	var b Body
	b.Reset(br, Head{Framing: Length, Length: 3})
	got, err := io.ReadAll(&b)
	if err != nil || string(got) != "abc" || !b.Done() {
		t.Fatalf("got (%q, %v) done=%v", got, err, b.Done())
	}
}

// failAfter returns data, then fails the test's expectations with an error
// a body must never see.
type failAfter struct{ data []byte }

var errReadPastBody = errors.New("read past the body")

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errReadPastBody
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestBodyChunked(t *testing.T) {
	codecErr := &Error{Status: 400, Details: "http1.codec_error"}
	cases := []struct {
		name     string
		in       string
		want     string
		trailers []string
		wantErr  error // io.EOF, io.ErrUnexpectedEOF or an *Error (status and details compared)
	}{
		{name: "one chunk", in: "5\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF},
		{name: "several chunks", in: "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", want: "hello world", wantErr: io.EOF},
		{name: "empty body", in: "0\r\n\r\n", want: "", wantErr: io.EOF},
		{name: "extensions", in: "5;a=b\r\nhello\r\n6 ; c=\"d e\";f\r\n world\r\n0;last\r\n\r\n", want: "hello world", wantErr: io.EOF},
		{name: "upper-case hex", in: "A\r\n0123456789\r\n1F\r\n" + strings.Repeat("x", 31) + "\r\n0\r\n\r\n", want: "0123456789" + strings.Repeat("x", 31), wantErr: io.EOF},
		{name: "lower-case hex", in: "a\r\n0123456789\r\n0\r\n\r\n", want: "0123456789", wantErr: io.EOF},
		{name: "leading zeros", in: "0005\r\nhello\r\n000\r\n\r\n", want: "hello", wantErr: io.EOF},
		{name: "whitespace around the size", in: "5 \r\nhello\r\n0\t;x\r\n\r\n", want: "hello", wantErr: io.EOF},
		{name: "bare LF after the size", in: "5\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "bare LF after data", in: "5\r\nhello\n0\r\n\r\n", want: "hello", wantErr: codecErr},
		{name: "text after the size", in: "5 x\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "CR in an extension", in: "5;a\rb\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "control character in an extension", in: "5;a\x01\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "CRLF in data", in: "4\r\n\r\n\r\n\r\n0\r\n\r\n", want: "\r\n\r\n", wantErr: io.EOF},
		{
			name:     "trailers",
			in:       "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nGrpc-Status:  0 \r\nX-Checksum: def\r\n\r\n",
			want:     "hello",
			trailers: []string{"x-checksum: abc", "grpc-status: 0", "x-checksum: def"},
			wantErr:  io.EOF,
		},
		{name: "malformed size", in: "x\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "empty size line", in: "\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "extension without size", in: ";a=b\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "negative size", in: "-5\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "0x prefix", in: "0x5\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "bare CR after size", in: "5\r\r\nhello\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "malformed second size", in: "5\r\nhello\r\nzz\r\n", want: "hello", wantErr: codecErr},
		{name: "data longer than its size", in: "5\r\nhelloX\r\n0\r\n\r\n", want: "hello", wantErr: codecErr},
		{name: "CR without LF after data", in: "5\r\nhello\rX0\r\n\r\n", want: "hello", wantErr: codecErr},
		{name: "size overflow", in: "1000000000000000\r\n", wantErr: codecErr},
		{name: "size overflow with leading zeros", in: "0000000000000000001\r\nx\r\n0\r\n\r\n", wantErr: codecErr},
		{name: "size line too long", in: "5;" + strings.Repeat("a", 5000) + "\r\nhello\r\n0\r\n\r\n", wantErr: &Error{Status: 431, Details: "http1.headers_too_large"}},
		{name: "malformed trailer", in: "5\r\nhello\r\n0\r\nnot a trailer\r\n\r\n", want: "hello", wantErr: codecErr},
		{name: "obs-fold in trailers", in: "0\r\nX: a\r\n b\r\n\r\n", wantErr: codecErr},
		{name: "EOF before any size", in: "", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF in a size line", in: "5", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF mid-chunk", in: "5\r\nhel", want: "hel", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF before the CRLF after data", in: "5\r\nhello", want: "hello", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF between CR and LF", in: "5\r\nhello\r", want: "hello", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF before the last chunk", in: "5\r\nhello\r\n", want: "hello", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF before the final CRLF", in: "5\r\nhello\r\n0\r\n", want: "hello", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF in trailers", in: "5\r\nhello\r\n0\r\nX: y\r\n", want: "hello", wantErr: io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		for _, step := range []int{1, 3, 4096} {
			t.Run(c.name+"/read"+strconv.Itoa(step), func(t *testing.T) {
				b := newBody(c.in, Head{Framing: Chunked})
				got, err := readAll(t, b, step)
				if got != c.want {
					t.Errorf("data = %q, want %q", got, c.want)
				}
				if want, ok := c.wantErr.(*Error); ok {
					wantError(t, err, want.Status, want.Details)
				} else if err != c.wantErr {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if b.Done() != (err == io.EOF) {
					t.Errorf("Done() = %v", b.Done())
				}
				if c.trailers != nil || err == io.EOF {
					want := c.trailers
					if want == nil {
						want = []string{}
					}
					if got := fieldList(&b.Trailers); !slices.Equal(got, want) {
						t.Errorf("trailers = %q, want %q", got, want)
					}
				}
			})
		}
	}
}

func TestBodyUntilClose(t *testing.T) {
	b := newBody("everything until the end", Head{Framing: UntilClose, Close: true})
	got, err := readAll(t, b, 5)
	if got != "everything until the end" || err != io.EOF || !b.Done() {
		t.Fatalf("got (%q, %v) done=%v", got, err, b.Done())
	}

	// An error other than EOF is not the end of the body.
	boom := errors.New("boom")
	var b2 Body
	b2.Reset(bufio.NewReader(io.MultiReader(strings.NewReader("part"), iotest.ErrReader(boom))), Head{Framing: UntilClose})
	got, err = readAll(t, &b2, 64)
	if got != "part" || err != boom || b2.Done() {
		t.Fatalf("got (%q, %v) done=%v", got, err, b2.Done())
	}
}

func TestBodyNoBody(t *testing.T) {
	b := newBody("GET / HTTP/1.1\r\n", Head{Framing: NoBody})
	if !b.Done() {
		t.Error("a message without a body is done before any read")
	}
	called := false
	b.OnFirstRead = func() { called = true }
	if n, err := b.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read = (%d, %v), want (0, EOF)", n, err)
	}
	if called {
		t.Error("OnFirstRead ran for a message without a body (no 100 Continue is due)")
	}
	if b.br.Buffered() != 0 {
		t.Errorf("a body-less message read the connection (%d bytes buffered)", b.br.Buffered())
	}
}

// orderReader records whether it was read.
type orderReader struct {
	r    io.Reader
	log  *[]string
	name string
}

func (o *orderReader) Read(p []byte) (int, error) {
	*o.log = append(*o.log, o.name)
	return o.r.Read(p)
}

func TestBodyOnFirstRead(t *testing.T) {
	for _, hd := range []Head{
		{Framing: Length, Length: 5},
		{Framing: Chunked},
		{Framing: UntilClose},
	} {
		t.Run([]string{"nobody", "length", "chunked", "untilclose"}[hd.Framing], func(t *testing.T) {
			in := "hello"
			if hd.Framing == Chunked {
				in = "5\r\nhello\r\n0\r\n\r\n"
			}
			var log []string
			var b Body
			b.Reset(bufio.NewReader(&orderReader{r: strings.NewReader(in), log: &log, name: "read"}), hd)
			b.OnFirstRead = func() { log = append(log, "continue") }
			got, err := readAll(t, &b, 2)
			if got != "hello" || err != io.EOF {
				t.Fatalf("got (%q, %v)", got, err)
			}
			if len(log) < 2 || log[0] != "continue" || slices.Index(log[1:], "continue") >= 0 {
				t.Fatalf("events %q: want OnFirstRead once, before any read", log)
			}

			// Reset forgets a callback that did not run.
			b.OnFirstRead = func() { t.Error("OnFirstRead kept across Reset") }
			b.Reset(bufio.NewReader(strings.NewReader(in)), hd)
			if _, err := readAll(t, &b, 64); err != io.EOF {
				t.Fatal(err)
			}
		})
	}
}

// TestBodyPipelining: one Body, one map, one scratch serve requests back to
// back from one reader; each body ends exactly where the next head starts.
func TestBodyPipelining(t *testing.T) {
	in := "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3\r\none\r\n3;x=y\r\ntwo\r\n0\r\nX-Trailer: t\r\n\r\n" +
		"PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nthree" +
		"GET /c HTTP/1.1\r\nHost: h\r\n\r\n" +
		"POST /d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	for _, size := range []int{16, 4096} {
		t.Run("buffer"+strconv.Itoa(size), func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(in), size)
			var h host.Headers
			var scratch []byte
			var b Body
			want := []struct {
				path, body string
				trailers   []string
			}{
				{"/a", "onetwo", []string{"x-trailer: t"}},
				{"/b", "three", []string{}},
				{"/c", "", []string{}},
				{"/d", "", []string{}},
			}
			for _, w := range want {
				hd, err := ReadRequest(br, &h, false, &scratch)
				if err != nil {
					t.Fatalf("%s: %v", w.path, err)
				}
				if p, _ := h.Get(":path"); p != w.path {
					t.Fatalf(":path = %q, want %q", p, w.path)
				}
				b.Reset(br, hd)
				got, err := readAll(t, &b, 2)
				if err != io.EOF || got != w.body {
					t.Fatalf("%s: body (%q, %v), want %q", w.path, got, err, w.body)
				}
				if got := fieldList(&b.Trailers); !slices.Equal(got, w.trailers) {
					t.Errorf("%s: trailers %q, want %q", w.path, got, w.trailers)
				}
			}
			if _, err := ReadRequest(br, &h, false, &scratch); err != io.EOF {
				t.Fatalf("after the last request: %v", err)
			}
		})
	}
}

func TestWriteResponseHead(t *testing.T) {
	cases := []struct {
		name    string
		minor   int
		status  int
		fields  []string // name, value pairs
		length  int64
		chunked bool
		close   bool
		want    string
	}{
		{
			name: "content-length", minor: 1, status: 200,
			fields: []string{":status", "200", "content-type", "text/plain", "x-a", "1", "x-a", "2"},
			length: 5,
			want:   "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-a: 1\r\nx-a: 2\r\ncontent-length: 5\r\n\r\n",
		},
		{
			name: "chunked", minor: 1, status: 404, length: -1, chunked: true,
			want: "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n",
		},
		{
			name: "content-length wins over chunked", minor: 1, status: 200, length: 0, chunked: true,
			want: "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
		},
		{
			name: "neither, close", minor: 0, status: 503, length: -1, close: true,
			want: "HTTP/1.0 503 Service Unavailable\r\nconnection: close\r\n\r\n",
		},
		{
			name: "unknown status", minor: 1, status: 599, length: 0,
			want: "HTTP/1.1 599 Unknown\r\ncontent-length: 0\r\n\r\n",
		},
		{
			name: "connection-specific and pseudo fields skipped", minor: 1, status: 200, length: 3, close: true,
			fields: []string{
				":status", "200", ":authority", "a", "connection", "keep-alive", "keep-alive", "timeout=5",
				"proxy-connection", "x", "transfer-encoding", "chunked", "content-length", "99", "host", "h",
				"upgrade", "websocket", "x-kept", "yes",
			},
			want: "HTTP/1.1 200 OK\r\nx-kept: yes\r\ncontent-length: 3\r\nconnection: close\r\n\r\n",
		},
		{
			name: "CR, LF and NUL in values become spaces", minor: 1, status: 200, length: -1,
			fields: []string{"x-a", "a\r\nset-cookie: evil=1", "x-b", "b\nc\rd\x00e", "x-c", "\r\n\r\n"},
			want:   "HTTP/1.1 200 OK\r\nx-a: a  set-cookie: evil=1\r\nx-b: b c d e\r\nx-c:     \r\n\r\n",
		},
		{
			name: "invalid names skipped", minor: 1, status: 200, length: -1,
			fields: []string{"x-ok", "1", "x\r\nset-cookie", "evil", "x y", "1", "x:y", "1", "", "empty", "x\x00", "1", "x-ok2", "2"},
			want:   "HTTP/1.1 200 OK\r\nx-ok: 1\r\nx-ok2: 2\r\n\r\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h host.Headers
			for i := 0; i < len(c.fields); i += 2 {
				h.Add(c.fields[i], c.fields[i+1])
			}
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			WriteResponseHead(bw, c.minor, c.status, &h, c.length, c.chunked, c.close)
			bw.Flush()
			if out.String() != c.want {
				t.Errorf("wrote\n%q\nwant\n%q", out.String(), c.want)
			}
		})
	}
}

func TestWriteRequestHead(t *testing.T) {
	cases := []struct {
		name    string
		fields  []string
		length  int64
		chunked bool
		want    string // "" when an error is expected
	}{
		{
			name:   "GET",
			fields: []string{":authority", "example.com", ":path", "/a?b", ":method", "GET", ":scheme", "http", "user-agent", "x"},
			length: -1,
			want:   "GET /a?b HTTP/1.1\r\nhost: example.com\r\nuser-agent: x\r\n\r\n",
		},
		{
			name:   "POST content-length, connection-specific fields skipped",
			fields: []string{":method", "POST", ":path", "/", ":authority", "h:8080", "host", "other", "connection", "close", "te", "trailers", "content-length", "1"},
			length: 10,
			want:   "POST / HTTP/1.1\r\nhost: h:8080\r\nte: trailers\r\ncontent-length: 10\r\n\r\n",
		},
		{
			name:    "chunked",
			fields:  []string{":method", "PUT", ":path", "/x", ":authority", "h", "transfer-encoding", "gzip"},
			length:  -1,
			chunked: true,
			want:    "PUT /x HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n",
		},
		{
			name:   "no authority: empty host",
			fields: []string{":method", "GET", ":path", "/"},
			length: -1,
			want:   "GET / HTTP/1.1\r\nhost: \r\n\r\n",
		},
		{
			name:   "asterisk",
			fields: []string{":method", "OPTIONS", ":path", "*", ":authority", "h"},
			length: -1,
			want:   "OPTIONS * HTTP/1.1\r\nhost: h\r\n\r\n",
		},
		{
			name:   "CR and LF in values and authority become spaces",
			fields: []string{":method", "GET", ":path", "/", ":authority", "h\r\nx-injected: 1", "x-a", "1\r\n\r\nGET /smuggled HTTP/1.1"},
			length: -1,
			want:   "GET / HTTP/1.1\r\nhost: h  x-injected: 1\r\nx-a: 1    GET /smuggled HTTP/1.1\r\n\r\n",
		},
		{name: "missing :method", fields: []string{":path", "/", ":authority", "h"}},
		{name: "missing :path", fields: []string{":method", "GET", ":authority", "h"}},
		{name: "empty :path", fields: []string{":method", "GET", ":path", "", ":authority", "h"}},
		{name: "CONNECT has no :path", fields: []string{":method", "CONNECT", ":authority", "h:443"}},
		{name: "space in :path", fields: []string{":method", "GET", ":path", "/a HTTP/1.1\r\nx: y", ":authority", "h"}},
		{name: "CR in :path", fields: []string{":method", "GET", ":path", "/a\rb", ":authority", "h"}},
		{name: "LF in :path", fields: []string{":method", "GET", ":path", "/a\nb", ":authority", "h"}},
		{name: "DEL in :path", fields: []string{":method", "GET", ":path", "/a\x7f", ":authority", "h"}},
		{name: "space in :method", fields: []string{":method", "GET /x", ":path", "/", ":authority", "h"}},
		{name: "CRLF in :method", fields: []string{":method", "GET\r\n", ":path", "/", ":authority", "h"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h host.Headers
			for i := 0; i < len(c.fields); i += 2 {
				h.Add(c.fields[i], c.fields[i+1])
			}
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			err := WriteRequestHead(bw, &h, c.length, c.chunked)
			bw.Flush()
			if c.want == "" {
				if err == nil {
					t.Fatalf("accepted; wrote %q", out.String())
				}
				wantError(t, err, 400, "http1.codec_error")
				if out.Len() != 0 {
					t.Errorf("wrote %q before failing", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != c.want {
				t.Errorf("wrote\n%q\nwant\n%q", out.String(), c.want)
			}
		})
	}
}

func TestWriteChunks(t *testing.T) {
	var trailers host.Headers
	trailers.Add(":status", "200") // pseudo: skipped
	trailers.Add("grpc-status", "0")
	trailers.Add("grpc-message", "a\r\nb")
	cases := []struct {
		name  string
		write func(bw *bufio.Writer)
		want  string
	}{
		{"empty chunk writes nothing", func(bw *bufio.Writer) { WriteChunk(bw, nil); WriteChunk(bw, []byte{}) }, ""},
		{"chunks in hex", func(bw *bufio.Writer) {
			WriteChunk(bw, []byte("hello"))
			WriteChunk(bw, bytes.Repeat([]byte("x"), 26))
		}, "5\r\nhello\r\n1a\r\n" + strings.Repeat("x", 26) + "\r\n"},
		{"last chunk", func(bw *bufio.Writer) { WriteLastChunk(bw, nil) }, "0\r\n\r\n"},
		{"last chunk, empty trailers", func(bw *bufio.Writer) { WriteLastChunk(bw, &host.Headers{}) }, "0\r\n\r\n"},
		{"last chunk with trailers", func(bw *bufio.Writer) { WriteLastChunk(bw, &trailers) }, "0\r\ngrpc-status: 0\r\ngrpc-message: a  b\r\n\r\n"},
		{"continue", func(bw *bufio.Writer) { WriteContinue(bw) }, "HTTP/1.1 100 Continue\r\n\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			c.write(bw)
			bw.Flush()
			if out.String() != c.want {
				t.Errorf("wrote %q, want %q", out.String(), c.want)
			}
		})
	}
}

// TestRoundTripResponse: what the writers produce, the readers read back.
func TestRoundTripResponse(t *testing.T) {
	chunks := []string{"hello", " ", strings.Repeat("y", 300), "", "!"}
	all := strings.Join(chunks, "")
	var resp host.Headers
	resp.Add(":status", "200")
	resp.Add("Content-Type", "text/plain")
	resp.Add("x-multi", "1")
	resp.Add("x-multi", "2")
	var trailers host.Headers
	trailers.Add("grpc-status", "0")
	trailers.Add("x-sum", "abc")

	cases := []struct {
		name    string
		length  int64
		chunked bool
		close   bool
		hd      Head
	}{
		{"chunked", -1, true, false, Head{Framing: Chunked, Minor: 1, Status: 200}},
		{"content-length", int64(len(all)), false, false, Head{Framing: Length, Length: int64(len(all)), Minor: 1, Status: 200}},
		{"until close", -1, false, true, Head{Framing: UntilClose, Minor: 1, Close: true, Status: 200}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var wire bytes.Buffer
			bw := bufio.NewWriter(&wire)
			WriteContinue(bw) // an interim response first: skipped by the reader
			WriteResponseHead(bw, 1, 200, &resp, c.length, c.chunked, c.close)
			for _, p := range chunks {
				if c.chunked {
					WriteChunk(bw, []byte(p))
				} else {
					bw.WriteString(p)
				}
			}
			if c.chunked {
				WriteLastChunk(bw, &trailers)
			}
			bw.Flush()

			br := bufio.NewReaderSize(&wire, 32)
			var h host.Headers
			var scratch []byte
			hd, err := ReadResponse(br, &h, false, &scratch)
			if err != nil {
				t.Fatalf("ReadResponse: %v\n%s", err, wire.String())
			}
			if hd != c.hd {
				t.Errorf("head = %+v, want %+v", hd, c.hd)
			}
			want := []string{":status: 200", "content-type: text/plain", "x-multi: 1", "x-multi: 2"}
			if c.length >= 0 {
				want = append(want, "content-length: "+strconv.Itoa(len(all)))
			}
			if got := fieldList(&h); !slices.Equal(got, want) {
				t.Errorf("fields %q, want %q", got, want)
			}
			var b Body
			b.Reset(br, hd)
			body, err := readAll(t, &b, 7)
			if err != io.EOF || body != all {
				t.Fatalf("body (%q, %v)", body, err)
			}
			wantTrailers := []string{}
			if c.chunked {
				wantTrailers = []string{"grpc-status: 0", "x-sum: abc"}
			}
			if got := fieldList(&b.Trailers); !slices.Equal(got, wantTrailers) {
				t.Errorf("trailers %q, want %q", got, wantTrailers)
			}
		})
	}
}

func TestRoundTripRequest(t *testing.T) {
	cases := []struct {
		name    string
		fields  []string
		length  int64
		chunked bool
		body    string
	}{
		{"GET", []string{":authority", "example.com", ":path", "/p?q=1", ":method", "GET", ":scheme", "http", "accept", "*/*", "x-a", "1", "x-a", "2"}, -1, false, ""},
		{"POST length", []string{":authority", "h:81", ":path", "/", ":method", "POST", ":scheme", "http", "content-type", "application/json"}, 7, false, `{"a":1}`},
		{"POST chunked", []string{":authority", "h", ":path", "/up", ":method", "POST", ":scheme", "http"}, -1, true, "some streamed bytes"},
		{"OPTIONS *", []string{":authority", "h", ":path", "*", ":method", "OPTIONS", ":scheme", "http"}, -1, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h host.Headers
			for i := 0; i < len(c.fields); i += 2 {
				h.Add(c.fields[i], c.fields[i+1])
			}
			var wire bytes.Buffer
			bw := bufio.NewWriter(&wire)
			for range 2 { // twice: pipelined
				if err := WriteRequestHead(bw, &h, c.length, c.chunked); err != nil {
					t.Fatal(err)
				}
				if c.chunked {
					WriteChunk(bw, []byte(c.body))
					WriteLastChunk(bw, nil)
				} else {
					bw.WriteString(c.body)
				}
			}
			bw.Flush()

			br := bufio.NewReaderSize(&wire, 16)
			var got host.Headers
			var scratch []byte
			var b Body
			want := fieldList(&h)
			if c.length >= 0 {
				want = append(want, "content-length: "+strconv.Itoa(int(c.length)))
			}
			for i := range 2 {
				hd, err := ReadRequest(br, &got, false, &scratch)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if g := fieldList(&got); !slices.Equal(g, want) {
					t.Errorf("request %d: fields\n got %q\nwant %q", i, g, want)
				}
				b.Reset(br, hd)
				if body, err := readAll(t, &b, 5); body != c.body || err != io.EOF {
					t.Errorf("request %d: body (%q, %v)", i, body, err)
				}
			}
			if _, err := ReadRequest(br, &got, false, &scratch); err != io.EOF {
				t.Fatalf("after the requests: %v", err)
			}
		})
	}
}
