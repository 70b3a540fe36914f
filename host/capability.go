package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Capability restriction (Envoy's capability_restriction_config, doc §3
// and §5.1): a VM with VMConfig.AllowedCapabilities set is linked against
// copies of the env and WASI modules in which every proxy_* and WASI
// function not allowed is a stub, and its proxy_on_* callbacks not allowed
// are never called, as in the reference host. VMs without a restriction
// link the shared modules, so the check costs nothing per call.

// errnoNotcapable is WASI's ENOTCAPABLE, what a restricted WASI function
// returns.
const errnoNotcapable = 76

// restricted is one allow-list's stubbed copies of the host modules.
type restricted struct {
	mods map[string]api.Module // by the import module name the guest uses
}

func (r *restricted) resolve(name string) api.Module { return r.mods[name] }

// capabilities returns the set of allowed names, or nil when every
// capability is allowed (no list, or an empty one, as Envoy reads it).
func capabilities(allowed []string) map[string]bool {
	if len(allowed) == 0 {
		return nil
	}
	set := make(map[string]bool, len(allowed))
	for _, c := range allowed {
		set[c] = true
	}
	return set
}

// restrictedModules returns the host modules for an allow-list, built once
// per distinct list.
func (r *Runtime) restrictedModules(ctx context.Context, allowed map[string]bool) (*restricted, error) {
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, n)
	}
	slices.Sort(names)
	key := strings.Join(names, ",")
	r.mu.Lock()
	defer r.mu.Unlock()
	if rs := r.restricted[key]; rs != nil {
		return rs, nil
	}
	rs := &restricted{mods: map[string]api.Module{}}
	// Host module names must be unique in the runtime; guests find these
	// through the import resolver, under the usual names.
	suffix := fmt.Sprintf("#restricted%d", len(r.restricted))
	install := func(mod string, funcs []hostFunc) error {
		b := r.wz.NewHostModuleBuilder(mod + suffix)
		for _, f := range funcs {
			fn := f.fn
			if restrictable(mod, f.name) && !allowed[f.name] {
				fn = stub(mod, f)
			}
			b.NewFunctionBuilder().WithGoModuleFunction(fn, f.params, f.results).WithName(f.name).Export(f.name)
		}
		// Compile and instantiate rather than Instantiate: wazero's import
		// resolver needs the module instance itself, not the wrapper the
		// builder returns.
		compiled, err := b.Compile(ctx)
		if err == nil {
			var m api.Module
			if m, err = r.wz.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(mod+suffix)); err == nil {
				rs.mods[mod] = m
				return nil
			}
		}
		return fmt.Errorf("host: install restricted %s: %w", mod, err)
	}
	if err := install("env", envFuncs); err != nil {
		return nil, err
	}
	for _, mod := range wasiModules {
		if err := install(mod, wasiFuncs); err != nil {
			return nil, err
		}
	}
	if r.restricted == nil {
		r.restricted = map[string]*restricted{}
	}
	r.restricted[key] = rs
	return rs, nil
}

// withRestriction returns ctx with the import resolver that links a guest
// against rs while it is instantiated.
func withRestriction(ctx context.Context, rs *restricted) context.Context {
	return experimental.WithImportResolver(ctx, rs.resolve)
}

// restrictable reports whether an import is a capability: the proxy_*
// functions of env and every WASI function. The emscripten and Envoy
// extras are always linked.
func restrictable(mod, name string) bool {
	return mod != "env" || strings.HasPrefix(name, "proxy_")
}

// stub is a restricted capability: a proxy_* function logs "Attempted call
// to restricted proxy-wasm capability: NAME" and returns INTERNAL_FAILURE; a
// WASI function returns ENOTCAPABLE; proc_exit does nothing.
func stub(mod string, f hostFunc) api.GoModuleFunc {
	if mod == "env" {
		msg := "Attempted call to restricted proxy-wasm capability: " + f.name
		return func(ctx context.Context, _ api.Module, stack []uint64) {
			vmFrom(ctx).rt.logger.Log(LogError, msg)
			stack[0] = uint64(StatusInternalFailure)
		}
	}
	if len(f.results) == 0 {
		return func(context.Context, api.Module, []uint64) {}
	}
	return func(_ context.Context, _ api.Module, stack []uint64) { stack[0] = errnoNotcapable }
}
