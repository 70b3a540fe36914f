#!/usr/bin/env bash
# Rebuilds filter.wasm from filter.c.
# Toolchain (Debian 12 packages, see scripts/fixtures/install-toolchains.sh):
#   clang 14.0.6, lld 14 (wasm-ld), wasi-libc 0.0~git20220510.9886d3d-2,
#   libclang-rt-14-dev-wasm32 (compiler-rt builtins for wasm32).
set -euo pipefail
cd "$(dirname "$0")"

CC=${CC:-clang}

# -mexec-model=reactor : link crt1-reactor.o -> exports _initialize, no _start
# --export=malloc      : the allocator the host uses to hand data to the guest
# --strip-all          : drop the name/producers sections (smaller, reproducible)
"$CC" --target=wasm32-wasi -O2 -mexec-model=reactor \
  -Wall -Wextra -Werror \
  -Wl,--export=malloc \
  -Wl,--strip-all \
  -o filter.wasm filter.c
chmod 0644 filter.wasm

if command -v wasm-objdump >/dev/null 2>&1; then
  wasm-objdump -x -j Export filter.wasm | grep -q '"proxy_abi_version_0_2_1"' \
    || { echo "filter.wasm: ABI marker proxy_abi_version_0_2_1 missing" >&2; exit 1; }
fi
echo "built $(pwd)/filter.wasm ($(wc -c < filter.wasm) bytes)"
