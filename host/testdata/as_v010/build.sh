#!/usr/bin/env bash
# Rebuilds filter.wasm from assembly/index.ts.
# Toolchain (pinned in package.json + package-lock.json):
#   assemblyscript 0.9.4 (with binaryen 91.0.0-nightly.20200310), @solo-io/proxy-runtime 0.1.1
# Needs: node >= 16 and npm (tested with node 20.20 / npm 11.19).
set -euo pipefail
cd "$(dirname "$0")"

# Install exactly what package-lock.json says into ./node_modules (idempotent).
npm ci --no-audit --no-fund --loglevel=error

npx --no-install asc assembly/index.ts -b filter.wasm \
  --use abort=abort_proc_exit --optimize

# Sanity check: the module must carry the ABI 0.1.0 marker.
if command -v wasm-objdump >/dev/null 2>&1; then
  wasm-objdump -x -j Export filter.wasm | grep -q '"proxy_abi_version_0_1_0"' \
    || { echo "filter.wasm: ABI marker proxy_abi_version_0_1_0 missing" >&2; exit 1; }
fi
echo "built $(pwd)/filter.wasm ($(wc -c < filter.wasm) bytes)"
