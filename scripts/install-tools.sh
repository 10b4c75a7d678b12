#!/usr/bin/env bash
# Installs what building and testing need and is missing: the wasm32 target, the
# wasm-bindgen CLI at the exact version of Cargo.lock, and the npm dev dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# The CLI must match the wasm-bindgen crate exactly, or the generated glue is refused.
wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$wanted" ]; then
  echo "install-tools: no wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
installed=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$installed" != "$wanted" ]; then
  echo "install-tools: installing wasm-bindgen-cli $wanted (found '${installed:-none}')"
  # --locked first; when the registry no longer serves a locked dependency, resolve anew.
  cargo install --locked --version "$wanted" wasm-bindgen-cli \
    || cargo install --version "$wanted" wasm-bindgen-cli
fi

lock_state=node_modules/.package-lock.json
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt "$lock_state" ]; then
  npm ci --no-audit --no-fund
fi

# The conformance test reads the package's lines in the JVM, with java.util.regex and Jackson
# databind as Kestra does; it compiles its reader against Debian's Jackson jars (the JDK is
# part of the machine). The Debian package brings jackson-core and jackson-annotations too.
if [ ! -f /usr/share/java/jackson-databind.jar ]; then
  echo "install-tools: installing libjackson2-databind-java"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y libjackson2-databind-java
fi

# The runtime matrix (tests/runtimes.test.mjs) drives Debian's Chromium through
# playwright-core, which never downloads a browser of its own. Deno, Bun and esbuild are npm
# dev dependencies, installed above.
if [ ! -x /usr/bin/chromium ]; then
  echo "install-tools: installing chromium"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
