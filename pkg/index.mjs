// ES module entry: the same objects as the CommonJS entry, so `instanceof` agrees across both.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const api = require('./index.cjs');

export const {
  Kestra,
  Flow,
  KestraError,
  HttpError,
  AuthenticationError,
  FailedExponentialBackoff,
} = api;
export default api;
