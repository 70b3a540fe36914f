package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/host"
)

// fieldList renders h as "name: value" entries, in order.
func fieldList(h *host.Headers) []string {
	out := []string{}
	for i := 0; i < h.Len(); i++ {
		k, v := h.Field(i)
		out = append(out, string(k)+": "+string(v))
	}
	return out
}

// wantError checks that err is an *Error with status and details.
func wantError(t *testing.T, err error, status int, details string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *Error %d %s", err, err, status, details)
	}
	if e.Status != status || e.Details != details {
		t.Fatalf("err = %d %s (%v), want %d %s", e.Status, e.Details, e, status, details)
	}
}

func readRequest(in string, tls bool, size int) (Head, *host.Headers, error) {
	var br *bufio.Reader
	if size > 0 {
		br = bufio.NewReaderSize(strings.NewReader(in), size)
	} else {
		br = bufio.NewReader(strings.NewReader(in))
	}
	h := &host.Headers{}
	var scratch []byte
	hd, err := ReadRequest(br, h, tls, &scratch)
	return hd, h, err
}

func TestReadRequest(t *testing.T) {
	long := strings.Repeat("v", 200)
	cases := []struct {
		name string
		in   string
		tls  bool
		size int // bufio buffer size; 0: the default
		want []string
		hd   Head
	}{
		{
			name: "origin-form",
			in:   "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n",
			want: []string{":authority: example.com", ":path: /a/b?c=d", ":method: GET", ":scheme: http", "user-agent: test", "accept: */*"},
			hd:   Head{Minor: 1},
		},
		{
			name: "tls gives https",
			in:   "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
			tls:  true,
			want: []string{":authority: example.com", ":path: /", ":method: GET", ":scheme: https"},
			hd:   Head{Minor: 1},
		},
		{
			name: "absolute-form with port, path and query; host ignored",
			in:   "GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: other.example\r\nX-A: 1\r\n\r\n",
			want: []string{":authority: example.com:8080", ":path: /p/q?x=1", ":method: GET", ":scheme: http", "x-a: 1"},
			hd:   Head{Minor: 1},
		},
		{
			name: "absolute-form without path",
			in:   "GET http://example.com HTTP/1.1\r\n\r\n",
			want: []string{":authority: example.com", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "absolute-form with query and no path",
			in:   "GET http://example.com?q=1 HTTP/1.1\r\n\r\n",
			want: []string{":authority: example.com", ":path: /?q=1", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "absolute-form https upper-case scheme",
			in:   "GET HTTPS://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n",
			want: []string{":authority: example.com", ":path: /x", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "asterisk",
			in:   "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
			want: []string{":authority: example.com", ":path: *", ":method: OPTIONS", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "CONNECT authority-form",
			in:   "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
			want: []string{":authority: example.com:443", ":method: CONNECT", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "CONNECT without host",
			in:   "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
			want: []string{":authority: example.com:443", ":method: CONNECT", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "names lower-cased, values trimmed of OWS, inner whitespace kept",
			in:   "GET / HTTP/1.1\r\nHOST:  example.com \t\r\nX-Mixed-Case: \t a  b\tc \t\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n",
			want: []string{":authority: example.com", ":path: /", ":method: GET", ":scheme: http", "x-mixed-case: a  b\tc", "x-empty: ", "x-spaces: "},
			hd:   Head{Minor: 1},
		},
		{
			name: "repeated fields kept in order",
			in:   "GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nX: 1\r\nAccept: b\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http", "accept: a", "x: 1", "accept: b"},
			hd:   Head{Minor: 1},
		},
		{
			name: "host after other fields still becomes :authority first",
			in:   "GET / HTTP/1.1\r\nX: 1\r\nHost: h\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http", "x: 1"},
			hd:   Head{Minor: 1},
		},
		{
			name: "connection-specific fields consumed",
			in: "POST /up HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade, HTTP2-Settings\r\nKeep-Alive: timeout=5\r\n" +
				"Proxy-Connection: keep-alive\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n" +
				"Transfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n",
			want: []string{":authority: h", ":path: /up", ":method: POST", ":scheme: http", "x-kept: yes"},
			hd:   Head{Framing: Chunked, Minor: 1, Continue: true},
		},
		{
			name: "transfer-encoding value is case-insensitive",
			in:   "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: POST", ":scheme: http"},
			hd:   Head{Framing: Chunked, Minor: 1},
		},
		{
			name: "upgrade other than h2c is kept",
			in:   "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
			want: []string{":authority: h", ":path: /ws", ":method: GET", ":scheme: http", "upgrade: websocket"},
			hd:   Head{Minor: 1, Upgrade: true},
		},
		{
			name: "upgrade without connection: upgrade is stripped",
			in:   "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
			want: []string{":authority: h", ":path: /ws", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "expect other than 100-continue is kept",
			in:   "PUT / HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 1\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: PUT", ":scheme: http", "expect: something", "content-length: 1"},
			hd:   Head{Framing: Length, Length: 1, Minor: 1},
		},
		{
			name: "content-length",
			in:   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: POST", ":scheme: http", "content-length: 42"},
			hd:   Head{Framing: Length, Length: 42, Minor: 1},
		},
		{
			name: "two equal content-length values kept once",
			in:   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nX: 1\r\nContent-Length: 7\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: POST", ":scheme: http", "content-length: 7", "x: 1"},
			hd:   Head{Framing: Length, Length: 7, Minor: 1},
		},
		{
			name: "content-length zero is no body",
			in:   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: POST", ":scheme: http", "content-length: 0"},
			hd:   Head{Framing: NoBody, Minor: 1},
		},
		{
			name: "content-length with leading zeros",
			in:   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: POST", ":scheme: http", "content-length: 007"},
			hd:   Head{Framing: Length, Length: 7, Minor: 1},
		},
		{
			name: "connection close",
			in:   "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1, Close: true},
		},
		{
			name: "connection close in a token list, any case",
			in:   "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo , CLOSE\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1, Close: true},
		},
		{
			name: "HTTP/1.0 without host closes",
			in:   "GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n",
			want: []string{":authority: ", ":path: /old", ":method: GET", ":scheme: http", "user-agent: x"},
			hd:   Head{Minor: 0, Close: true},
		},
		{
			name: "HTTP/1.0 keep-alive",
			in:   "GET / HTTP/1.0\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 0},
		},
		{
			name: "HTTP/1.0 keep-alive and close: close wins",
			in:   "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
			want: []string{":authority: ", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 0, Close: true},
		},
		{
			name: "expect 100-continue without a body does not wait",
			in:   "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "expect 100-continue with a body",
			in:   "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: PUT", ":scheme: http", "content-length: 3"},
			hd:   Head{Framing: Length, Length: 3, Minor: 1, Continue: true},
		},
		{
			name: "expect 100-continue on HTTP/1.0 is ignored",
			in:   "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
			want: []string{":authority: ", ":path: /", ":method: PUT", ":scheme: http", "content-length: 3"},
			hd:   Head{Framing: Length, Length: 3, Minor: 0, Close: true},
		},
		{
			name: "leading empty lines skipped",
			in:   "\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "bare LF line endings",
			in:   "GET / HTTP/1.1\nHost: h\nX: y\n\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http", "x: y"},
			hd:   Head{Minor: 1},
		},
		{
			name: "extension method",
			in:   "PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n",
			want: []string{":authority: h", ":path: /x", ":method: PURGE", ":scheme: http"},
			hd:   Head{Minor: 1},
		},
		{
			name: "field and request line longer than the bufio buffer",
			in:   "GET /" + long + " HTTP/1.1\r\nHost: h\r\nX-Long: " + long + "\r\nX-Short: s\r\n\r\n",
			size: 16,
			want: []string{":authority: h", ":path: /" + long, ":method: GET", ":scheme: http", "x-long: " + long, "x-short: s"},
			hd:   Head{Minor: 1},
		},
		{
			name: "value with obs-text",
			in:   "GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n",
			want: []string{":authority: h", ":path: /", ":method: GET", ":scheme: http", "x: caf\xc3\xa9"},
			hd:   Head{Minor: 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hd, h, err := readRequest(c.in, c.tls, c.size)
			if err != nil {
				t.Fatalf("ReadRequest: %v", err)
			}
			if got := fieldList(h); !slices.Equal(got, c.want) {
				t.Errorf("fields:\n got %q\nwant %q", got, c.want)
			}
			if hd != c.hd {
				t.Errorf("head = %+v, want %+v", hd, c.hd)
			}
		})
	}
}

func TestReadRequestEOF(t *testing.T) {
	_, _, err := readRequest("", false, 0)
	if err != io.EOF {
		t.Fatalf("clean EOF: err = %v, want io.EOF", err)
	}
}

func TestReadRequestPipelined(t *testing.T) {
	in := "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" +
		"HEAD /2 HTTP/1.1\r\nHost: b\r\nX: 2\r\n\r\n" +
		"\r\nDELETE /3 HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var h host.Headers
	var scratch []byte
	want := [][]string{
		{":authority: a", ":path: /1", ":method: GET", ":scheme: http"},
		{":authority: b", ":path: /2", ":method: HEAD", ":scheme: http", "x: 2"},
		{":authority: c", ":path: /3", ":method: DELETE", ":scheme: http"},
	}
	for i, w := range want {
		hd, err := ReadRequest(br, &h, false, &scratch)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := fieldList(&h); !slices.Equal(got, w) {
			t.Errorf("request %d:\n got %q\nwant %q", i, got, w)
		}
		if hd.Close != (i == 2) {
			t.Errorf("request %d: Close = %v", i, hd.Close)
		}
	}
	if _, err := ReadRequest(br, &h, false, &scratch); err != io.EOF {
		t.Fatalf("after the last request: err = %v, want io.EOF", err)
	}
	if h.Len() != 0 {
		t.Errorf("headers not reset at EOF: %q", fieldList(&h))
	}
}

func TestReadRequestRejects(t *testing.T) {
	const (
		codec   = "http1.codec_error"
		chars   = "http1.invalid_characters"
		cl      = "http1.content_length_not_allowed"
		teAndCL = "http1.content_length_and_chunked_not_allowed"
		te      = "http1.invalid_transfer_encoding"
	)
	many := "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", MaxHeaders) + "\r\n"
	cases := []struct {
		name    string
		in      string
		status  int
		details string
	}{
		{"missing host on HTTP/1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, codec},
		{"two host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, codec},
		{"two equal host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, codec},
		{"two host fields with absolute-form", "GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, codec},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400, codec},
		{"obs-fold with a colon", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tY: b\r\n\r\n", 400, codec},
		{"whitespace before the first field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, codec},
		{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, chars},
		{"tab before colon", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\n", 400, chars},
		{"separator in name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n", 400, chars},
		{"control in name", "GET / HTTP/1.1\r\nHost: h\r\nX\x01: z\r\n\r\n", 400, chars},
		{"non-ASCII name", "GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: z\r\n\r\n", 400, chars},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", 400, chars},
		{"bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, chars},
		{"CR CR LF", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n", 400, chars},
		{"no colon", "GET / HTTP/1.1\r\nHost: h\r\nnot a field\r\n\r\n", 400, codec},
		{"empty name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400, codec},
		{"content-length not a number", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400, cl},
		{"content-length negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, cl},
		{"content-length with sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400, cl},
		{"content-length empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400, cl},
		{"content-length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n", 400, cl},
		{"content-length hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400, cl},
		{"content-length too long", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n", 400, cl},
		{"two different content-length values", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, cl},
		{"transfer-encoding and content-length", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, teAndCL},
		{"content-length and transfer-encoding", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, teAndCL},
		{"transfer-encoding gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501, te},
		{"transfer-encoding gzip, chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, te},
		{"transfer-encoding chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501, te},
		{"transfer-encoding chunked, chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501, te},
		{"transfer-encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 501, te},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 400, codec},
		{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 400, codec},
		{"HTTP/1.10", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, codec},
		{"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"garbage version", "GET / FOO\r\nHost: h\r\n\r\n", 400, codec},
		{"no version (HTTP/0.9)", "GET /\r\n\r\n", 400, codec},
		{"garbage line", "hello\r\n\r\n", 400, codec},
		{"trailing space after version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, codec},
		{"two spaces after method", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"empty method", " / HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"separator in method", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"control in method", "G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"non-ASCII method", "G\xc3\xa9T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"control in target", "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"DEL in target", "GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"tab in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"NUL in target", "GET /\x00 HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"relative target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"unknown scheme", "GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"authority-form without CONNECT", "GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"lower-case connect is not CONNECT", "connect h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400, codec},
		{"too many fields", many, 431, "http1.too_many_headers"},
		{"one field over the byte limit", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", MaxHeaderBytes) + "\r\n\r\n", 431, "http1.headers_too_large"},
		{"fields over the byte limit", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: "+strings.Repeat("a", 1000)+"\r\n", 70) + "\r\n", 431, "http1.headers_too_large"},
		{"request line over the byte limit", "GET /" + strings.Repeat("a", MaxHeaderBytes) + " HTTP/1.1\r\nHost: h\r\n\r\n", 431, "http1.headers_too_large"},
		{"EOF in the request line", "GET / HT", 400, codec},
		{"EOF in the fields", "GET / HTTP/1.1\r\nHost: h\r\n", 400, codec},
		{"EOF in a field", "GET / HTTP/1.1\r\nHost: h\r\nX: y", 400, codec},
		{"EOF after empty lines", "\r\n\r\n", 400, codec},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hd, _, err := readRequest(c.in, false, 0)
			if err == nil {
				t.Fatalf("accepted: %+v", hd)
			}
			wantError(t, err, c.status, c.details)
			if err.Error() == "" || !strings.HasPrefix(err.Error(), "h1: ") {
				t.Errorf("message %q", err.Error())
			}
		})
	}
}

// TestReadRequestLimits: the limits are inclusive.
func TestReadRequestLimits(t *testing.T) {
	t.Run("MaxHeaders fields", func(t *testing.T) {
		in := "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", MaxHeaders-1) + "\r\n"
		if _, h, err := readRequest(in, false, 0); err != nil || h.Len() != 4+MaxHeaders-1 {
			t.Fatalf("err = %v, %d fields", err, h.Len())
		}
	})
	t.Run("a head just under MaxHeaderBytes", func(t *testing.T) {
		in := "GET / HTTP/1.1\r\nHost: h\r\nX: "
		in += strings.Repeat("a", MaxHeaderBytes-len(in)-4) + "\r\n\r\n"
		if len(in) != MaxHeaderBytes {
			t.Fatalf("len %d", len(in))
		}
		if _, _, err := readRequest(in, false, 0); err != nil {
			t.Fatal(err)
		}
	})
}

func readResponse(in string, head bool) (Head, *host.Headers, error) {
	br := bufio.NewReader(strings.NewReader(in))
	h := &host.Headers{}
	var scratch []byte
	hd, err := ReadResponse(br, h, head, &scratch)
	return hd, h, err
}

func TestReadResponse(t *testing.T) {
	cases := []struct {
		name string
		in   string
		head bool // the request was HEAD
		want []string
		hd   Head
	}{
		{
			name: "content-length",
			in:   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
			want: []string{":status: 200", "content-type: text/plain", "content-length: 5"},
			hd:   Head{Framing: Length, Length: 5, Minor: 1, Status: 200},
		},
		{
			name: "reason phrase with spaces",
			in:   "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
			want: []string{":status: 404", "content-length: 0"},
			hd:   Head{Minor: 1, Status: 404},
		},
		{
			name: "no reason phrase",
			in:   "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n",
			want: []string{":status: 200", "content-length: 1"},
			hd:   Head{Framing: Length, Length: 1, Minor: 1, Status: 200},
		},
		{
			name: "empty reason phrase",
			in:   "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n",
			want: []string{":status: 200", "content-length: 1"},
			hd:   Head{Framing: Length, Length: 1, Minor: 1, Status: 200},
		},
		{
			name: "100 skipped",
			in:   "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nX-Final: 1\r\nContent-Length: 2\r\n\r\nok",
			want: []string{":status: 200", "x-final: 1", "content-length: 2"},
			hd:   Head{Framing: Length, Length: 2, Minor: 1, Status: 200},
		},
		{
			name: "several 1xx skipped",
			in:   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
			want: []string{":status: 201", "content-length: 0"},
			hd:   Head{Minor: 1, Status: 201},
		},
		{
			name: "101 returned as is",
			in:   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
			want: []string{":status: 101", "upgrade: websocket"},
			hd:   Head{Framing: NoBody, Minor: 1, Status: 101},
		},
		{
			name: "204 has no body",
			in:   "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
			want: []string{":status: 204", "content-length: 10"},
			hd:   Head{Minor: 1, Status: 204},
		},
		{
			name: "304 has no body",
			in:   "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
			want: []string{":status: 304"},
			hd:   Head{Minor: 1, Status: 304},
		},
		{
			name: "response to HEAD has no body",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
			head: true,
			want: []string{":status: 200", "content-length: 1000"},
			hd:   Head{Minor: 1, Status: 200},
		},
		{
			name: "response to HEAD without framing keeps the connection",
			in:   "HTTP/1.1 200 OK\r\n\r\n",
			head: true,
			want: []string{":status: 200"},
			hd:   Head{Minor: 1, Status: 200},
		},
		{
			name: "chunked",
			in:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n",
			want: []string{":status: 200", "x: y"},
			hd:   Head{Framing: Chunked, Minor: 1, Status: 200},
		},
		{
			name: "content-length zero",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			want: []string{":status: 200", "content-length: 0"},
			hd:   Head{Framing: NoBody, Minor: 1, Status: 200},
		},
		{
			name: "no framing: until close",
			in:   "HTTP/1.1 200 OK\r\nX: y\r\n\r\nbody",
			want: []string{":status: 200", "x: y"},
			hd:   Head{Framing: UntilClose, Minor: 1, Close: true, Status: 200},
		},
		{
			name: "HTTP/1.0 closes",
			in:   "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
			want: []string{":status: 200", "content-length: 2"},
			hd:   Head{Framing: Length, Length: 2, Minor: 0, Close: true, Status: 200},
		},
		{
			name: "HTTP/1.0 keep-alive",
			in:   "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok",
			want: []string{":status: 200", "content-length: 2"},
			hd:   Head{Framing: Length, Length: 2, Minor: 0, Status: 200},
		},
		{
			name: "connection close",
			in:   "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			want: []string{":status: 500", "content-length: 0"},
			hd:   Head{Minor: 1, Close: true, Status: 500},
		},
		{
			name: "transfer-encoding and content-length: chunked wins, content-length removed",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n",
			want: []string{":status: 200", "x: y"},
			hd:   Head{Framing: Chunked, Minor: 1, Status: 200},
		},
		{
			name: "host is an ordinary field in a response",
			in:   "HTTP/1.1 200 OK\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
			want: []string{":status: 200", "host: h", "content-length: 0"},
			hd:   Head{Minor: 1, Status: 200},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hd, h, err := readResponse(c.in, c.head)
			if err != nil {
				t.Fatalf("ReadResponse: %v", err)
			}
			if got := fieldList(h); !slices.Equal(got, c.want) {
				t.Errorf("fields:\n got %q\nwant %q", got, c.want)
			}
			if hd != c.hd {
				t.Errorf("head = %+v, want %+v", hd, c.hd)
			}
		})
	}
}

func TestReadResponseRejects(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		details string
	}{
		{"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", "http1.codec_error"},
		{"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", "http1.codec_error"},
		{"letters in status", "HTTP/1.1 2x0 OK\r\n\r\n", "http1.codec_error"},
		{"status below 100", "HTTP/1.1 099 Low\r\n\r\n", "http1.codec_error"},
		{"two spaces", "HTTP/1.1  200 OK\r\n\r\n", "http1.codec_error"},
		{"no space", "HTTP/1.1-200 OK\r\n\r\n", "http1.codec_error"},
		{"HTTP/2", "HTTP/2 200 OK\r\n\r\n", "http1.codec_error"},
		{"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", "http1.codec_error"},
		{"HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", "http1.codec_error"},
		{"garbage", "hello world\r\n\r\n", "http1.codec_error"},
		{"empty status line", "\r\n\r\n", "http1.codec_error"},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "http1.codec_error"},
		{"NUL in value", "HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n", "http1.invalid_characters"},
		{"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "http1.content_length_not_allowed"},
		{"different content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "http1.content_length_not_allowed"},
		{"transfer-encoding gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "http1.invalid_transfer_encoding"},
		{"malformed final after 100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 OK\r\n\r\n", "http1.codec_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hd, _, err := readResponse(c.in, false)
			if err == nil {
				t.Fatalf("accepted: %+v", hd)
			}
			wantError(t, err, 400, c.details)
		})
	}
	t.Run("clean EOF", func(t *testing.T) {
		if _, _, err := readResponse("", false); err != io.EOF {
			t.Fatalf("err = %v, want io.EOF", err)
		}
	})
	t.Run("EOF inside the head", func(t *testing.T) {
		if _, _, err := readResponse("HTTP/1.1 200 OK\r\nX: y\r\n", false); err == nil {
			t.Fatal("accepted a truncated head")
		}
	})
}

// TestAllocs: reading a typical request into a reused map with a reused
// scratch, and writing a response head, allocate nothing.
func TestAllocs(t *testing.T) {
	req := []byte("GET /api/v1/items?limit=10 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: curl/8.5.0\r\n" +
		"Accept: */*\r\nAccept-Encoding: gzip\r\nX-Request-Id: 0123456789abcdef\r\nConnection: keep-alive\r\n\r\n")
	rd := bytes.NewReader(req)
	br := bufio.NewReader(rd)
	bw := bufio.NewWriter(io.Discard)
	var h, resp host.Headers
	resp.Add(":status", "200")
	resp.Add("content-type", "application/json")
	resp.Add("server", "wasmesh")
	resp.Add("x-envoy-upstream-service-time", "3")
	var scratch []byte
	run := func() {
		rd.Reset(req)
		br.Reset(rd)
		hd, err := ReadRequest(br, &h, false, &scratch)
		if err != nil || h.Len() != 8 || hd.Framing != NoBody {
			t.Fatalf("ReadRequest: %v %q", err, fieldList(&h))
		}
		WriteResponseHead(bw, 1, 200, &resp, 1234, false, false)
		WriteResponseHead(bw, 1, 200, &resp, -1, true, true)
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	run() // warm up: the map's arena and slices grow once
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per request", n)
	}
}

// TestAllocsResponseBody: an upstream's chunked response (head, body,
// trailers) read with reused buffers and re-chunked downstream allocates
// nothing either.
func TestAllocsResponseBody(t *testing.T) {
	resp := []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nGrpc-Status: 0\r\n\r\n")
	rd := bytes.NewReader(resp)
	br := bufio.NewReader(rd)
	bw := bufio.NewWriter(io.Discard)
	var h host.Headers
	var scratch []byte
	var b Body
	buf := make([]byte, 64)
	run := func() {
		rd.Reset(resp)
		br.Reset(rd)
		hd, err := ReadResponse(br, &h, false, &scratch)
		if err != nil || hd.Framing != Chunked {
			t.Fatalf("ReadResponse: %v %+v", err, hd)
		}
		b.Reset(br, hd)
		WriteResponseHead(bw, 1, hd.Status, &h, -1, true, false)
		for {
			n, err := b.Read(buf)
			WriteChunk(bw, buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		WriteLastChunk(bw, &b.Trailers)
		if b.Trailers.Len() != 1 || bw.Flush() != nil {
			t.Fatalf("trailers %q", fieldList(&b.Trailers))
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per response", n)
	}
}
