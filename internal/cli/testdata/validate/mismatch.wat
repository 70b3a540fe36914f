;; A filter that links nowhere: ABI 0.2.0 importing proxy_log with the wrong
;; type, proxy_get_log_level (0.2.1 only), proxy_get_configuration (0.1.0
;; only) and a function no host provides. Rebuild: ./build.sh.
(module
  (import "env" "proxy_log" (func $log (param i32 i32) (result i32)))
  (import "env" "proxy_get_log_level" (func $level (param i32) (result i32)))
  (import "env" "proxy_get_configuration" (func $config (param i32 i32) (result i32)))
  (import "env" "proxy_no_such_function" (func $nope (param i64)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $log (i32.const 0) (i32.const 0)))
    (drop (call $level (i32.const 0)))
    (drop (call $config (i32.const 0) (i32.const 4)))
    (call $nope (i64.const 1))
    (i32.const 1)))
