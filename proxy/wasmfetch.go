package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/fetch"
)

// Remote Wasm code (vm_config.code.remote).
//
// A real cluster in http_uri.cluster fetches an http(s) URL through that
// cluster, as Envoy does, checking sha256 against the module. The
// placeholder cluster "_" that istiod writes (or none), and any oci:// or
// file:// URL, go through the Fetcher instead, with istio-agent's
// semantics (package internal/fetch): the module cache, the pull policy
// and pull secret istiod passes as ISTIO_META_WASM_IMAGE_PULL_POLICY and
// ISTIO_META_WASM_IMAGE_PULL_SECRET, and sha256 "nil" for no check. Every
// ISTIO_META_* key is removed from the guest's environment.
//
// The first fetch happens while the server is built. If it fails, the
// listener still starts: the plugin is in istio-agent's fallback (requests
// skip a FAIL_OPEN plugin, and get 503 from any other) and the fetch is
// retried in the background with exponential backoff (from
// retry_policy.retry_back_off, default 1s to 30s) until it succeeds; the
// plugin then serves new requests without a restart. A module that does
// not compile or start is not retried. With nack_on_code_cache_miss the
// first attempt only looks in the module cache (so start-up never waits
// for the network); --mode validate makes one attempt and no retries.
// /wasm reports each step: fetching, fetch failed (reason, RetryAt),
// fetched, compiled, running, failed.

const (
	envPullPolicy = "ISTIO_META_WASM_IMAGE_PULL_POLICY"
	envPullSecret = "ISTIO_META_WASM_IMAGE_PULL_SECRET"
)

// newWasmLoader makes the server's loader, with opts.Fetcher or one
// caching in CacheDir/modules.
func (s *Server) newWasmLoader(ctx context.Context) (*wasmLoader, error) {
	f := s.opts.Fetcher
	if f == nil {
		var err error
		if f, err = fetch.New(fetch.Config{Dir: s.opts.CacheDir}); err != nil {
			return nil, err
		}
	}
	l := &wasmLoader{ctx: ctx, rt: s.rt, workers: s.workers, sets: map[string]*vmSet{}, modules: map[[32]byte]*host.Module{},
		logger: s.log, fetcher: f, noRetry: s.opts.ValidateOnly,
		fetch: httpFetch(func(name string) roundTripper {
			if c := s.clusters.Cluster(name); c != nil {
				return c
			}
			return nil
		})}
	l.bg, l.cancel = context.WithCancel(context.Background())
	return l, nil
}

// remoteCode is how one plugin's code is fetched.
type remoteCode struct {
	uri, cluster, sha256 string
	viaCluster           bool
	timeout              time.Duration
	attempts             int
	base, max            time.Duration // backoff between attempts and background retries
	opts                 fetch.Options
	optsErr              error // a bad ISTIO_META_* value
}

func newRemoteCode(r *corev3.RemoteDataSource, istio map[string]string) *remoteCode {
	u := r.GetHttpUri()
	c := &remoteCode{uri: u.GetUri(), cluster: u.GetCluster(), sha256: r.GetSha256(), timeout: u.GetTimeout().AsDuration(),
		attempts: 2, base: time.Second, max: 30 * time.Second}
	scheme, _, _ := strings.Cut(c.uri, "://")
	c.viaCluster = c.cluster != "" && c.cluster != "_" && (scheme == "http" || scheme == "https")
	if n := r.GetRetryPolicy().GetNumRetries(); n != nil {
		c.attempts = int(n.GetValue()) + 1
	}
	if b := r.GetRetryPolicy().GetRetryBackOff(); b != nil {
		if d := b.GetBaseInterval().AsDuration(); d > 0 {
			c.base = d
		}
		if d := b.GetMaxInterval().AsDuration(); d > 0 {
			c.max = max(d, c.base)
		}
	}
	c.opts = fetch.Options{SHA256: c.sha256, Attempts: c.attempts, Backoff: c.base, MaxBackoff: c.max, Timeout: c.timeout}
	if c.opts.Timeout <= 0 {
		c.opts.Timeout = 5 * time.Second // istio-agent's default without http_uri.timeout
	}
	if v, ok := istio[envPullPolicy]; ok {
		c.opts.PullPolicy, c.optsErr = fetch.ParsePullPolicy(v)
	}
	if v, ok := istio[envPullSecret]; ok && c.optsErr == nil {
		c.opts.PullSecret, c.optsErr = fetch.ReadPullSecret(v)
	}
	return c
}

// fetch returns the module and, through the Fetcher, what it knows of it.
func (l *wasmLoader) fetchCode(ctx context.Context, c *remoteCode) (*fetch.Module, error) {
	if c.optsErr != nil {
		return nil, c.optsErr
	}
	if !c.viaCluster {
		return l.fetcher.Get(ctx, c.uri, c.opts)
	}
	if c.opts.CacheOnly {
		return nil, fmt.Errorf("fetch: %s: not in the module cache (nack_on_code_cache_miss; code fetched through a cluster is not cached)", c.uri)
	}
	var lastErr error
	for attempt := 0; attempt < c.attempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(min(c.base<<(attempt-1), c.max)):
			}
		}
		b, err := l.fetch(ctx, c.cluster, c.uri, c.timeout)
		if err != nil {
			lastErr = err
			continue
		}
		sum := sha256.Sum256(b)
		if want := strings.ToLower(c.sha256); want != "" && want != "nil" && hex.EncodeToString(sum[:]) != want {
			return nil, fmt.Errorf("fetch: sha256 of %s is %x, config says %s", c.uri, sum, want)
		}
		return &fetch.Module{Wasm: b, Digest: hex.EncodeToString(sum[:]), URL: c.uri}, nil
	}
	return nil, fmt.Errorf("fetch: %s from cluster %q: %w", c.uri, c.cluster, lastErr)
}

// loadRemote fetches and starts p's code, or leaves p in its fallback and
// retries in the background.
// With nack_on_code_cache_miss the first attempt only looks in the cache.
func (l *wasmLoader) loadRemote(path string, p *wasmPlugin, r *corev3.RemoteDataSource, spec vmSpec, istio map[string]string, nack bool) {
	c := newRemoteCode(r, istio)
	p.source = c.uri
	first := *c
	first.opts.CacheOnly = nack
	fetchFailed, err := l.attempt(l.ctx, path, p, &first, spec, c.base)
	if err == nil {
		return
	}
	fallback := "denying every request (503)"
	if p.policy == failOpen {
		fallback = "skipping it (allow all)"
	}
	retry := ""
	if fetchFailed && !l.noRetry {
		retry = fmt.Sprintf("; retrying in %s", c.base)
		go l.retryRemote(path, p, c, spec)
	}
	l.logger.Logf("wasm", host.LogCritical, "Plugin %q (%s) configured to %s failed to load: %v; %s until it loads%s", p.name, path, p.policy, err, fallback, retry)
}

// attempt fetches and starts the code once. next is the wait before the
// following attempt, for the admin endpoint.
func (l *wasmLoader) attempt(ctx context.Context, path string, p *wasmPlugin, c *remoteCode, spec vmSpec, next time.Duration) (fetchFailed bool, err error) {
	p.mu.Lock()
	p.status, p.attempts, p.retryAt = stateFetching, p.attempts+1, time.Time{}
	p.mu.Unlock()
	m, err := l.fetchCode(ctx, c)
	if err != nil {
		p.mu.Lock()
		p.status, p.loadErr = stateFetchFailed, err
		if !l.noRetry {
			p.retryAt = time.Now().Add(next)
		}
		p.mu.Unlock()
		return true, err
	}
	p.mu.Lock()
	p.status, p.loadErr, p.retryAt = stateFetched, nil, time.Time{}
	p.img, p.fromCache = m.ImageDigest, m.FromCache
	p.mu.Unlock()
	how := "downloaded"
	if m.FromCache {
		how = "from cache"
	}
	l.logger.Logf("wasm", host.LogInfo, "Plugin %q: fetched %s (sha256 %s%s, %s)", p.name, c.uri, m.Digest, prefixed(", image ", m.ImageDigest), how)
	if err := l.start(ctx, path, p, m.Wasm, spec); err != nil {
		p.setStatus(stateFailed, err)
		return false, err
	}
	return false, nil
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// retryRemote fetches p's code again with exponential backoff until it
// loads, the module turns out bad, or the server closes.
func (l *wasmLoader) retryRemote(path string, p *wasmPlugin, c *remoteCode, spec vmSpec) {
	wait := c.base
	for {
		t := time.NewTimer(wait)
		select {
		case <-l.bg.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, c.max)
		fetchFailed, err := l.attempt(l.bg, path, p, c, spec, wait)
		switch {
		case err == nil:
			l.logger.Logf("wasm", host.LogInfo, "Plugin %q loaded from %s after %d attempts: requests go through it now", p.name, c.uri, p.state().Attempts)
			return
		case l.bg.Err() != nil:
			return
		case !fetchFailed:
			l.logger.Logf("wasm", host.LogCritical, "Plugin %q: %v; not retrying", p.name, err)
			return
		}
		l.logger.Logf("wasm", host.LogWarn, "Plugin %q: %v; retrying in %s", p.name, err, wait)
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
		return io.ReadAll(io.LimitReader(resp.Body, fetch.DefaultMaxSize))
	}
}

// roundTripper is what the proxy needs of an upstream cluster for HTTP.
type roundTripper interface {
	RoundTrip(*http.Request) (*http.Response, error)
}

// stripIstioEnv removes every ISTIO_META_* key from env (istio-agent
// strips them before Envoy sees the VM config) and returns them.
func stripIstioEnv(env map[string]string) map[string]string {
	istio := map[string]string{}
	for k, v := range env {
		if strings.HasPrefix(k, "ISTIO_META_") {
			istio[k] = v
			delete(env, k)
		}
	}
	return istio
}
