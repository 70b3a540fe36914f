package proxywasm

// streamTable maps live stream context ids to their state. Every stream
// callback looks its context up, and Go's map hashing is slow on wasm (no
// AES instructions): an open-addressing table with a multiplicative hash
// makes the lookup a few instructions. Context ids are never 0, which marks
// a free slot.
type streamTable struct {
	keys []uint32
	vals []*streamState
	n    int
}

func (t *streamTable) slot(id uint32) int {
	return int((id * 0x9E3779B1) >> 16 & uint32(len(t.keys)-1))
}

func (t *streamTable) get(id uint32) (*streamState, bool) {
	if t.n == 0 {
		return nil, false
	}
	for i := t.slot(id); ; i = (i + 1) & (len(t.keys) - 1) {
		switch t.keys[i] {
		case id:
			return t.vals[i], true
		case 0:
			return nil, false
		}
	}
}

func (t *streamTable) put(id uint32, v *streamState) {
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	i := t.slot(id)
	for t.keys[i] != 0 && t.keys[i] != id {
		i = (i + 1) & (len(t.keys) - 1)
	}
	if t.keys[i] == 0 {
		t.n++
	}
	t.keys[i], t.vals[i] = id, v
}

func (t *streamTable) del(id uint32) {
	if t.n == 0 {
		return
	}
	mask := len(t.keys) - 1
	i := t.slot(id)
	for t.keys[i] != id {
		if t.keys[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	t.n--
	// Backward-shift deletion: move later entries of the probe run into the
	// hole so lookups never stop early.
	for j := (i + 1) & mask; t.keys[j] != 0; j = (j + 1) & mask {
		home := t.slot(t.keys[j])
		if (j-home)&mask >= (j-i)&mask {
			t.keys[i], t.vals[i] = t.keys[j], t.vals[j]
			i = j
		}
	}
	t.keys[i], t.vals[i] = 0, nil
}

func (t *streamTable) len() int { return t.n }

func (t *streamTable) grow() {
	keys, vals := t.keys, t.vals
	size := 2 * len(keys)
	if size < 16 {
		size = 16
	}
	t.keys, t.vals, t.n = make([]uint32, size), make([]*streamState, size), 0
	for i, k := range keys {
		if k != 0 {
			t.put(k, vals[i])
		}
	}
}
