// Entry point for Node, Deno, Bun and bundlers: the WebAssembly module is compiled
// synchronously from embedded bytes, so importing (or requiring) the package is enough.

import { initSync, Kestra, Flow, errorClasses } from './dist/kestra_wasm.js';
import { wasmBytes } from './dist/kestra_wasm_bytes.js';

initSync({ module: wasmBytes() });

// Node writes to a pipe asynchronously, so lines still queued when a script calls
// process.exit() are lost, and Kestra reads a task's stdout through a pipe. Blocking writes
// keep every line printed before the exit (files and terminals are written synchronously
// already). Deno and Bun have no such handle: there this does nothing.
globalThis.process?.stdout?._handle?.setBlocking?.(true);

const errors = errorClasses();

export { Kestra, Flow };
export const { KestraError, HttpError, AuthenticationError, FailedExponentialBackoff } = errors;
