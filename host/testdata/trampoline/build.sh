#!/bin/sh
# Rebuilds the trampoline modules from their generated sources (wabt's wat2wasm).
set -eu
cd "$(dirname "$0")"
for f in abi021 abi010; do
	wat2wasm "$f.wat" -o "$f.wasm"
done
