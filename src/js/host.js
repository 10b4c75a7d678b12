// Host glue that Rust cannot express through wasm-bindgen: JavaScript classes that extend
// Error (so `instanceof` and stack traces work), variadic logger methods, and reading the
// environment of whichever runtime this is.

/** Base class of every error this package throws about a Kestra request. */
export class KestraError extends Error {
  constructor(message, fields) {
    super(message, fields && 'cause' in fields ? { cause: fields.cause } : undefined);
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        // defineProperty: a `__proto__` key must stay a field, not replace the prototype.
        if (key !== 'cause') {
          Object.defineProperty(this, key, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        }
      }
    }
  }
}

/** Kestra answered with an HTTP error status; `status`, `url` and `body` say which. */
export class HttpError extends KestraError {}

/** Kestra answered 401: the credentials are missing or wrong. */
export class AuthenticationError extends HttpError {}

/** Kestra answered 403: the credentials may not do this. */
export class ForbiddenError extends HttpError {}

/** Kestra answered 404: no such flow, revision or execution. */
export class NotFoundError extends HttpError {}

/** Kestra answered 422: the inputs (or labels) were refused; `serverMessage` says why. */
export class InputValidationError extends HttpError {}

/** Every attempt of a request failed with a retryable status or a network error. */
export class FailedExponentialBackoff extends KestraError {}

/** The execution did not end within the `timeout` given to `execute`. */
export class TimeoutError extends KestraError {}

/** The `signal` given to `execute` was aborted. */
export class AbortError extends KestraError {}

const errorClasses = {
  KestraError,
  HttpError,
  AuthenticationError,
  ForbiddenError,
  NotFoundError,
  InputValidationError,
  FailedExponentialBackoff,
  TimeoutError,
  AbortError,
};

// Names on the prototypes rather than from `new.target.name`: bundlers that minify class
// names would otherwise change `error.name`, which callers may compare.
for (const [name, ErrorClass] of Object.entries(errorClasses)) {
  Object.defineProperty(ErrorClass.prototype, 'name', {
    value: name,
    writable: true,
    configurable: true,
  });
}

/** The exported error classes, by name. */
export function exportedErrorClasses() {
  return errorClasses;
}

/** Builds an error of one of the classes above. */
export function makeError(className, message, fields) {
  const ErrorClass = errorClasses[className] ?? KestraError;
  return new ErrorClass(message, fields);
}

/** Reads an environment variable in Node, Deno or Bun; `undefined` elsewhere. */
export function readEnv(name) {
  const host = globalThis;
  try {
    if (host.Deno?.env) return host.Deno.env.get(name) ?? undefined;
  } catch {
    // Deno without --allow-env: behave as if the variable were not set.
    return undefined;
  }
  if (host.Bun?.env) return host.Bun.env[name];
  if (host.process?.env) return host.process.env[name];
  return undefined;
}

// Protocol lines. The rules (patterns, level names, escaping) are Rust's and given at
// start-up; the host does the mechanical part, so a line never crosses into WebAssembly
// memory unless it holds a character that must be escaped.
let terminators = [];
let closerLookTraces = [];
let escapeAndPrint;

/**
 * Sets the Java-only line terminators, the traces that call for a closer look (see
 * encode.rs) and the Rust function that escapes and prints a JSON object text.
 */
export function configureProtocol(terminatorList, traceList, escaper) {
  terminators = terminatorList;
  closerLookTraces = traceList;
  escapeAndPrint = escaper;
}

// `includes` per trace beats one regular expression with alternatives: V8 searches a plain
// substring much faster, and skips two-byte ones in one-byte strings at once.
function holdsAny(text, needles) {
  for (let index = 0; index < needles.length; index += 1) {
    if (text.includes(needles[index])) return true;
  }
  return false;
}

/** Prints a JSON object text as one protocol line, escaped by Rust when it must be. */
export function printJson(text) {
  if (holdsAny(text, terminators)) escapeAndPrint(text);
  else printLine(`::${text}::`);
}

/**
 * The common case of outputs, assets and `_send`: when `value` is a plain object whose JSON
 * text needs no closer look, prints it (under `key` when given) and returns true. Otherwise
 * prints nothing and returns false, and Rust takes the slow path with its checks.
 */
export function printObjectIfPlain(key, value) {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const text = JSON.stringify(value);
    if (typeof text !== 'string' || text.charCodeAt(0) !== 123) return false;
    if (holdsAny(text, closerLookTraces)) return false;
    printLine(key === undefined ? `::${text}::` : `::{"${key}":${text}}::`);
    return true;
  } catch {
    return false;
  }
}

/** Prints one metric whose parts Rust has checked. */
export function printMetric(name, type, value, tags) {
  printJson(JSON.stringify({ metrics: [{ name, type, value, tags }] }));
}

const noTags = Object.freeze({});

/**
 * The common case of a metric: when name, value and tags are plainly valid (a non-empty
 * name, a finite value, zero or more for a timer, tags of strings, numbers or booleans),
 * prints the metric with its tags as strings and returns true. Otherwise prints nothing and
 * returns false, and Rust checks each part and names what is wrong.
 */
export function printMetricIfValid(name, type, value, tags) {
  try {
    if (typeof name !== 'string' || name.length === 0) return false;
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    if (type === 'timer' && value < 0) return false;

    let sentTags = noTags;
    if (tags !== undefined && tags !== null) {
      if (typeof tags !== 'object' || Array.isArray(tags) || tags instanceof Map) return false;
      sentTags = {};
      for (const key of Object.keys(tags)) {
        // Assigning it would replace the prototype: Rust's path keeps it as a tag.
        if (key === '__proto__') return false;
        const tag = tags[key];
        const kind = typeof tag;
        if (kind === 'string') sentTags[key] = tag;
        else if (kind === 'number' || kind === 'boolean') sentTags[key] = String(tag);
        else return false;
      }
    }
    printJson(JSON.stringify({ metrics: [{ name, type, value, tags: sentTags }] }));
    return true;
  } catch {
    return false;
  }
}

/** A logger whose methods take any number of arguments, like `console.log`. */
export function makeLogger(levelNames) {
  const [trace, debug, info, warn, error] = levelNames;
  const at = (level) => (...args) => {
    printJson(JSON.stringify({ logs: [{ level, message: formatMessage(args) }] }));
  };
  return Object.freeze({
    trace: at(trace),
    debug: at(debug),
    info: at(info),
    warn: at(warn),
    error: at(error),
  });
}

// Node and Bun format console.log arguments with util.format; so does the logger there.
const nodeUtil = globalThis.process?.getBuiltinModule?.('node:util');

/** The arguments of one logger call as one message, joined as `console.log` joins them. */
function formatMessage(args) {
  if (nodeUtil?.format) {
    try {
      return nodeUtil.format(...args);
    } catch {
      // A hostile value (a Symbol name on an Error, a throwing getter): render it plainly.
    }
  }
  const inspect = globalThis.Deno?.inspect;
  return args.map((arg) => (typeof arg === 'string' ? arg : safeRender(arg, inspect))).join(' ');
}

/** `render`, or the object tag when even reading the value throws. */
function safeRender(value, inspect) {
  try {
    return render(value, inspect);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** One argument as text where util.format is missing (Deno, browsers, workers). */
function render(value, inspect) {
  if (inspect) {
    try {
      return inspect(value);
    } catch {
      return stringOf(value);
    }
  }
  if (value instanceof Error) {
    const message = stringOf(value.message);
    const stack = typeof value.stack === 'string' ? value.stack : '';
    // V8 stacks start with "Name: message"; Firefox and Safari stacks hold frames only.
    if (stack.includes(message)) return stack;
    return [`${stringOf(value.name)}: ${message}`, stack].filter(Boolean).join('\n');
  }
  if (typeof value === 'object' && value !== null) {
    try {
      const bigintsAsText = (key, item) => (typeof item === 'bigint' ? `${item}n` : item);
      const json = JSON.stringify(value, bigintsAsText);
      if (json !== undefined) return json;
    } catch {
      // Circular or hostile: fall back to String().
    }
  }
  return stringOf(value);
}

/** `String(value)`, or the object tag when the conversion throws (a hostile `toString`). */
export function stringOf(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Whether `value` is a plain object (made by `{}` or `Object.create(null)`). */
export function isPlain(value) {
  try {
    const prototype = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
  } catch {
    return false;
  }
}

/** Whether `value` is a SharedArrayBuffer or a view on one. */
export function isSharedBytes(value) {
  const Shared = globalThis.SharedArrayBuffer;
  if (!Shared) return false;
  try {
    return value instanceof Shared || (ArrayBuffer.isView(value) && value.buffer instanceof Shared);
  } catch {
    return false;
  }
}

/** `value instanceof constructor`; throws only for hostile proxies. */
export function instanceOf(value, constructor) {
  return value instanceof constructor;
}

const nodeFs = globalThis.process?.getBuiltinModule?.('node:fs');

/** The error for a runtime without local files (browsers, workers). */
function filesUnavailable(path) {
  return new Error(`cannot read ${path}: this runtime has no file system access`);
}

function isNotFound(error) {
  return error?.code === 'ENOENT' || error instanceof (globalThis.Deno?.errors?.NotFound ?? Never);
}

class Never {}

/** A file's bytes, or `undefined` when it does not exist. */
export function readFileBytes(path) {
  try {
    if (nodeFs) return new Uint8Array(nodeFs.readFileSync(path));
    if (globalThis.Deno?.readFileSync) return globalThis.Deno.readFileSync(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  throw filesUnavailable(path);
}

let stdoutBlocking = false;

/**
 * Prints one protocol line with `console.log`. Before the first one, Node's stdout is made
 * blocking when it is a pipe: Node writes to pipes asynchronously, so lines still queued when
 * a script calls `process.exit()` would be lost, and Kestra reads a task's stdout through a
 * pipe. Files and terminals are written synchronously already; Deno and Bun have no such
 * handle. Scripts that never print a line (Flow users) keep Node's default.
 */
export function printLine(line) {
  if (!stdoutBlocking) {
    stdoutBlocking = true;
    globalThis.process?.stdout?._handle?.setBlocking?.(true);
  }
  console.log(line);
}

/**
 * The cancellation of one `execute` call: the caller's `signal`, the `timeout` in seconds,
 * and `stop()` for the client's own ends. `reason()` tells which came first.
 */
export function abortScope(signal, timeoutSeconds) {
  const controller = new AbortController();
  let reason;
  const stop = (why) => {
    if (reason !== undefined) return;
    reason = why;
    controller.abort();
  };
  const onAbort = () => stop('abort');
  const timer = timeoutSeconds === undefined
    ? undefined
    : setTimeout(() => stop('timeout'), timeoutSeconds * 1000);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener?.('abort', onAbort, { once: true });
  let failure;
  return {
    signal: controller.signal,
    reason: () => reason,
    stop: () => stop('done'),
    /** Stops the scope because a callback's Promise rejected; `failure()` returns why. */
    fail(error) {
      if (reason !== undefined) return;
      failure = error;
      stop('callback');
    },
    failure: () => failure,
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener?.('abort', onAbort);
    },
  };
}

/**
 * Waits `seconds` with `custom(seconds)` when given, else a timer; rejects as soon as
 * `signal` aborts.
 */
export function sleepFor(seconds, custom, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let timer;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (settleWith) => (value) => {
      signal?.removeEventListener('abort', onAbort);
      settleWith(value);
    };
    if (custom) {
      Promise.resolve()
        .then(() => custom(seconds))
        .then(settle(resolve), settle(reject));
    } else {
      timer = setTimeout(settle(resolve), seconds * 1000);
    }
  });
}

/**
 * Reads a response body as text chunks: `next()` resolves to a string, `null` at the end.
 * When `signal` aborts, the body is cancelled outright: a pending read alone does not make
 * every runtime (Deno) close a connection the server keeps open.
 */
export function textChunks(response, signal) {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let ended = !reader;
  signal?.addEventListener('abort', () => {
    ended = true;
    reader?.cancel().catch(() => {});
  }, { once: true });
  return {
    async next() {
      if (ended) return null;
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        const tail = decoder.decode();
        return tail === '' ? null : tail;
      }
      return decoder.decode(value, { stream: true });
    },
    cancel() {
      ended = true;
      reader?.cancel().catch(() => {});
    },
  };
}

/** Releases a response whose body is not wanted, so its connection can be reused. */
export function discardBody(response) {
  response.body?.cancel().catch(() => {});
}

/** `count` random bytes from the platform's cryptographic generator. */
export function randomBytes(count) {
  return globalThis.crypto.getRandomValues(new Uint8Array(count));
}

/**
 * Calls a user callback: what it throws is rethrown; when it returns a Promise that rejects,
 * `scope` fails with the rejection.
 */
export function callBack(callback, first, second, scope) {
  const returned = callback(first, second);
  if (typeof returned?.then === 'function') {
    Promise.resolve(returned).catch((error) => scope.fail(error));
  }
}

/**
 * A file on disk given as an input. Its bytes are read as the request is sent, once per
 * attempt, so a large input never sits in memory.
 */
export class PathFile {
  constructor(path, name, type, size) {
    this.path = path;
    this.name = name;
    this.type = type;
    this.size = size;
  }
}

/** Checks a local file and names it as a file input (Node, Deno and Bun). */
export async function fileFromPath(path, options = {}) {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError('fileFromPath: path must be a non-empty string');
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError('fileFromPath: options must be an object');
  }
  const { filename = path.split(/[\\/]/).pop(), contentType = 'application/octet-stream' } =
    options;
  if (typeof filename !== 'string' || filename === '') {
    throw new TypeError('fileFromPath: filename must be a non-empty string');
  }
  if (typeof contentType !== 'string' || !/^[\x20-\x7e]*$/.test(contentType)) {
    throw new TypeError('fileFromPath: contentType must be a string of printable ASCII');
  }
  if (!nodeFs) throw filesUnavailable(path);

  let stats;
  try {
    stats = await nodeFs.promises.stat(path);
  } catch (error) {
    throw new Error(`fileFromPath: cannot read ${path}: ${error.message}`, { cause: error });
  }
  if (!stats.isFile()) throw new TypeError(`fileFromPath: ${path} is not a file`);
  return new PathFile(path, filename, contentType, stats.size);
}

/** Whether an input value is a `PathFile`. */
export function isPathFile(value) {
  return value instanceof PathFile;
}

/**
 * A multipart body with files read from disk: `parts` are strings, Blobs and `PathFile`s,
 * streamed in order when the request is sent.
 */
class StreamedBody {
  constructor(parts) {
    this.parts = parts;
  }

  /**
   * The body's length in bytes, with the files as they are now; throws an
   * `UnreadableFileError` for a file input that cannot be read.
   */
  length() {
    let total = 0;
    for (const part of this.parts) {
      if (typeof part === 'string') total += encoder.encode(part).length;
      else if (part instanceof PathFile) total += readableFileSize(part.path);
      else total += part.size;
    }
    return total;
  }

  /** The body's bytes, chunk by chunk, each file opened anew. */
  async *chunks() {
    for (const part of this.parts) {
      if (typeof part === 'string') yield encoder.encode(part);
      else if (part instanceof PathFile) yield* nodeFs.createReadStream(part.path);
      else yield* part.stream();
    }
  }
}

const encoder = new TextEncoder();

/** The size of a file input that can be read now; else an `UnreadableFileError`. */
function readableFileSize(path) {
  try {
    nodeFs.accessSync(path, nodeFs.constants.R_OK);
    const stats = nodeFs.statSync(path);
    if (!stats.isFile()) throw new Error('not a file');
    return stats.size;
  } catch (error) {
    throw new UnreadableFileError(`file input ${path} cannot be read: ${error.message}`, {
      cause: error,
    });
  }
}

/** The body of a create: a Blob when everything is in memory, else a `StreamedBody`. */
export function multipartBody(parts) {
  if (parts.some((part) => part instanceof PathFile)) return new StreamedBody(parts);
  return new Blob(parts);
}

/**
 * `fetch`, except for bodies read from disk. Node's `fetch` holds a whole request body in
 * memory whatever its source, so Node sends those through `node:http`; Deno and Bun stream a
 * `ReadableStream` body through `fetch`.
 */
export function fetchWith(url, init) {
  const body = init.body;
  if (!(body instanceof StreamedBody)) {
    // Event streams stay open for the whole wait: they must not hold a request slot.
    const stream = new Headers(init.headers).get('accept') === 'text/event-stream';
    return stream ? fetch(url, init) : limited(originOf(url), () => fetch(url, init));
  }
  // Every file is checked (and sized) before a byte is sent: a missing one fails at once.
  let length;
  try {
    length = body.length();
  } catch (error) {
    return Promise.reject(error);
  }

  const isNode = globalThis.process?.versions?.node && !globalThis.Deno && !globalThis.Bun;
  if (isNode) return nodeRequest(url, init, body, length);
  return fetch(url, { ...init, body: streamOf(body.chunks()), duplex: 'half' });
}

/**
 * Requests waiting for their answer's headers, at most: a thousand concurrent `execute` calls
 * then share 64 connections instead of opening a thousand at once, which keeps the memory of
 * a Node process (and the server's load) in bounds. Browsers have a lower limit of their own.
 */
const MAX_REQUESTS_IN_FLIGHT = 64;

/** Per origin (a server that hangs must not hold up the others): requests sent, waiting. */
const slots = new Map();

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

async function limited(origin, send) {
  let slot = slots.get(origin);
  if (!slot) {
    slot = { inFlight: 0, waiting: [] };
    slots.set(origin, slot);
  }
  if (slot.inFlight >= MAX_REQUESTS_IN_FLIGHT) {
    await new Promise((resolve) => slot.waiting.push(resolve));
  }
  slot.inFlight += 1;
  try {
    return await send();
  } finally {
    slot.inFlight -= 1;
    const next = slot.waiting.shift();
    if (next) next();
    else if (slot.inFlight === 0) slots.delete(origin);
  }
}

/** A file input that cannot be read: nothing is sent, and no retry can help. */
export class UnreadableFileError extends Error {}

/**
 * How a rejected `fetch` failed: `unsent` when the connection was never made (refused, name
 * unknown), so the request reached nobody; `final` when no retry can succeed (a permission
 * the runtime lacks, a port or URL fetch refuses, a file input that cannot be read); else
 * `unknown`, which for a create may hide a success.
 */
export function fetchFailure(error) {
  if (error instanceof UnreadableFileError) return 'final';
  const names = [];
  for (let cause = error, depth = 0; cause && depth < 4; cause = cause.cause, depth += 1) {
    names.push(String(cause.name ?? ''), String(cause.code ?? ''), String(cause.message ?? ''));
  }
  const text = names.join(' ');
  if (/NotCapable|PermissionDenied|bad port|Invalid URL|Failed to parse URL/i.test(text)) {
    return 'final';
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ConnectionRefused|Connection refused|dns error/i
    .test(text)) {
    return 'unsent';
  }
  return 'unknown';
}

/** A `ReadableStream` pulling from an async iterator, so reading waits for the consumer. */
function streamOf(chunks) {
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return chunks.return(reason);
    },
  });
}

/** One request through `node:http` or `node:https`, answered as a web `Response`. */
function nodeRequest(url, init, body, length) {
  const getModule = globalThis.process.getBuiltinModule;
  const transport = getModule(url.startsWith('https:') ? 'node:https' : 'node:http');
  const { Readable, pipeline } = getModule('node:stream');

  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(new Headers(init.headers));
    headers['content-length'] = String(length);
    const request = transport.request(
      url,
      { method: init.method, headers, signal: init.signal },
      (answer) => {
        try {
          const answerHeaders = new Headers();
          for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
            answerHeaders.append(answer.rawHeaders[index], answer.rawHeaders[index + 1]);
          }
          const empty = [204, 205, 304].includes(answer.statusCode) || init.method === 'HEAD';
          resolve(new Response(empty ? null : Readable.toWeb(answer), {
            status: answer.statusCode,
            statusText: answer.statusMessage,
            headers: answerHeaders,
          }));
        } catch (error) {
          // A status `Response` cannot hold (below 200): the same failure as fetch's.
          answer.destroy();
          reject(error);
        }
      },
    );
    request.on('error', reject);
    // pipeline waits for `drain`: only a few chunks of a file are in memory at a time.
    pipeline(Readable.from(body.chunks()), request, (error) => {
      if (error) reject(error);
    });
  });
}
