// Package host runs Proxy-Wasm modules, as Envoy does, on wazero.
//
// It runs unmodified filters built by the C++, Rust, Go (1.24+ and TinyGo)
// and AssemblyScript SDKs, for ABI 0.1.0, 0.2.0 and 0.2.1, and knows nothing
// of any proxy: an embedder (the wasmesh data plane, or any Go server)
// feeds it stream events and carries out what the guest asks for.
//
// The pieces, in the order an embedder meets them:
//
//   - Runtime: a wazero compiler (with an optional on-disk compilation
//     cache) plus what Envoy keeps process-wide: shared data, shared queues,
//     metrics, foreign functions, and the embedder's callout and property
//     providers.
//   - Module: a compiled module. Compile detects the ABI from the marker
//     export and checks, before anything runs, every import against what
//     the host links for that ABI and every callback export's type,
//     returning one *LoadError that lists every problem. It then adds the
//     interrupt checks that enforce call deadlines (interrupt.go).
//   - VM: one instance, with its own memory and context ids, started with
//     _initialize (+ main / __main_void), _start, or its start section. One
//     guest call at a time.
//   - Root: a plugin's root context on a VM (on_context_create, on_vm_start,
//     on_configure), with its timer.
//   - HTTPStream and TCPStream: stream contexts, whose callbacks all run on
//     the VM of their root.
//   - Plugin: one plugin on N VMs, one per worker, replacing a VM that
//     failed, which is Envoy's per-worker model.
//
// Envoy's ordering is kept: HTTP streams end with on_log, on_done,
// on_delete (TCP with on_done, on_log, on_delete), on_delete is sent exactly
// once, and actions a guest requests (continue, local reply, close, the
// deletion after proxy_done) run after the outermost guest call returns,
// never re-entering the guest.
//
// A guest fault (trap, runaway loop past Config.CallTimeout, memory past
// Config.MemoryLimitPages, proc_exit) fails its VM only: the call returns an
// error matching ErrVMFailed, the VM gets no further callbacks, and
// Plugin.Root gives new work a fresh VM. Every guest pointer is bounds
// checked; a bad one yields INVALID_MEMORY_ACCESS.
//
// Host functions are documented where they are defined (hf_*.go, wasi.go):
// arguments, results and every status each returns. The behaviour follows
// Envoy wherever Envoy and the Proxy-Wasm spec disagree.
package host
