#!/bin/sh
# Rebuilds hostcall.wasm from hostcall.wat (wabt's wat2wasm).
set -eu
cd "$(dirname "$0")"
wat2wasm hostcall.wat -o hostcall.wasm
