;; abi010: a hand-written Proxy-Wasm module for ABI 0.1.0 (host test fixture).
;;
;; What makes it 0.1.0:
;;   * marker export proxy_abi_version_0_1_0;
;;   * proxy_on_request_headers / proxy_on_response_headers take TWO params
;;     (context_id, num_headers): no end_of_stream;
;;   * it imports the 0.1.0-only host functions proxy_get_configuration and
;;     proxy_continue_request (both ()/(ptr,ptr) -> status).
;;
;; Log lines (proxy_log level 2 = info):
;;   proxy_on_configure        -> the raw plugin configuration bytes (an empty
;;                                line if empty); on error
;;                                "get_configuration status <n>"
;;   proxy_on_request_headers  -> "missing status <n>"  status of
;;                                proxy_get_header_map_value(0, "missing") -
;;                                0.1.0 hosts answer 0 (OK, empty value)
;;                             -> "continue_request status <n>"
;;
;; Memory map (one 64 KiB page to start, grown by malloc when needed):
;;   256..263   out-parameter slots (u32 ptr, u32 size) for host calls
;;   512..1023  scratch buffer for building log lines
;;   1024..     constant strings (data segments)
;;   4096..     bump heap used by malloc (never freed)
(module
  ;; ---- host functions (module "env") ----
  (import "env" "proxy_log"
    (func $proxy_log (param $level i32) (param $ptr i32) (param $size i32) (result i32)))
  (import "env" "proxy_get_configuration"
    (func $proxy_get_configuration (param $out_ptr_ptr i32) (param $out_size_ptr i32) (result i32)))
  (import "env" "proxy_get_header_map_value"
    (func $proxy_get_header_map_value
      (param $map i32) (param $key_ptr i32) (param $key_size i32)
      (param $out_ptr_ptr i32) (param $out_size_ptr i32) (result i32)))
  (import "env" "proxy_continue_request"
    (func $proxy_continue_request (result i32)))

  (memory (export "memory") 1)

  ;; ---- constants ----
  (global $OUT_PTR i32 (i32.const 256))
  (global $OUT_SIZE i32 (i32.const 260))
  (global $SCRATCH i32 (i32.const 512))
  (global $heap (mut i32) (i32.const 4096))

  (data (i32.const 1024) "missing")                  ;; 7 bytes
  (data (i32.const 1040) "missing status ")          ;; 15 bytes
  (data (i32.const 1056) "continue_request status ") ;; 24 bytes
  (data (i32.const 1088) "get_configuration status ") ;; 25 bytes

  ;; ---- ABI version marker: never called ----
  (func (export "proxy_abi_version_0_1_0"))

  ;; ---- bump allocator: malloc(size) -> ptr, 0 on failure ----
  (func $malloc (export "malloc") (param $size i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    ;; p = align8(heap)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    ;; 32-bit overflow -> fail
    (if (i32.lt_u (local.get $end) (local.get $p)) (then (return (i32.const 0))))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u
                  (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                  (i32.const 16)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))

  ;; ---- helpers ----

  ;; Copies $len bytes from $src to $dst (no bulk-memory needed).
  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next))))

  ;; Logs "<prefix><value in decimal>" at info level.
  (func $log_status (param $prefix i32) (param $prefix_len i32) (param $value i32)
    (local $digits i32) (local $n i32) (local $v i32) (local $pos i32)
    (call $copy (global.get $SCRATCH) (local.get $prefix) (local.get $prefix_len))
    ;; count the digits
    (local.set $n (i32.const 1))
    (local.set $v (local.get $value))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $v) (i32.const 10)))
        (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $count)))
    ;; write them right to left
    (local.set $pos (i32.add (i32.add (global.get $SCRATCH) (local.get $prefix_len)) (local.get $n)))
    (local.set $v (local.get $value))
    (loop $write
      (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
      (i32.store8 (local.get $pos) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $write (i32.ne (local.get $v) (i32.const 0))))
    (drop (call $proxy_log (i32.const 2) (global.get $SCRATCH)
      (i32.add (local.get $prefix_len) (local.get $n)))))

  ;; ---- callbacks ----

  (func (export "proxy_on_context_create") (param $context_id i32) (param $parent_id i32))

  (func (export "proxy_on_vm_start") (param $root_id i32) (param $vm_config_size i32) (result i32)
    (i32.const 1))

  ;; Reads the plugin configuration with the 0.1.0 call and logs it verbatim.
  (func (export "proxy_on_configure") (param $root_id i32) (param $config_size i32) (result i32)
    (local $status i32)
    (i32.store (global.get $OUT_PTR) (i32.const 0))
    (i32.store (global.get $OUT_SIZE) (i32.const 0))
    (local.set $status
      (call $proxy_get_configuration (global.get $OUT_PTR) (global.get $OUT_SIZE)))
    (if (i32.ne (local.get $status) (i32.const 0))
      (then
        (call $log_status (i32.const 1088) (i32.const 25) (local.get $status))
        (return (i32.const 1))))
    (drop (call $proxy_log (i32.const 2)
      (i32.load (global.get $OUT_PTR)) (i32.load (global.get $OUT_SIZE))))
    (i32.const 1))

  ;; 0.1.0 shape: (context_id, num_headers) -> action
  (func (export "proxy_on_request_headers") (param $context_id i32) (param $num_headers i32) (result i32)
    ;; map 0 = HTTP_REQUEST_HEADERS, key "missing"
    (call $log_status (i32.const 1040) (i32.const 15)
      (call $proxy_get_header_map_value (i32.const 0) (i32.const 1024) (i32.const 7)
        (global.get $OUT_PTR) (global.get $OUT_SIZE)))
    (call $log_status (i32.const 1056) (i32.const 24)
      (call $proxy_continue_request))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $context_id i32) (param $num_headers i32) (result i32)
    (i32.const 0))

  (func (export "proxy_on_log") (param $context_id i32))

  (func (export "proxy_on_done") (param $context_id i32) (result i32)
    (i32.const 1))

  (func (export "proxy_on_delete") (param $context_id i32))
)
