package proxywasm

import (
	"math/rand"
	"testing"
)

// The table agrees with a Go map through random inserts and deletes.
func TestStreamTable(t *testing.T) {
	var tab streamTable
	ref := map[uint32]*streamState{}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		id := uint32(rng.Intn(300) + 1)
		switch rng.Intn(3) {
		case 0, 1:
			v := &streamState{rootID: id}
			tab.put(id, v)
			ref[id] = v
		case 2:
			tab.del(id)
			delete(ref, id)
		}
		if tab.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", i, tab.len(), len(ref))
		}
		probe := uint32(rng.Intn(300) + 1)
		got, ok := tab.get(probe)
		want, wok := ref[probe]
		if ok != wok || got != want {
			t.Fatalf("step %d: get(%d) = %v %v, want %v %v", i, probe, got, ok, want, wok)
		}
	}
}
