// Package filtertest runs a Proxy-Wasm filter in plain `go test`, on the
// real wasmesh host: the filter package is compiled to .wasm with the stock
// Go toolchain (GOOS=wasip1) and every callback runs in wazero exactly as it
// would in the data plane. Nothing is emulated.
//
//	func TestAddHeader(t *testing.T) {
//		f := filtertest.New(t, filtertest.Options{PluginConfig: `{"header":"x-hello","value":"world"}`})
//		x := f.NewHTTP()
//		x.RequestHeaders(filtertest.Headers(":method", "GET", ":path", "/"), true)
//		resp := filtertest.Headers(":status", "200")
//		x.ResponseHeaders(resp, true)
//		x.Close()
//		if v, _ := resp.Get("x-hello"); v != "world" { t.Fatal(v) }
//	}
//
// Modules built by other toolchains run the same way with Options.Wasm.
package filtertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/internal/wasmbuild"
)

// Options configure the filter under test.
type Options struct {
	// Dir is the Go filter package to build (default "."). Ignored when
	// Wasm is set.
	Dir string
	// Wasm is a module to run instead of building Dir.
	Wasm []byte
	// PluginConfig and VMConfig are the plugin and VM configurations.
	PluginConfig, VMConfig string
	// Name, RootID and VMID are the plugin's name, root_id and vm_id.
	Name, RootID, VMID string
	// Env are the VM's environment variables.
	Env map[string]string
	// Upstreams maps cluster names to base URLs (e.g. an httptest server)
	// for the filter's HTTP callouts, made over real HTTP.
	Upstreams map[string]string
	// Properties answers proxy_get_property for the streams.
	Properties host.PropertyProvider
	// CallTimeout bounds each guest call (default 5s).
	CallTimeout time.Duration
}

// Filter is a filter loaded in a real host with one worker VM.
type Filter struct {
	t    testing.TB
	rt   *host.Runtime
	root *host.Root
	logs *logRecorder
	opts Options
}

var builds sync.Map // abs dir -> *buildResult

type buildResult struct {
	once sync.Once
	wasm []byte
	err  error
}

// Build compiles the Go filter package in dir for wasip1 (once per test
// process) and returns the module.
func Build(t testing.TB, dir string) []byte {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := builds.LoadOrStore(abs, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() {
		tmp, err := os.MkdirTemp("", "filtertest")
		if err != nil {
			b.err = err
			return
		}
		defer os.RemoveAll(tmp)
		out := filepath.Join(tmp, "filter.wasm")
		if b.err = wasmbuild.Go(context.Background(), abs, out); b.err == nil {
			b.wasm, b.err = os.ReadFile(out)
		}
	})
	if b.err != nil {
		t.Fatalf("filtertest: %v", b.err)
	}
	return b.wasm
}

// New loads the filter and starts its plugin (on_vm_start, on_configure). A
// failure to load or a rejected configuration fails the test; use Start to
// inspect the error instead.
func New(t testing.TB, opts Options) *Filter {
	t.Helper()
	f, err := Start(t, opts)
	if err != nil {
		t.Fatalf("filtertest: %v\nlogs:\n%s", err, f.logsText())
	}
	return f
}

// Start is New returning the start-up error (with the Filter, whose logs
// say more).
func Start(t testing.TB, opts Options) (*Filter, error) {
	t.Helper()
	wasm := opts.Wasm
	if wasm == nil {
		dir := opts.Dir
		if dir == "" {
			dir = "."
		}
		wasm = Build(t, dir)
	}
	f := &Filter{t: t, logs: &logRecorder{}, opts: opts}
	cfg := host.Config{Logger: f.logs, Properties: opts.Properties, CallTimeout: opts.CallTimeout}
	if len(opts.Upstreams) > 0 {
		cfg.HTTPCaller = NewHTTPCaller(opts.Upstreams)
	}
	rt, err := host.NewRuntime(context.Background(), cfg)
	if err != nil {
		return f, err
	}
	f.rt = rt
	t.Cleanup(func() { rt.Close(context.Background()) })
	m, err := rt.Compile(context.Background(), wasm)
	if err != nil {
		return f, err
	}
	vm, err := rt.NewVM(context.Background(), m, host.VMConfig{ID: opts.VMID, Configuration: []byte(opts.VMConfig), Env: opts.Env})
	if err != nil {
		return f, err
	}
	f.root, err = vm.StartPlugin(host.PluginConfig{Name: opts.Name, RootID: opts.RootID, Configuration: []byte(opts.PluginConfig)})
	return f, err
}

// Runtime returns the host runtime (metrics, shared data).
func (f *Filter) Runtime() *host.Runtime { return f.rt }

// Root returns the plugin's root context.
func (f *Filter) Root() *host.Root { return f.root }

// Logs returns the log lines so far, as Envoy prints them without its
// prefix ("wasm log <plugin> <root_id> <vm_id>: message"), each preceded by
// its level, e.g. "info wasm log: hello".
func (f *Filter) Logs() []string { return f.logs.all() }

// WaitLog waits (up to 5 s) for a log line containing sub and fails the
// test if none comes. Ticks and queue notifications arrive asynchronously.
func (f *Filter) WaitLog(sub string) string {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, l := range f.logs.all() {
			if strings.Contains(l, sub) {
				return l
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("filtertest: no log line contains %q; logs:\n%s", sub, f.logsText())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *Filter) logsText() string {
	if f == nil || f.logs == nil {
		return ""
	}
	return strings.Join(f.logs.all(), "\n")
}

// Headers builds a header map from name, value pairs.
func Headers(kv ...string) *host.Headers {
	h := &host.Headers{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Level() host.LogLevel { return host.LogTrace }

func (l *logRecorder) Log(level host.LogLevel, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, level.String()+" "+msg)
	l.mu.Unlock()
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
