#!/usr/bin/env bash
# Rebuilds the validate/inspect WAT fixtures (wabt's wat2wasm).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.wat; do wat2wasm "$f" -o "${f%.wat}.wasm"; done
