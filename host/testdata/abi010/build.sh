#!/usr/bin/env bash
# Rebuilds filter.wasm from the hand-written filter.wat.
# Toolchain: wabt 1.0.32 (Debian 12 package `wabt`), tool wat2wasm.
# No Wasm proposals beyond the MVP are used (no bulk memory), and no name
# section is emitted (wat2wasm writes one only with --debug-names).
set -euo pipefail
cd "$(dirname "$0")"

wat2wasm filter.wat -o filter.wasm
chmod 0644 filter.wasm

if command -v wasm-objdump >/dev/null 2>&1; then
  wasm-objdump -x -j Export filter.wasm | grep -q '"proxy_abi_version_0_1_0"' \
    || { echo "filter.wasm: ABI marker proxy_abi_version_0_1_0 missing" >&2; exit 1; }
fi
echo "built $(pwd)/filter.wasm ($(wc -c < filter.wasm) bytes)"
