package host

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// VMConfig configures one VM (Envoy's vm_config).
type VMConfig struct {
	// ID is the vm_id. VMs with the same ID share shared data and queues.
	ID string
	// Configuration is the VM configuration (buffer type 6), passed to
	// proxy_on_vm_start.
	Configuration []byte
	// Env holds the environment variables WASI environ_get returns.
	Env map[string]string
	// AllowedCapabilities, if not empty, are the only ABI and WASI
	// functions the VM may use (Envoy's capability_restriction_config):
	// a proxy_* host function not listed logs "Attempted call to restricted
	// proxy-wasm capability: NAME" and returns INTERNAL_FAILURE, a WASI one
	// returns ENOTCAPABLE (76) and proc_exit does nothing, and a proxy_on_*
	// callback not listed is never called.
	AllowedCapabilities []string
}

// ErrVMFailed is matched (errors.Is) by every error caused by a failed VM.
var ErrVMFailed = errors.New("vm failed")

// FailedError says why a VM failed: a trap, a deadline, proc_exit or a
// memory fault in a guest call. A failed VM receives no more callbacks.
type FailedError struct {
	VMID     string
	Callback string // the guest export that was running
	Reason   string // one line, e.g. "wasm error: unreachable"
	Err      error  // the full error from wazero, with the guest stack trace
	At       time.Time
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("host: vm failed in %s: %s", e.Callback, e.Reason)
}

// Unwrap returns the underlying error.
func (e *FailedError) Unwrap() error { return e.Err }

// Is matches ErrVMFailed.
func (e *FailedError) Is(target error) bool { return target == ErrVMFailed }

// VM is one instance of a module: its own linear memory, its contexts, one
// guest call at a time. In Envoy's model each worker owns one VM per
// (vm_id, code); every callback of a stream runs on the VM the stream was
// created on. A VM is safe for concurrent use: calls are serialized.
type VM struct {
	rt  *Runtime
	mod *Module
	cfg VMConfig
	env []string // "K=V", sorted

	ctx    context.Context
	cancel context.CancelFunc
	inst   api.Module
	fns    [numCallbacks]api.Function
	alloc  api.Function

	mu        sync.Mutex // held for the whole of a top-level guest call
	callEpoch atomic.Int64
	timedOut  atomic.Bool
	failed    atomic.Bool
	failErr   *FailedError
	closed    bool

	// The fields below are guarded by mu.
	vmCtx        hctx
	nextID       uint32
	contexts     map[uint32]*hctx
	current      *hctx
	effective    *hctx
	starting     bool
	stack        [8]uint64
	allocArg     [1]uint64
	scope        callScope
	deferred     []deferredAction
	metricIDs    map[uint32]*Metric
	nextMetricID [3]uint32
	nextCallID   [3]uint32 // http, grpc call, grpc stream
	calls        map[uint32]*callout
	roots        []*Root
	freeStreams  []*HTTPStream
	scratch      []byte

	evMu     sync.Mutex
	events   []func()
	draining bool
}

// callScope is data a guest can read only during the callback that brought
// it: the plugin configuration in on_configure, a callout's response, a gRPC
// message, foreign-function arguments, and the status proxy_get_status
// reports.
type callScope struct {
	pluginConfig    []byte
	hasPluginConfig bool
	httpResponse    *HTTPCallResponse
	grpcMetadata    *Headers
	grpcMetadataMap MapType
	grpcMessage     []byte
	hasGRPCMessage  bool
	foreignArgs     []byte
	status          Status
	statusMessage   string
}

type vmKey struct{}

func vmFrom(ctx context.Context) *VM { return ctx.Value(vmKey{}).(*VM) }

// NewVM instantiates a module and runs its start-up entry point (doc §1.4):
// _initialize (then main or __main_void), or _start, or nothing when the
// module starts from its start section. proc_exit(0) during start-up is a
// successful start.
func (r *Runtime) NewVM(ctx context.Context, m *Module, cfg VMConfig) (*VM, error) {
	vm := &VM{
		rt:        r,
		mod:       m,
		cfg:       cfg,
		nextID:    1,
		contexts:  map[uint32]*hctx{},
		metricIDs: map[uint32]*Metric{},
		calls:     map[uint32]*callout{},
	}
	for k, v := range cfg.Env {
		vm.env = append(vm.env, k+"="+v)
	}
	sort.Strings(vm.env)
	vm.nextMetricID = [3]uint32{4, 5, 6}
	vm.nextCallID = [3]uint32{0, 1, 2}
	// The context only carries the VM to host functions: deadlines use the
	// interrupt flag (interrupt.go), and no Done channel keeps wazero from
	// watching it on every call.
	vm.ctx = context.WithValue(context.WithoutCancel(ctx), vmKey{}, vm)
	instCtx := vm.ctx
	allowed := capabilities(cfg.AllowedCapabilities)
	if allowed != nil {
		rs, err := r.restrictedModules(ctx, allowed)
		if err != nil {
			return nil, err
		}
		instCtx = withRestriction(vm.ctx, rs)
	}
	r.addVM(vm)

	vm.mu.Lock()
	vm.current = &vm.vmCtx
	vm.starting = true
	vm.callEpoch.Store(r.epoch.Load())
	inst, err := r.wz.InstantiateModule(instCtx, m.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	vm.callEpoch.Store(0)
	if err != nil {
		vm.starting = false
		vm.mu.Unlock()
		if errors.Is(err, errProcExitOK) {
			err = fmt.Errorf("proc_exit(0) in the start section")
		}
		vm.fail("start section", err)
		vm.Close(ctx)
		return nil, fmt.Errorf("host: instantiate module: %w", vm.failErr)
	}
	vm.inst = inst
	for i, name := range callbackNames {
		if allowed == nil || allowed[name] {
			vm.fns[i] = inst.ExportedFunction(name)
		}
	}
	vm.alloc = inst.ExportedFunction(m.allocator)
	for _, name := range m.entry {
		fn := inst.ExportedFunction(name)
		if name == "main" {
			vm.stack[0], vm.stack[1] = 0, 0
		}
		if _, ok := vm.call(name, fn); !ok {
			break
		}
	}
	vm.starting = false
	vm.current = nil
	vm.mu.Unlock()
	if vm.failed.Load() {
		err := vm.failErr
		vm.Close(ctx)
		return nil, fmt.Errorf("host: start vm: %w", err)
	}
	return vm, nil
}

// Module returns the module this VM runs.
func (vm *VM) Module() *Module { return vm.mod }

// Config returns the VM's configuration.
func (vm *VM) Config() VMConfig { return vm.cfg }

// Failed returns the reason the VM failed, or nil while it is healthy.
func (vm *VM) Failed() error {
	if vm.failed.Load() {
		return vm.failErr
	}
	return nil
}

// Close shuts the VM down: each live root context gets proxy_on_done and,
// if that returns true, proxy_on_delete; then the instance is released.
// Calls after Close fail.
func (vm *VM) Close(ctx context.Context) {
	vm.mu.Lock()
	if vm.closed {
		vm.mu.Unlock()
		return
	}
	roots := append([]*Root(nil), vm.roots...)
	vm.mu.Unlock()
	for _, root := range roots {
		root.Shutdown()
	}
	vm.mu.Lock()
	vm.closed = true
	for _, root := range vm.roots {
		root.stopTimer()
	}
	for _, c := range vm.calls {
		c.cancel()
	}
	vm.mu.Unlock()
	if vm.inst != nil {
		_ = vm.inst.Close(ctx)
	}
	vm.rt.removeVM(vm)
}

// interruptNow stops the running guest call: the guest traps at its next
// wasmesh.yield (interrupt.go). Called by the watchdog.
func (vm *VM) interruptNow() { vm.timedOut.Store(true) }

// errDeadline unwinds a guest whose call ran past its deadline.
var errDeadline = errors.New("deadline exceeded")

// wasmesh.yield(): called by instrumented code every fuelPerYield loop
// iterations or calls. Being Go code, it lets the scheduler preempt the
// goroutine; it traps the guest once the watchdog marked the call late.
func wasmeshYield(ctx context.Context, _ api.Module, _ []uint64) {
	if vmFrom(ctx).timedOut.Load() {
		panic(errDeadline)
	}
}

// errProcExitOK unwinds a guest that called proc_exit(0) during start-up.
var errProcExitOK = errors.New("proc_exit(0)")

// procExitError unwinds a guest that called proc_exit at any other time.
type procExitError struct{ code uint32 }

func (e *procExitError) Error() string { return fmt.Sprintf("proc_exit(%d)", e.code) }

// fail marks the VM failed. Called with mu held or during instantiation.
func (vm *VM) fail(callback string, err error) {
	if vm.failed.Load() {
		return
	}
	reason := firstLine(err.Error())
	var exit *sys.ExitError
	switch {
	case vm.timedOut.Load():
		reason = fmt.Sprintf("deadline exceeded: the call ran longer than %s", vm.rt.cfg.CallTimeout)
	case errors.As(err, &exit):
		reason = fmt.Sprintf("module exited with code %d", exit.ExitCode())
	}
	var pe *procExitError
	if errors.As(err, &pe) {
		reason = "guest called " + pe.Error()
	}
	vm.failErr = &FailedError{VMID: vm.cfg.ID, Callback: callback, Reason: reason, Err: err, At: time.Now()}
	vm.failed.Store(true)
	vm.rt.logger.Log(LogError, "Wasm VM failed "+vm.failErr.Error())
}

func firstLine(s string) string {
	s = strings.TrimSuffix(s, " (recovered by wazero)")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, " (recovered by wazero)")
}

// begin acquires the VM for top-level guest calls on behalf of context c.
func (vm *VM) begin(c *hctx) error {
	vm.mu.Lock()
	if vm.failed.Load() {
		vm.mu.Unlock()
		return vm.failErr
	}
	if vm.closed {
		vm.mu.Unlock()
		return errClosed
	}
	vm.current = c
	vm.effective = nil
	return nil
}

var errClosed = errors.New("host: vm closed")

// end releases the VM and then runs the actions the guest requested during
// the calls (continue, local reply, close, delete after proxy_done), so
// they never re-enter a running guest.
func (vm *VM) end() {
	vm.current, vm.effective = nil, nil
	vm.scope = callScope{}
	acts := vm.deferred
	vm.deferred = nil
	vm.mu.Unlock()
	for i := range acts {
		acts[i].run()
	}
}

// call invokes fn with its arguments in vm.stack and returns the first
// result. A nil fn (export absent) returns 0, true. On a trap, deadline or
// exit the VM is failed and ok is false. Must hold mu.
func (vm *VM) call(name string, fn api.Function) (result uint64, ok bool) {
	if fn == nil {
		return 0, true
	}
	if vm.failed.Load() {
		return 0, false
	}
	vm.effective = nil
	vm.callEpoch.Store(vm.rt.epoch.Load())
	err := fn.CallWithStack(vm.ctx, vm.stack[:])
	vm.callEpoch.Store(0)
	if err != nil {
		if vm.starting && errors.Is(err, errProcExitOK) {
			return 0, true
		}
		vm.fail(name, err)
		return 0, false
	}
	return vm.stack[0], true
}

// allocate calls the guest allocator from inside a host function. It is the
// only re-entrant guest call. It returns 0 when the allocator fails; a trap
// inside it unwinds the outer call too.
func (vm *VM) allocate(size uint32) uint32 {
	vm.allocArg[0] = uint64(size)
	if err := vm.alloc.CallWithStack(vm.ctx, vm.allocArg[:]); err != nil {
		panic(err)
	}
	return uint32(vm.allocArg[0])
}

// active returns the context host calls apply to: the effective context the
// guest set, if still alive, else the current one, else the VM context.
func (vm *VM) active() *hctx {
	if e := vm.effective; e != nil && !e.deleted {
		return e
	}
	if vm.current != nil {
		return vm.current
	}
	return &vm.vmCtx
}

// newContextID allocates a context id (ids start at 1, are shared by root and
// stream contexts, and are never reused while a context is alive).
func (vm *VM) newContextID() uint32 {
	for {
		id := vm.nextID
		vm.nextID++
		if id == 0 {
			continue
		}
		if _, ok := vm.contexts[id]; !ok {
			return id
		}
	}
}

// post queues fn to run on the VM later, outside any guest call, in order.
// Callout completions, ticks and queue notifications arrive this way.
func (vm *VM) post(fn func()) {
	vm.evMu.Lock()
	vm.events = append(vm.events, fn)
	start := !vm.draining
	vm.draining = true
	vm.evMu.Unlock()
	if start {
		go vm.drainEvents()
	}
}

func (vm *VM) drainEvents() {
	for {
		vm.evMu.Lock()
		if len(vm.events) == 0 {
			vm.draining = false
			vm.evMu.Unlock()
			return
		}
		fn := vm.events[0]
		vm.events[0] = nil
		vm.events = vm.events[1:]
		vm.evMu.Unlock()
		fn()
	}
}

// guestLog logs a guest message with Envoy's prefix for the active context
// (doc §6.9): "wasm log <plugin> <root_id> <vm_id>: msg" for streams, no
// plugin name for roots, no prefix for the VM context.
func (vm *VM) guestLog(level LogLevel, msg []byte) {
	if l := vm.rt.logger.Level(); l == LogOff || level < l {
		return
	}
	c := vm.active()
	var b strings.Builder
	b.Grow(len(msg) + 64)
	b.WriteString("wasm log")
	if c.root != nil {
		if c.kind != ctxRoot && c.root.cfg.Name != "" {
			b.WriteByte(' ')
			b.WriteString(c.root.cfg.Name)
		}
		if c.root.cfg.RootID != "" {
			b.WriteByte(' ')
			b.WriteString(c.root.cfg.RootID)
		}
		if vm.cfg.ID != "" {
			b.WriteByte(' ')
			b.WriteString(vm.cfg.ID)
		}
	}
	b.WriteString(": ")
	b.Write(msg)
	vm.rt.logger.Log(level, b.String())
}
