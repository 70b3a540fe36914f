package host

import (
	"errors"
	"fmt"
	"time"
)

// PluginConfig configures one plugin (Envoy's PluginConfig): a root context
// on a VM.
type PluginConfig struct {
	// Name is the plugin name (plugin_name; in stream log prefixes).
	Name string
	// RootID selects the root context in modules that register several
	// (plugin_root_id).
	RootID string
	// Configuration is the plugin configuration (buffer type 7), readable
	// only during proxy_on_configure.
	Configuration []byte
}

// ErrPluginRejected is matched by the error StartPlugin returns when the
// guest's proxy_on_vm_start or proxy_on_configure returned false.
var ErrPluginRejected = errors.New("plugin rejected its configuration")

type rootState uint8

const (
	rootActive rootState = iota
	rootPendingDone
	rootDeleted
)

// Root is a root (plugin) context on one VM. Streams are created under it.
type Root struct {
	hctx
	vm    *VM
	cfg   PluginConfig
	state rootState

	tickPeriod time.Duration
	timer      *time.Timer
}

// StartPlugin creates a root context and starts it as Envoy does:
// proxy_on_context_create(root, 0), proxy_on_vm_start(root, |vm config|),
// proxy_on_configure(root, |plugin config|). A false from either callback
// returns an error matching ErrPluginRejected.
func (vm *VM) StartPlugin(cfg PluginConfig) (*Root, error) {
	r := &Root{vm: vm, cfg: cfg}
	r.hctx = hctx{kind: ctxRoot, root: r}
	if err := vm.begin(&r.hctx); err != nil {
		return nil, err
	}
	r.id = vm.newContextID()
	vm.contexts[r.id] = &r.hctx
	vm.roots = append(vm.roots, r)
	err := r.start()
	if err != nil {
		r.forget()
	}
	vm.end()
	return r, err
}

// start runs the start sequence. Must hold vm.mu.
func (r *Root) start() error {
	vm := r.vm
	vm.stack[0], vm.stack[1] = uint64(r.id), 0
	if _, ok := vm.call(callbackNames[cbContextCreate], vm.fns[cbContextCreate]); !ok {
		return vm.failErr
	}
	r.created = true
	vm.stack[0], vm.stack[1] = uint64(r.id), uint64(len(vm.cfg.Configuration))
	res, ok := vm.call(callbackNames[cbVMStart], vm.fns[cbVMStart])
	if !ok {
		return vm.failErr
	}
	if vm.fns[cbVMStart] != nil && uint32(res) == 0 {
		return fmt.Errorf("host: plugin %q: proxy_on_vm_start returned false: %w", r.cfg.Name, ErrPluginRejected)
	}
	vm.scope.pluginConfig, vm.scope.hasPluginConfig = r.cfg.Configuration, true
	vm.stack[0], vm.stack[1] = uint64(r.id), uint64(len(r.cfg.Configuration))
	res, ok = vm.call(callbackNames[cbConfigure], vm.fns[cbConfigure])
	vm.scope.pluginConfig, vm.scope.hasPluginConfig = nil, false
	if !ok {
		return vm.failErr
	}
	if vm.fns[cbConfigure] != nil && uint32(res) == 0 {
		return fmt.Errorf("host: plugin %q: proxy_on_configure returned false: %w", r.cfg.Name, ErrPluginRejected)
	}
	return nil
}

// forget removes the root from the VM's tables. Must hold vm.mu.
func (r *Root) forget() {
	vm := r.vm
	r.state = rootDeleted
	r.deleted = true
	r.stopTimer()
	delete(vm.contexts, r.id)
	for i, x := range vm.roots {
		if x == r {
			vm.roots = append(vm.roots[:i], vm.roots[i+1:]...)
			break
		}
	}
}

// Deleted reports whether the root context is gone (proxy_on_delete was
// sent, or its VM failed), e.g. after a Shutdown that had to wait for the
// guest's proxy_done.
func (r *Root) Deleted() bool {
	r.vm.mu.Lock()
	defer r.vm.mu.Unlock()
	return r.state == rootDeleted
}

// ID returns the root context id.
func (r *Root) ID() uint32 { return r.id }

// VM returns the VM the root context lives on.
func (r *Root) VM() *VM { return r.vm }

// Config returns the plugin configuration.
func (r *Root) Config() PluginConfig { return r.cfg }

// ValidateConfiguration calls proxy_validate_configuration(root, size) with
// config readable as the plugin configuration. A module without that export
// accepts everything.
func (r *Root) ValidateConfiguration(config []byte) (bool, error) {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		return false, err
	}
	defer vm.end()
	if vm.fns[cbValidateConfiguration] == nil {
		return true, nil
	}
	vm.scope.pluginConfig, vm.scope.hasPluginConfig = config, true
	vm.stack[0], vm.stack[1] = uint64(r.id), uint64(len(config))
	res, ok := vm.call(callbackNames[cbValidateConfiguration], vm.fns[cbValidateConfiguration])
	if !ok {
		return false, vm.failErr
	}
	return uint32(res) != 0, nil
}

// Shutdown ends the root context as Envoy does when a plugin is removed:
// proxy_on_done(root); if that returns true, proxy_on_delete(root) follows;
// if false, the root is parked until the guest calls proxy_done. Shutdown
// reports whether the root is gone. Root contexts never get proxy_on_log.
func (r *Root) Shutdown() (deleted bool) {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		vm.mu.Lock()
		r.forget()
		vm.mu.Unlock()
		return true
	}
	if r.state != rootActive {
		vm.end()
		return r.state == rootDeleted
	}
	vm.stack[0] = uint64(r.id)
	res, ok := vm.call(callbackNames[cbDone], vm.fns[cbDone])
	if ok && vm.fns[cbDone] != nil && uint32(res) == 0 {
		r.state = rootPendingDone
		vm.end()
		return false
	}
	r.deleteLocked()
	vm.end()
	return true
}

// deleteLocked sends proxy_on_delete and forgets the root. Must hold vm.mu.
func (r *Root) deleteLocked() {
	vm := r.vm
	if r.created && !vm.failed.Load() {
		vm.stack[0] = uint64(r.id)
		vm.call(callbackNames[cbDelete], vm.fns[cbDelete])
	}
	for _, c := range vm.calls {
		if c.root == r {
			vm.endCallout(c)
		}
	}
	r.forget()
}

// finishDone runs after a guest's proxy_done returned: the parked root gets
// proxy_on_delete.
func (r *Root) finishDone() {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		return
	}
	if r.state == rootPendingDone {
		r.deleteLocked()
	}
	vm.end()
}

// setTickPeriod (re)arms the root's timer. Must hold vm.mu.
func (r *Root) setTickPeriod(d time.Duration) {
	r.tickPeriod = d
	if d == 0 {
		r.stopTimer()
		return
	}
	if r.timer == nil {
		r.timer = time.AfterFunc(d, r.fire)
		return
	}
	r.timer.Reset(d)
}

func (r *Root) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

func (r *Root) fire() { r.vm.post(r.tick) }

// tick delivers proxy_on_tick and re-arms the timer with the current period.
func (r *Root) tick() {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		return
	}
	defer vm.end()
	// A root parked after on_done returned false keeps ticking: that is
	// where SDKs call proxy_done.
	if r.state == rootDeleted || r.tickPeriod == 0 {
		return
	}
	vm.stack[0] = uint64(r.id)
	if _, ok := vm.call(callbackNames[cbTick], vm.fns[cbTick]); !ok {
		return
	}
	if r.tickPeriod > 0 && r.state != rootDeleted {
		r.timer.Reset(r.tickPeriod)
	}
}

// TickPeriod returns the period the guest set with
// proxy_set_tick_period_milliseconds (0: no timer).
func (r *Root) TickPeriod() time.Duration {
	r.vm.mu.Lock()
	defer r.vm.mu.Unlock()
	return r.tickPeriod
}

// deliverQueueReady calls proxy_on_queue_ready(root, queue).
func (r *Root) deliverQueueReady(queue uint32) {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		return
	}
	defer vm.end()
	if r.state == rootDeleted {
		return
	}
	vm.stack[0], vm.stack[1] = uint64(r.id), uint64(queue)
	vm.call(callbackNames[cbQueueReady], vm.fns[cbQueueReady])
}

// CallForeignFunction calls the guest's proxy_on_foreign_function(root, id,
// |args|) with args readable as buffer type 8. Envoy core never does this;
// embedders may.
func (r *Root) CallForeignFunction(id uint32, args []byte) error {
	vm := r.vm
	if err := vm.begin(&r.hctx); err != nil {
		return err
	}
	defer vm.end()
	if vm.mod.info.abi == ABI010 || vm.fns[cbForeignFunction] == nil {
		return fmt.Errorf("host: module does not export proxy_on_foreign_function")
	}
	vm.scope.foreignArgs = args
	vm.stack[0], vm.stack[1], vm.stack[2] = uint64(r.id), uint64(id), uint64(len(args))
	if _, ok := vm.call(callbackNames[cbForeignFunction], vm.fns[cbForeignFunction]); !ok {
		return vm.failErr
	}
	return nil
}
