package host

// Headers is an ordered multimap of header fields, the representation of
// every header, trailer and metadata map the host hands to guests. Names are
// stored lower-cased, as Envoy's LowerCaseString keys; HTTP/2 pseudo-headers
// (":method", ":path", ":authority", ":scheme", ":status") are ordinary
// entries and should come first.
//
// Field bytes live in an arena owned by the Headers: after Reset the memory
// is reused, so a Headers can serve stream after stream without allocating.
// Slices returned by Field are valid until the next Reset.
//
// The zero value is an empty map ready to use. A Headers is not safe for
// concurrent use.
type Headers struct {
	fields []field
	arena  []byte
}

type field struct {
	name, value []byte
}

// bytesOrString lets the byte-slice paths of host functions and the string
// paths of embedders share one implementation without conversions.
type bytesOrString interface{ ~string | ~[]byte }

// Reset empties the map, keeping its memory.
func (h *Headers) Reset() {
	h.fields = h.fields[:0]
	h.arena = h.arena[:0]
}

// Len returns the number of entries (a repeated name counts once per entry).
func (h *Headers) Len() int { return len(h.fields) }

// Field returns the i-th entry.
func (h *Headers) Field(i int) (name, value []byte) {
	f := h.fields[i]
	return f.name, f.value
}

// ByteSize returns the total bytes of names and values, which is what Envoy
// reports for proxy_get_header_map_size.
func (h *Headers) ByteSize() int {
	n := 0
	for _, f := range h.fields {
		n += len(f.name) + len(f.value)
	}
	return n
}

// Get returns the first value of name (matched case-insensitively).
func (h *Headers) Get(name string) (string, bool) {
	if i := index(h, name); i >= 0 {
		return string(h.fields[i].value), true
	}
	return "", false
}

// Values returns every value of name, in order.
func (h *Headers) Values(name string) []string {
	var vs []string
	for _, f := range h.fields {
		if equalFold(f.name, name) {
			vs = append(vs, string(f.value))
		}
	}
	return vs
}

// Add appends an entry; an existing name gets another entry.
func (h *Headers) Add(name, value string) { add(h, name, value) }

// AddBytes is Add for byte slices (copied), for codecs that parse into a
// Headers without allocating.
func (h *Headers) AddBytes(name, value []byte) { add(h, name, value) }

// SetBytes is Set for byte slices (copied).
func (h *Headers) SetBytes(name string, value []byte) { setBytes(h, name, value) }

// GetBytes is Get without a copy: the value is valid until the next Reset
// or change of the map.
func (h *Headers) GetBytes(name string) ([]byte, bool) {
	if i := index(h, name); i >= 0 {
		return h.fields[i].value, true
	}
	return nil, false
}

// Set replaces every entry of name with one entry, in the position of the
// first one, or appends it if absent.
func (h *Headers) Set(name, value string) { set(h, name, value) }

// Del removes every entry of name.
func (h *Headers) Del(name string) { del(h, name) }

// String renders the map as "name: value" lines, for logs and test failures.
func (h *Headers) String() string {
	var b []byte
	for _, f := range h.fields {
		b = append(b, f.name...)
		b = append(b, ": "...)
		b = append(b, f.value...)
		b = append(b, '\n')
	}
	return string(b)
}

// Clone returns a deep copy.
func (h *Headers) Clone() *Headers {
	c := &Headers{arena: make([]byte, 0, len(h.arena)), fields: make([]field, 0, len(h.fields))}
	for _, f := range h.fields {
		add(c, f.name, f.value)
	}
	return c
}

// appendBytes copies s into the arena (lower-cased if lower) and returns the
// copy. The copy's capacity is clipped so later appends never write into it.
func appendBytes[T bytesOrString](h *Headers, s T, lower bool) []byte {
	start := len(h.arena)
	if lower {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			h.arena = append(h.arena, c)
		}
	} else {
		h.arena = append(h.arena, s...)
	}
	return h.arena[start:len(h.arena):len(h.arena)]
}

func add[T bytesOrString](h *Headers, name, value T) {
	n := appendBytes(h, name, true)
	v := appendBytes(h, value, false)
	h.fields = append(h.fields, field{n, v})
}

func index[T bytesOrString](h *Headers, name T) int {
	for i := range h.fields {
		if equalFold(h.fields[i].name, name) {
			return i
		}
	}
	return -1
}

func set[T bytesOrString](h *Headers, name, value T) {
	i := index(h, name)
	if i < 0 {
		add(h, name, value)
		return
	}
	h.fields[i].value = appendBytes(h, value, false)
	removeFrom(h, name, i+1)
}

func setBytes(h *Headers, name string, value []byte) {
	i := index(h, name)
	if i < 0 {
		h.fields = append(h.fields, field{appendBytes(h, name, true), appendBytes(h, value, false)})
		return
	}
	h.fields[i].value = appendBytes(h, value, false)
	removeFrom(h, name, i+1)
}

func del[T bytesOrString](h *Headers, name T) { removeFrom(h, name, 0) }

func removeFrom[T bytesOrString](h *Headers, name T, from int) {
	out := from
	for i := from; i < len(h.fields); i++ {
		if !equalFold(h.fields[i].name, name) {
			h.fields[out] = h.fields[i]
			out++
		}
	}
	clear(h.fields[out:])
	h.fields = h.fields[:out]
}

// equalFold compares a stored (lower-case) name with a name in any case.
func equalFold[T bytesOrString](stored []byte, name T) bool {
	if len(stored) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if stored[i] != c {
			return false
		}
	}
	return true
}

// Buffer is a body or data buffer handed to a guest (HTTP bodies, TCP data).
// The embedder fills Bytes; guests read and rewrite it through
// proxy_get_buffer_bytes and proxy_set_buffer_bytes.
type Buffer struct {
	Bytes []byte
}

// Len returns the buffer's size.
func (b *Buffer) Len() int {
	if b == nil {
		return 0
	}
	return len(b.Bytes)
}
