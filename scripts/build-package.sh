#!/usr/bin/env bash
# Builds the npm package in pkg/: the size-optimised wasm32 build, the wasm-bindgen glue,
# wasm-opt, then a packed tarball in target/package/ for tests and the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --target wasm32-unknown-unknown -p kestra-wasm --lib

out=pkg/dist/node
rm -rf "$out"
wasm-bindgen --target nodejs --out-dir "$out" \
  target/wasm32-unknown-unknown/release/kestra_wasm.wasm

wasm="$out/kestra_wasm_bg.wasm"
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"

mkdir -p target/package
rm -f target/package/*.tgz
(cd pkg && npm pack --silent --pack-destination ../target/package >/dev/null)
ls target/package/*.tgz
