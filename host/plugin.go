package host

import (
	"context"
	"fmt"
	"sync"
)

// Plugin runs one plugin on N VMs, one per worker, as Envoy does with
// --concurrency N: each worker has its own instance (memory, globals,
// context ids), every stream is pinned to one worker's root context, and a
// VM that fails is replaced for new work while its streams finish failed.
// It is safe for concurrent use.
type Plugin struct {
	rt    *Runtime
	mod   *Module
	vmCfg VMConfig
	cfg   PluginConfig

	mu      sync.Mutex
	workers []*Root
	closed  bool
}

// NewPlugin starts the plugin on workers VMs (at least one). It fails if
// any VM cannot start or the guest rejects the configuration.
func (r *Runtime) NewPlugin(ctx context.Context, m *Module, vmCfg VMConfig, cfg PluginConfig, workers int) (*Plugin, error) {
	if workers < 1 {
		workers = 1
	}
	p := &Plugin{rt: r, mod: m, vmCfg: vmCfg, cfg: cfg, workers: make([]*Root, workers)}
	for i := range p.workers {
		root, err := p.start(ctx)
		if err != nil {
			p.Close(ctx)
			return nil, fmt.Errorf("host: plugin %q worker %d: %w", cfg.Name, i, err)
		}
		p.workers[i] = root
	}
	return p, nil
}

func (p *Plugin) start(ctx context.Context) (*Root, error) {
	vm, err := p.rt.NewVM(ctx, p.mod, p.vmCfg)
	if err != nil {
		return nil, err
	}
	root, err := vm.StartPlugin(p.cfg)
	if err != nil {
		vm.Close(ctx)
		return nil, err
	}
	return root, nil
}

// Workers returns the number of workers.
func (p *Plugin) Workers() int { return len(p.workers) }

// Root returns worker i's root context. If that worker's VM has failed, a
// new VM is started for it first (Envoy drops a failed thread-local VM and
// builds a new one for later work); if that fails too, the error says why.
func (p *Plugin) Root(ctx context.Context, i int) (*Root, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	root := p.workers[i]
	if root.vm.Failed() == nil {
		return root, nil
	}
	fresh, err := p.start(ctx)
	if err != nil {
		return nil, fmt.Errorf("host: plugin %q worker %d: replace failed vm: %w", p.cfg.Name, i, err)
	}
	go root.vm.Close(context.WithoutCancel(ctx))
	p.workers[i] = fresh
	return fresh, nil
}

// Close shuts every worker's root context down and closes the VMs.
func (p *Plugin) Close(ctx context.Context) {
	p.mu.Lock()
	roots := p.workers
	p.closed = true
	p.mu.Unlock()
	for _, r := range roots {
		if r != nil {
			r.vm.Close(ctx)
		}
	}
}
