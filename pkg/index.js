// Entry point for Node, Deno, Bun and bundlers: the WebAssembly module is compiled
// synchronously from embedded bytes, so importing (or requiring) the package is enough.

import { initSync, wasmBytes } from './dist/kestra_wasm.js';
import { Kestra, Flow, fileFromPath, errorClasses } from './dist/kestra_wasm.js';

initSync({ module: wasmBytes() });

const errors = errorClasses();

export { Kestra, Flow, fileFromPath };
export const {
  KestraError,
  HttpError,
  AuthenticationError,
  ForbiddenError,
  NotFoundError,
  InputValidationError,
  FailedExponentialBackoff,
  TimeoutError,
  AbortError,
} = errors;
