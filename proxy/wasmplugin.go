package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/fetch"
)

// failurePolicy is what happens to streams once the plugin's VM has
// failed (Envoy's failure_policy / fail_open).
type failurePolicy int

const (
	failClosed failurePolicy = iota // 503 "wasm_fail_stream" for every stream on that VM
	failOpen                        // the filter is skipped
	failReload                      // a new VM for new streams, after a backoff
)

func (p failurePolicy) String() string {
	return [...]string{"FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"}[p]
}

// Plugin states reported by the admin endpoint. Remote code goes
// fetching → fetched → compiled → running; a failed fetch is "fetch
// failed" (retried in the background, RetryAt) and a module that does not
// compile or start is "failed", as is a plugin whose VM failed.
const (
	stateFetching    = "fetching"
	stateFetched     = "fetched"
	stateCompiled    = "compiled"
	stateRunning     = "running"
	stateFailed      = "failed"
	stateFetchFailed = "fetch failed"
)

// PluginState is what the admin endpoint reports for a Wasm plugin.
type PluginState struct {
	Name, RootID, VMID string
	Policy             string
	// State is "fetching", "fetched", "compiled", "running", "failed" or
	// "fetch failed".
	State  string
	Reason string `json:",omitempty"`
	Source string // file name, "inline", or the remote URI
	SHA256 string // of the module
	// ImageDigest is the manifest digest of oci:// code.
	ImageDigest string `json:",omitempty"`
	// FromCache reports remote code taken from the module cache.
	FromCache bool `json:",omitempty"`
	// Fallback is what requests get while the code is not loaded: "allow
	// all" (FAIL_OPEN: the filter is skipped) or "deny all" (503).
	Fallback string `json:",omitempty"`
	// RetryAt is when a failed fetch is tried again; Attempts counts the
	// fetches so far.
	RetryAt  *time.Time `json:",omitempty"`
	Attempts int        `json:",omitempty"`
	Workers  int
	// FailedWorkers counts the workers whose VM failed.
	FailedWorkers int
}

// wasmPlugin is one configured Wasm plugin (an http or network wasm filter
// entry), started on every worker.
type wasmPlugin struct {
	name, rootID  string
	config        []byte
	policy        failurePolicy
	backoff       time.Duration
	allowStopIter bool
	set           atomic.Pointer[vmSet] // nil until the code is loaded
	slot          int                   // index in set.plugins and in set.roots[worker]

	mu                  sync.Mutex // guards the fields below
	status              string
	loadErr             error
	source, digest, img string
	fromCache           bool
	retryAt             time.Time
	attempts            int
}

// setStatus records a state change and its reason (err may be nil).
func (p *wasmPlugin) setStatus(status string, err error) {
	p.mu.Lock()
	p.status, p.loadErr = status, err
	if status != stateFetchFailed {
		p.retryAt = time.Time{}
	}
	p.mu.Unlock()
}

// vmSet is the VMs of one vm key (vm_id, VM configuration, code): one VM
// per worker, each running a root context for every plugin that shares it,
// as in Envoy.
type vmSet struct {
	rt  *host.Runtime
	mod *host.Module
	cfg host.VMConfig

	mu      sync.Mutex
	vms     []*host.VM
	roots   [][]*host.Root // [worker][plugin slot]
	plugins []*wasmPlugin
}

// wasmLoader builds plugins, sharing VMs by vm key and compiling each code
// once. Remote code that fails to fetch is fetched again in the
// background (see wasmfetch.go), so sets and modules are guarded by mu.
type wasmLoader struct {
	ctx     context.Context
	rt      *host.Runtime
	workers int
	fetch   func(ctx context.Context, cluster, uri string, timeout time.Duration) ([]byte, error)
	fetcher *fetch.Fetcher
	logger  *Logger
	plugins []*wasmPlugin // appended only while the server is built

	// bg is cancelled by close; background fetches run under it unless
	// noRetry (--mode validate).
	bg      context.Context
	cancel  context.CancelFunc
	noRetry bool

	mu      sync.Mutex
	closed  bool
	sets    map[string]*vmSet
	modules map[[32]byte]*host.Module
}

// vmSpec is what identifies a VM besides its code.
type vmSpec struct {
	id   string
	cfg  []byte
	env  map[string]string
	caps []string // capability_restriction_config.allowed_capabilities, sorted; empty: all
}

// load creates (and starts, on every worker) the plugin of a PluginConfig.
// path names the config field in errors. Bad local code fails start-up, as
// in Envoy; remote code that cannot be fetched leaves the plugin in its
// fallback (allow all when fail-open, deny all otherwise) while it is
// fetched again in the background.
func (l *wasmLoader) load(path string, pc *wasmv3.PluginConfig) (*wasmPlugin, error) {
	p := &wasmPlugin{name: pc.GetName(), rootID: pc.GetRootId(), backoff: time.Second}
	switch {
	case pc.GetFailurePolicy() == wasmv3.FailurePolicy_FAIL_RELOAD:
		p.policy = failReload
	case pc.GetFailurePolicy() == wasmv3.FailurePolicy_FAIL_OPEN,
		pc.GetFailurePolicy() == wasmv3.FailurePolicy_UNSPECIFIED && pc.GetFailOpen():
		p.policy = failOpen
	}
	if b := pc.GetReloadConfig().GetBackoff().GetBaseInterval(); b != nil {
		p.backoff = b.AsDuration()
	}
	p.allowStopIter = pc.GetAllowOnHeadersStopIteration().GetValue()
	cfg, err := envoyconfig.PluginConfiguration(pc.GetConfiguration())
	if err != nil {
		return nil, fmt.Errorf("%s.configuration: %w", path, err)
	}
	p.config = cfg
	vmc := pc.GetVmConfig()
	if vmc == nil {
		return nil, fmt.Errorf("%s.vm_config: required", path)
	}
	vmCfg, err := envoyconfig.PluginConfiguration(vmc.GetConfiguration())
	if err != nil {
		return nil, fmt.Errorf("%s.vm_config.configuration: %w", path, err)
	}
	env := map[string]string{}
	for _, k := range vmc.GetEnvironmentVariables().GetHostEnvKeys() {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range vmc.GetEnvironmentVariables().GetKeyValues() {
		env[k] = v
	}
	istio := stripIstioEnv(env) // the agent's, never the guest's
	spec := vmSpec{id: vmc.GetVmId(), cfg: vmCfg, env: env}
	// A plugin's capability restriction applies to its VM: plugins with
	// different ones do not share a VM.
	for c := range pc.GetCapabilityRestrictionConfig().GetAllowedCapabilities() {
		spec.caps = append(spec.caps, c)
	}
	slices.Sort(spec.caps)
	if remote := vmc.GetCode().GetRemote(); remote != nil {
		l.plugins = append(l.plugins, p)
		l.loadRemote(path, p, remote, spec, istio, vmc.GetNackOnCodeCacheMiss())
		return p, nil
	}
	code, source, err := l.local(path+".vm_config.code", vmc.GetCode())
	p.source = source
	if err != nil {
		return nil, err
	}
	if err := l.start(l.ctx, path, p, code, spec); err != nil {
		return nil, err
	}
	l.plugins = append(l.plugins, p)
	return p, nil
}

// start compiles code (once per digest), finds or creates the VM set of
// its vm key and starts p on every worker. Once it returns nil, requests
// go through the plugin.
func (l *wasmLoader) start(ctx context.Context, path string, p *wasmPlugin, code []byte, spec vmSpec) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("server closed")
	}
	sum := sha256.Sum256(code)
	digest := hex.EncodeToString(sum[:])
	p.mu.Lock()
	p.digest = digest
	source := p.source
	p.mu.Unlock()
	mod := l.modules[sum]
	if mod == nil {
		var err error
		if mod, err = l.rt.Compile(ctx, code); err != nil {
			return fmt.Errorf("%s.vm_config.code (%s): %w", path, source, err)
		}
		l.modules[sum] = mod
	}
	p.setStatus(stateCompiled, nil)
	key := spec.id + "||" + string(spec.cfg) + "||" + digest + "||" + fmt.Sprint(sortedEnv(spec.env)) + "||" + strings.Join(spec.caps, ",")
	set := l.sets[key]
	if set == nil {
		set = &vmSet{rt: l.rt, mod: mod, cfg: host.VMConfig{ID: spec.id, Configuration: spec.cfg, Env: spec.env, AllowedCapabilities: spec.caps},
			vms: make([]*host.VM, l.workers), roots: make([][]*host.Root, l.workers)}
		l.sets[key] = set
	}
	if err := set.add(ctx, p); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	p.set.Store(set)
	p.setStatus(stateRunning, nil)
	return nil
}

func sortedEnv(env map[string]string) []string {
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return kv
}

// local reads the module bytes of a local AsyncDataSource.
func (l *wasmLoader) local(path string, src *corev3.AsyncDataSource) ([]byte, string, error) {
	local := src.GetLocal()
	if local == nil {
		return nil, "", fmt.Errorf("%s: no local or remote code", path)
	}
	switch {
	case local.GetFilename() != "":
		b, err := os.ReadFile(local.GetFilename())
		if err != nil {
			return nil, local.GetFilename(), fmt.Errorf("%s.local.filename: %w", path, err)
		}
		return b, local.GetFilename(), nil
	case local.GetInlineBytes() != nil:
		return local.GetInlineBytes(), "inline", nil
	case local.GetInlineString() != "":
		return []byte(local.GetInlineString()), "inline", nil
	}
	return nil, "", fmt.Errorf("%s.local: empty data source", path)
}

// add starts plugin p on every worker's VM of the set.
func (s *vmSet) add(ctx context.Context, p *wasmPlugin) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.slot = len(s.plugins)
	s.plugins = append(s.plugins, p)
	for w := range s.vms {
		if s.vms[w] == nil {
			vm, err := s.rt.NewVM(ctx, s.mod, s.cfg)
			if err != nil {
				return err
			}
			s.vms[w] = vm
		}
		root, err := s.vms[w].StartPlugin(host.PluginConfig{Name: p.name, RootID: p.rootID, Configuration: p.config})
		if err != nil {
			return err
		}
		// A plugin that failed to start left its slot empty.
		s.roots[w] = append(s.roots[w], make([]*host.Root, len(s.plugins)-len(s.roots[w]))...)
		s.roots[w][p.slot] = root
	}
	return nil
}

// errPluginUnavailable is returned for a plugin whose code is not loaded
// (being fetched, or failed to fetch or compile).
var errPluginUnavailable = errors.New("wasm plugin unavailable")

// root returns the plugin's root context on a worker. A failed VM is
// replaced only under FAIL_RELOAD (after the backoff); otherwise the
// failure stands, as in Envoy, and the error tells the caller to apply
// the policy.
func (p *wasmPlugin) root(worker int) (*host.Root, error) {
	s := p.set.Load()
	if s == nil {
		return nil, errPluginUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vm := s.vms[worker]
	if err := vm.Failed(); err != nil {
		if p.policy != failReload {
			return nil, err
		}
		var fe *host.FailedError
		if errors.As(err, &fe) && time.Since(fe.At) < p.backoff {
			return nil, err
		}
		fresh, nerr := s.rt.NewVM(context.Background(), s.mod, s.cfg)
		if nerr != nil {
			return nil, nerr
		}
		roots := make([]*host.Root, len(s.plugins))
		for i, q := range s.plugins {
			r, serr := fresh.StartPlugin(host.PluginConfig{Name: q.name, RootID: q.rootID, Configuration: q.config})
			if serr != nil {
				fresh.Close(context.Background())
				return nil, serr
			}
			roots[i] = r
		}
		go vm.Close(context.Background())
		s.vms[worker], s.roots[worker] = fresh, roots
	}
	return s.roots[worker][p.slot], nil
}

// state reports the plugin for the admin endpoint.
func (p *wasmPlugin) state() PluginState {
	p.mu.Lock()
	st := PluginState{Name: p.name, RootID: p.rootID, Policy: p.policy.String(), Source: p.source, SHA256: p.digest,
		State: p.status, ImageDigest: p.img, FromCache: p.fromCache, Attempts: p.attempts}
	if p.loadErr != nil {
		st.Reason = p.loadErr.Error()
	}
	if !p.retryAt.IsZero() {
		t := p.retryAt
		st.RetryAt = &t
	}
	p.mu.Unlock()
	set := p.set.Load()
	if set == nil {
		st.Fallback = "deny all (503)"
		if p.policy == failOpen {
			st.Fallback = "allow all (filter skipped)"
		}
		return st
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	st.VMID = set.cfg.ID
	st.Workers = len(set.vms)
	for _, vm := range set.vms {
		if err := vm.Failed(); err != nil {
			st.FailedWorkers++
			st.Reason = err.Error()
		}
	}
	if st.FailedWorkers > 0 {
		st.State = stateFailed
	}
	return st
}

// close stops background fetches and releases the VMs.
func (l *wasmLoader) close() {
	if l.cancel != nil {
		l.cancel()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, s := range l.sets {
		for _, vm := range s.vms {
			if vm != nil {
				vm.Close(context.Background())
			}
		}
	}
}
