// Entry point for browsers and web workers: the same API as index.js, with the module
// compiled asynchronously, since browsers may refuse large synchronous compiles on the
// main thread.

import init, { wasmBytes } from './dist/kestra_wasm.js';
import { Kestra, Flow, fileFromPath, errorClasses } from './dist/kestra_wasm.js';

await init({ module_or_path: wasmBytes() });

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
