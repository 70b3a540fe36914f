;; Benchmark fixture: loop(n) makes n guest-to-host calls of
;; proxy_get_buffer_status(VM_CONFIGURATION, &size, &flags), the cheapest
;; host function that still reads its arguments and writes guest memory.
(module
  (import "env" "proxy_get_buffer_status" (func $status (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 1024)
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    block $done
      loop $next
        local.get $n
        i32.eqz
        br_if $done
        i32.const 6
        i32.const 16
        i32.const 20
        call $status
        local.get $acc
        i32.add
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $next
      end
    end
    local.get $acc))
