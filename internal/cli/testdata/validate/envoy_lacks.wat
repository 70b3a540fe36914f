;; A filter that links on the wasmesh host but not on Envoy: it imports
;; env.abort (a wasmesh extension for AssemblyScript modules built without
;; --use abort=...), wasi sched_yield (Envoy >= 1.33) and fd_readdir
;; (Envoy >= 1.39). Rebuild: ./build.sh (wat2wasm from wabt).
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "envoy_lacks")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 16) (i32.const 11)))
    (drop (call $yield))
    (i32.const 1))
  (func (export "proxy_on_done") (param i32) (result i32)
    (if (i32.eqz (i32.const 1)) (then (call $abort (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
    (drop (call $readdir (i32.const 3) (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 0)))
    (i32.const 1)))
