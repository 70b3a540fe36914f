package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"

	"github.com/wasmesh/wasmesh/envoyconfig"
	"github.com/wasmesh/wasmesh/host"
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

// PluginState is what the admin endpoint reports for a Wasm plugin.
type PluginState struct {
	Name, RootID, VMID string
	Policy             string
	State              string // "running", "failed", "failed to load"
	Reason             string `json:",omitempty"`
	Source             string // file name, "inline", or the remote URI
	SHA256             string
	Workers            int
	FailedWorkers      int
}

// wasmPlugin is one configured Wasm plugin (an http or network wasm filter
// entry), started on every worker.
type wasmPlugin struct {
	name, rootID   string
	config         []byte
	policy         failurePolicy
	backoff        time.Duration
	allowStopIter  bool
	set            *vmSet // nil when the code failed to load
	loadErr        error
	source, digest string
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
	roots   []map[*wasmPlugin]*host.Root
	plugins []*wasmPlugin
}

// wasmLoader builds plugins, sharing VMs by vm key and compiling each code
// once.
type wasmLoader struct {
	ctx     context.Context
	rt      *host.Runtime
	workers int
	fetch   func(ctx context.Context, cluster, uri string, timeout time.Duration) ([]byte, error)
	sets    map[string]*vmSet
	modules map[[32]byte]*host.Module
	logger  *Logger
	plugins []*wasmPlugin
}

// load creates (and starts, on every worker) the plugin of a PluginConfig.
// path names the config field in errors.
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
	code, source, err := l.code(path+".vm_config.code", vmc.GetCode())
	p.source = source
	if err != nil {
		if vmc.GetCode().GetRemote() == nil {
			return nil, err // a bad local file fails start-up, as in Envoy
		}
		p.loadErr = err
		l.logger.Logf("wasm", host.LogCritical, "Plugin %q configured to %s failed to load: %v", p.name, p.policy, err)
		l.plugins = append(l.plugins, p)
		return p, nil
	}
	sum := sha256.Sum256(code)
	p.digest = hex.EncodeToString(sum[:])
	mod := l.modules[sum]
	if mod == nil {
		if mod, err = l.rt.Compile(l.ctx, code); err != nil {
			return nil, fmt.Errorf("%s.vm_config.code (%s): %w", path, source, err)
		}
		l.modules[sum] = mod
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
	key := vmc.GetVmId() + "||" + string(vmCfg) + "||" + p.digest + "||" + fmt.Sprint(sortedEnv(env))
	set := l.sets[key]
	if set == nil {
		set = &vmSet{rt: l.rt, mod: mod, cfg: host.VMConfig{ID: vmc.GetVmId(), Configuration: vmCfg, Env: env},
			vms: make([]*host.VM, l.workers), roots: make([]map[*wasmPlugin]*host.Root, l.workers)}
		l.sets[key] = set
	}
	if err := set.add(l.ctx, p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.set = set
	l.plugins = append(l.plugins, p)
	return p, nil
}

func sortedEnv(env map[string]string) []string {
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	for i := 1; i < len(kv); i++ {
		for j := i; j > 0 && kv[j] < kv[j-1]; j-- {
			kv[j], kv[j-1] = kv[j-1], kv[j]
		}
	}
	return kv
}

// code reads the module bytes of an AsyncDataSource.
func (l *wasmLoader) code(path string, src *corev3.AsyncDataSource) ([]byte, string, error) {
	if local := src.GetLocal(); local != nil {
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
	remote := src.GetRemote()
	if remote == nil {
		return nil, "", fmt.Errorf("%s: no local or remote code", path)
	}
	uri := remote.GetHttpUri()
	retries := 1
	if n := remote.GetRetryPolicy().GetNumRetries(); n != nil {
		retries = int(n.GetValue())
	}
	base := time.Second
	if b := remote.GetRetryPolicy().GetRetryBackOff().GetBaseInterval(); b != nil {
		base = b.AsDuration()
	}
	timeout := uri.GetTimeout().AsDuration()
	var lastErr error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			time.Sleep(base << (attempt - 1))
		}
		b, err := l.fetch(l.ctx, uri.GetCluster(), uri.GetUri(), timeout)
		if err != nil {
			lastErr = err
			continue
		}
		sum := sha256.Sum256(b)
		if want := strings.ToLower(remote.GetSha256()); want != "" && hex.EncodeToString(sum[:]) != want {
			return nil, uri.GetUri(), fmt.Errorf("%s.remote: sha256 of %s is %x, config says %s", path, uri.GetUri(), sum, want)
		}
		return b, uri.GetUri(), nil
	}
	return nil, uri.GetUri(), fmt.Errorf("%s.remote: fetch %s from cluster %q: %w", path, uri.GetUri(), uri.GetCluster(), lastErr)
}

// add starts plugin p on every worker's VM of the set.
func (s *vmSet) add(ctx context.Context, p *wasmPlugin) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plugins = append(s.plugins, p)
	for w := range s.vms {
		if s.vms[w] == nil {
			vm, err := s.rt.NewVM(ctx, s.mod, s.cfg)
			if err != nil {
				return err
			}
			s.vms[w] = vm
			s.roots[w] = map[*wasmPlugin]*host.Root{}
		}
		root, err := s.vms[w].StartPlugin(host.PluginConfig{Name: p.name, RootID: p.rootID, Configuration: p.config})
		if err != nil {
			return err
		}
		s.roots[w][p] = root
	}
	return nil
}

// errPluginUnavailable is returned for a plugin whose code did not load.
var errPluginUnavailable = errors.New("wasm plugin unavailable")

// root returns the plugin's root context on a worker. A failed VM is
// replaced only under FAIL_RELOAD (after the backoff); otherwise the
// failure stands, as in Envoy, and the error tells the caller to apply
// the policy.
func (p *wasmPlugin) root(worker int) (*host.Root, error) {
	if p.set == nil {
		return nil, fmt.Errorf("%w: %v", errPluginUnavailable, p.loadErr)
	}
	s := p.set
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
		roots := map[*wasmPlugin]*host.Root{}
		for _, q := range s.plugins {
			r, serr := fresh.StartPlugin(host.PluginConfig{Name: q.name, RootID: q.rootID, Configuration: q.config})
			if serr != nil {
				fresh.Close(context.Background())
				return nil, serr
			}
			roots[q] = r
		}
		go vm.Close(context.Background())
		s.vms[worker], s.roots[worker] = fresh, roots
	}
	return s.roots[worker][p], nil
}

// state reports the plugin for the admin endpoint.
func (p *wasmPlugin) state() PluginState {
	st := PluginState{Name: p.name, RootID: p.rootID, Policy: p.policy.String(), Source: p.source, SHA256: p.digest, State: "running"}
	if p.set == nil {
		st.State, st.Reason = "failed to load", fmt.Sprint(p.loadErr)
		return st
	}
	p.set.mu.Lock()
	defer p.set.mu.Unlock()
	st.VMID = p.set.cfg.ID
	st.Workers = len(p.set.vms)
	for _, vm := range p.set.vms {
		if err := vm.Failed(); err != nil {
			st.FailedWorkers++
			st.Reason = err.Error()
		}
	}
	if st.FailedWorkers > 0 {
		st.State = "failed"
	}
	return st
}

func (l *wasmLoader) close() {
	for _, s := range l.sets {
		for _, vm := range s.vms {
			if vm != nil {
				vm.Close(context.Background())
			}
		}
	}
}

// httpFetch fetches remote code through a cluster.
func httpFetch(clusters func(string) roundTripper) func(ctx context.Context, cluster, uri string, timeout time.Duration) ([]byte, error) {
	return func(ctx context.Context, cluster, uri string, timeout time.Duration) ([]byte, error) {
		c := clusters(cluster)
		if c == nil {
			return nil, fmt.Errorf("unknown cluster %q", cluster)
		}
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	}
}

// roundTripper is what the proxy needs of an upstream cluster for HTTP.
type roundTripper interface {
	RoundTrip(*http.Request) (*http.Response, error)
}
