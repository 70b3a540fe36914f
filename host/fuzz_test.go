package host

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// FuzzHostFunctions calls host functions with arbitrary arguments, pointers
// included, from arbitrary contexts. Whatever the guest passes, a host
// function returns a status: it never panics (wazero would report the
// panic as an error here) and never fails the VM.
func FuzzHostFunctions(f *testing.F) {
	tr := newTramp(f, ABI021, Config{})
	s := tr.stream(nil)
	s.maps[MapRequestHeaders] = pairs(":path", "/", "a", "b")
	s.bodies[StreamRequest] = &Buffer{Bytes: []byte("body")}
	var names []string
	for _, imp := range Imports() {
		if imp.Module != "env" || imp.Name == "abort" || imp.Name == "envoy_resolve_dns" || imp.Name == "proxy_get_configuration" ||
			imp.Name == "proxy_continue_request" || imp.Name == "proxy_continue_response" || imp.Name == "proxy_clear_route_cache" {
			continue // abort unwinds by design; DNS would reach the network; 0.1.0-only
		}
		names = append(names, imp.Name)
	}
	for i := range names {
		f.Add(uint8(i), uint8(0), []byte{1, 0, 0, 0, 0, 4, 0, 0, 0xff, 0xff, 0, 0})
	}
	memSize := tr.inst.Memory().Size()
	f.Fuzz(func(t *testing.T, fn, ctxSel uint8, raw []byte) {
		tr.t = t
		name := names[int(fn)%len(names)]
		def := tr.inst.ExportedFunction("call_env_" + name).Definition()
		args := make([]uint64, len(def.ParamTypes()))
		for i := range args {
			var v uint32
			if len(raw) >= 4 {
				v = binary.LittleEndian.Uint32(raw)
				raw = raw[4:]
			}
			// Bias some arguments towards the end of memory.
			if v&0x80000000 != 0 && v&0x40000000 != 0 {
				v = memSize - v&0xff
			}
			args[i] = uint64(v)
			if def.ParamTypes()[i] == api.ValueTypeI64 {
				args[i] = uint64(int64(int32(v)))
			}
		}
		var c *hctx
		switch ctxSel % 3 {
		case 1:
			c = &tr.root.hctx
		case 2:
			c = &s.hctx
		}
		tr.inst.ExportedGlobal("heap").(api.MutableGlobal).Set(65536)
		if err := tr.vm.begin(c); err != nil {
			t.Fatal(err)
		}
		_, err := tr.inst.ExportedFunction("call_env_"+name).Call(tr.vm.ctx, args...)
		tr.vm.deferred = nil // the stream is shared by iterations: drop requested actions
		tr.vm.end()
		if err != nil {
			t.Fatalf("%s%v: %v", name, args, strings.SplitN(err.Error(), "\n", 2)[0])
		}
		if tr.vm.Failed() != nil {
			t.Fatalf("%s%v failed the VM: %v", name, args, tr.vm.Failed())
		}
	})
}
