'use strict';
// CommonJS entry: loads the WebAssembly module synchronously, so no init call is needed.

const bindings = require('./dist/node/kestra_wasm.js');

const errors = bindings.errorClasses();

module.exports = {
  Kestra: bindings.Kestra,
  Flow: bindings.Flow,
  KestraError: errors.KestraError,
  HttpError: errors.HttpError,
  AuthenticationError: errors.AuthenticationError,
  FailedExponentialBackoff: errors.FailedExponentialBackoff,
};
