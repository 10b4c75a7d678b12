#!/usr/bin/env bash
# Builds the npm package in pkg/: the size-optimised wasm32 build, the wasm-bindgen glue
# (ES module, `web` flavour), wasm-opt, then one generated module, pkg/dist/kestra_wasm.js,
# holding the glue, its JavaScript snippets and the WebAssembly module's bytes, and a packed
# tarball in target/package/ for tests and the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

# Panic locations carry source paths: keep the build machine's directories out of the package.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$cargo_home/registry/src=crates \
  --remap-path-prefix=$PWD=kestra-wasm"
cargo build --release --target wasm32-unknown-unknown -p kestra-wasm --lib

# wasm-bindgen's output is an intermediate step: pkg/dist only receives what the package loads.
# The module is always handed to the glue, so the glue needs no default `.wasm` URL (which
# bundlers would otherwise try to resolve as an asset).
gen=target/wasm-bindgen
rm -rf "$gen"
wasm-bindgen --target web --omit-default-module-path --out-dir "$gen" \
  target/wasm32-unknown-unknown/release/kestra_wasm.wasm

# Other wasm-opt settings (-Os, -O3, --converge, --flatten --rereloop, --low-memory-unused,
# --ignore-implicit-traps) moved the packed size by under 1% here; these keep it smallest
# without assuming anything of the code. The target features section is read by the tools
# that come before (wasm-bindgen, wasm-opt), not by engines.
wasm="$gen/kestra_wasm_bg.wasm"
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers --strip-target-features \
  "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"

# One module rather than three (glue, snippets, bytes): Node spends about 1 ms on each module
# it loads at start. Whitespace and syntax are minified, names are kept for stack traces.
# The glue names its snippet once per use in its import object: duplicate keys, on purpose.
node_modules/.bin/esbuild "$gen/kestra_wasm.js" --bundle --format=esm --platform=neutral \
  --minify-whitespace --minify-syntax --log-override:duplicate-object-key=silent \
  --log-level=warning --outfile="$gen/glue.js"

# Assembled aside, then swapped in: a failed step leaves the previous pkg/dist in place.
next="$gen/dist"
mkdir -p "$next"
node scripts/embed-wasm.mjs "$wasm" "$gen/glue.js" "$next/kestra_wasm.js"
# Not part of the package (pkg/package.json lists what is): kept to inspect the module.
cp "$wasm" "$next/kestra_wasm_bg.wasm"
rm -rf pkg/dist
mv "$next" pkg/dist

mkdir -p target/package
rm -f target/package/*.tgz
(cd pkg && npm pack --silent --pack-destination ../target/package >/dev/null)
ls target/package/*.tgz
