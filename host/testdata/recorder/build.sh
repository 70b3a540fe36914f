#!/usr/bin/env bash
# Rebuilds filter.wasm from recorder.c (freestanding: no libc, no SDK).
# Toolchain (Debian 12 packages, see scripts/fixtures/install-toolchains.sh):
#   clang 14.0.6 + lld 14 (wasm-ld). wasi-libc is NOT used.
set -euo pipefail
cd "$(dirname "$0")"

CC=${CC:-clang}

# -ffreestanding -nostdlib : no libc, no crt; the module has no _start/_initialize
# --no-entry              : no entry point required
# --export-dynamic        : export every default-visibility symbol (all helpers
#                           are static, so only the export_name'd callbacks,
#                           malloc and proxy_on_memory_allocate are exported)
# --strip-all             : drop the name section (smaller, reproducible)
"$CC" --target=wasm32-unknown-unknown -O2 -ffreestanding -nostdlib \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-all \
  -o filter.wasm recorder.c
chmod 0644 filter.wasm

if command -v wasm-objdump >/dev/null 2>&1; then
  wasm-objdump -x -j Export filter.wasm | grep -q '"proxy_abi_version_0_2_1"' \
    || { echo "filter.wasm: ABI marker proxy_abi_version_0_2_1 missing" >&2; exit 1; }
fi
echo "built $(pwd)/filter.wasm ($(wc -c < filter.wasm) bytes)"
