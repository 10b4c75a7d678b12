#!/usr/bin/env bash
# Builds the npm package in pkg/: the size-optimised wasm32 build, the wasm-bindgen glue
# (ES module, `web` flavour), wasm-opt, the module embedded as base64, then a packed
# tarball in target/package/ for tests and the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

# Panic locations carry source paths: keep the build machine's directories out of the package.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$cargo_home/registry/src=crates \
  --remap-path-prefix=$PWD=kestra-wasm"
cargo build --release --target wasm32-unknown-unknown -p kestra-wasm --lib

out=pkg/dist
rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" \
  target/wasm32-unknown-unknown/release/kestra_wasm.wasm

wasm="$out/kestra_wasm_bg.wasm"
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
node scripts/embed-wasm.mjs "$wasm" "$out/kestra_wasm_bytes.js"
# The package.json of pkg/ says these are ES modules; the generated one would not.
rm -f "$out/package.json"

mkdir -p target/package
rm -f target/package/*.tgz
(cd pkg && npm pack --silent --pack-destination ../target/package >/dev/null)
ls target/package/*.tgz
