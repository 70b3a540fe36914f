package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
)

// Defaults for Config.
const (
	DefaultMemoryLimitPages = 16384 // 1 GiB, the reference host's cap
	DefaultCallTimeout      = 5 * time.Second
	// NoCallTimeout, as Config.CallTimeout, compiles modules exactly as
	// given, without the interrupt checks (interrupt.go): a guest stuck in
	// a loop then keeps its goroutine, as a stuck filter keeps an Envoy
	// worker.
	NoCallTimeout time.Duration = -1
)

// Config configures a Runtime. The zero value is usable: no on-disk cache,
// a 1 GiB memory cap per instance, a 5 s deadline per guest call, logs to
// stderr at info.
type Config struct {
	// CacheDir, if set, keeps wazero's compiled machine code on disk so a
	// module compiles once per host, not once per process.
	CacheDir string
	// MemoryLimitPages caps each instance's linear memory, in 64 KiB pages.
	MemoryLimitPages uint32
	// CallTimeout is the deadline of every call into a guest (default 5 s).
	// A guest that runs longer is stopped and its VM is failed.
	// NoCallTimeout disables deadlines.
	CallTimeout time.Duration
	// Logger receives guest logs ("wasm log ...") and host-side VM errors.
	Logger Logger
	// HTTPCaller runs proxy_http_call; nil makes it return INTERNAL_FAILURE.
	HTTPCaller HTTPCaller
	// GRPCCaller runs proxy_grpc_call and proxy_grpc_stream; nil makes them
	// return INTERNAL_FAILURE.
	GRPCCaller GRPCCaller
	// Properties serves proxy_get_property for what the host does not know
	// itself (node, cluster_name, ...), in every context. Streams can add
	// their own provider, which is asked first.
	Properties PropertyProvider
	// ForeignFunctions are offered to proxy_call_foreign_function, in
	// addition to the built-in ones (compress, uncompress, clear_route_cache).
	ForeignFunctions map[string]ForeignFunction
}

// Runtime compiles modules and runs VMs. It holds what Envoy keeps
// process-wide: shared data, shared queues and metrics. It is safe for
// concurrent use.
type Runtime struct {
	cfg     Config
	wz      wazero.Runtime
	cache   wazero.CompilationCache
	logger  Logger
	shared  sharedData
	queues  sharedQueues
	metrics *Metrics
	foreign map[string]ForeignFunction

	mu         sync.Mutex
	vms        map[*VM]struct{}
	restricted map[string]*restricted // host modules by capability allow-list, see capability.go
	vmIDRefs   map[string]int

	deadlines  bool         // CallTimeout > 0: modules are instrumented (interrupt.go)
	epoch      atomic.Int64 // watchdog ticks since start, see watchdog
	stopWatch  chan struct{}
	watchEvery time.Duration
}

// NewRuntime creates a runtime: a wazero compiler runtime with the host
// modules (env, wasi_snapshot_preview1, wasi_unstable) installed.
func NewRuntime(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.MemoryLimitPages == 0 {
		cfg.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	r := &Runtime{
		cfg:       cfg,
		deadlines: cfg.CallTimeout > 0,
		logger:    cfg.Logger,
		metrics:   newMetrics(),
		vms:       map[*VM]struct{}{},
		vmIDRefs:  map[string]int{},
		stopWatch: make(chan struct{}),
	}
	if r.logger == nil {
		r.logger = NewWriterLogger(os.Stderr, LogInfo)
	}
	r.shared.init()
	r.queues.init()
	r.foreign = builtinForeignFunctions()
	for name, f := range cfg.ForeignFunctions {
		r.foreign[name] = f
	}
	wcfg := wazero.NewRuntimeConfigCompiler().WithMemoryLimitPages(cfg.MemoryLimitPages)
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache %s: %w", cfg.CacheDir, err)
		}
		r.cache = cache
		wcfg = wcfg.WithCompilationCache(cache)
	}
	r.wz = wazero.NewRuntimeWithConfig(ctx, wcfg)
	if err := r.instantiateHostModules(ctx); err != nil {
		_ = r.wz.Close(ctx)
		return nil, err
	}
	if !r.deadlines {
		return r, nil
	}
	r.watchEvery = cfg.CallTimeout / 8
	if r.watchEvery < time.Millisecond {
		r.watchEvery = time.Millisecond
	}
	if r.watchEvery > 100*time.Millisecond {
		r.watchEvery = 100 * time.Millisecond
	}
	r.epoch.Store(1)
	go r.watchdog()
	return r, nil
}

// Metrics returns the metrics guests defined, for the embedder to read.
func (r *Runtime) Metrics() *Metrics { return r.metrics }

// Close stops every VM and releases the compiler.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	vms := make([]*VM, 0, len(r.vms))
	for vm := range r.vms {
		vms = append(vms, vm)
	}
	r.mu.Unlock()
	for _, vm := range vms {
		vm.Close(ctx)
	}
	select {
	case <-r.stopWatch:
	default:
		close(r.stopWatch) // stops the watchdog, if one runs
	}
	err := r.wz.Close(ctx)
	if r.cache != nil {
		_ = r.cache.Close(ctx)
	}
	return err
}

// watchdog enforces CallTimeout without a timer per call: every VM records
// the epoch at which its current call started, and this loop raises the
// VM's interrupt flag once a call has run too many epochs; the guest traps
// at its next function entry or loop header (interrupt.go).
func (r *Runtime) watchdog() {
	t := time.NewTicker(r.watchEvery)
	defer t.Stop()
	limit := int64(r.cfg.CallTimeout/r.watchEvery) + 1
	for {
		select {
		case <-r.stopWatch:
			return
		case <-t.C:
		}
		now := r.epoch.Add(1)
		r.mu.Lock()
		for vm := range r.vms {
			if start := vm.callEpoch.Load(); start != 0 && now-start > limit {
				vm.interruptNow()
			}
		}
		r.mu.Unlock()
	}
}

func (r *Runtime) addVM(vm *VM) {
	r.mu.Lock()
	r.vms[vm] = struct{}{}
	r.vmIDRefs[vm.cfg.ID]++
	r.mu.Unlock()
}

// removeVM forgets a VM. When the last VM of a vm_id goes away, that vm_id's
// shared data and queues go too, as in the reference host.
func (r *Runtime) removeVM(vm *VM) {
	r.mu.Lock()
	if _, ok := r.vms[vm]; !ok {
		r.mu.Unlock()
		return
	}
	delete(r.vms, vm)
	r.vmIDRefs[vm.cfg.ID]--
	last := r.vmIDRefs[vm.cfg.ID] == 0
	if last {
		delete(r.vmIDRefs, vm.cfg.ID)
	}
	r.mu.Unlock()
	if last {
		r.shared.dropVMID(vm.cfg.ID)
		r.queues.dropVMID(vm.cfg.ID)
	}
	r.queues.forgetVM(vm)
}

// Logger receives log lines from the host and its guests.
type Logger interface {
	// Level is the least severe level that is logged; LogOff logs nothing.
	// Guests read it through proxy_get_log_level.
	Level() LogLevel
	// Log writes one message at level.
	Log(level LogLevel, msg string)
}

// NewWriterLogger returns a Logger writing "[level] message" lines to w.
func NewWriterLogger(w io.Writer, level LogLevel) *WriterLogger {
	l := &WriterLogger{w: w}
	l.SetLevel(level)
	return l
}

// WriterLogger is a Logger writing one line per message to an io.Writer. It
// is safe for concurrent use.
type WriterLogger struct {
	mu    sync.Mutex
	w     io.Writer
	level atomic.Uint32
}

// SetLevel changes the level at run time.
func (l *WriterLogger) SetLevel(level LogLevel) { l.level.Store(uint32(level)) }

// Level implements Logger.
func (l *WriterLogger) Level() LogLevel { return LogLevel(l.level.Load()) }

// Log implements Logger.
func (l *WriterLogger) Log(level LogLevel, msg string) {
	if level < l.Level() || l.Level() == LogOff {
		return
	}
	var b strings.Builder
	b.Grow(len(msg) + 16)
	b.WriteByte('[')
	b.WriteString(level.String())
	b.WriteString("] ")
	b.WriteString(msg)
	b.WriteByte('\n')
	l.mu.Lock()
	_, _ = io.WriteString(l.w, b.String())
	l.mu.Unlock()
}
