package profiles

import "github.com/wasmesh/wasmesh/host"

// wasmeshProfile is this project's host, generated from host.Imports() so it
// never drifts from what the host really links.
func wasmeshProfile() *Profile {
	p := &Profile{
		Name:        "wasmesh",
		Description: "the wasmesh host",
		ABIs:        []string{ABI010, ABI020, ABI021},
		Source:      "host.Imports() at run time",
	}
	for _, imp := range host.Imports() {
		f := Func{Module: imp.Module, Name: imp.Name, Type: FuncType{Params: imp.Params, Results: imp.Results}}
		if len(imp.ABIs) < len(p.ABIs) {
			for _, v := range imp.ABIs {
				f.ABIs = append(f.ABIs, v.String())
			}
		}
		p.Funcs = append(p.Funcs, f)
	}
	return p
}
