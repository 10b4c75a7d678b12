// The cases every runtime of the matrix runs against the package as its users load it.
// Plain ECMAScript on purpose: no `node:` module, no runtime global beyond `console`,
// `setTimeout` and `fetch`, so the same file runs in Node, Deno, Bun, pages, workers and
// bundles. Each runtime's entry point passes the package in; this file never imports it.

/**
 * Kestra's pattern `^::(\{.*})::$` as Java reads it: its `.` stops at \n, \r, U+0085,
 * U+2028 and U+2029, where JavaScript's would let U+0085 through.
 */
export const KESTRA_PATTERN = /^::(\{[^\n\r\u0085\u2028\u2029]*\})::$/;

/** The lines `console.log` printed while `action` ran; a Promise of them if it is async. */
export function capture(action) {
  const lines = [];
  const original = console.log;
  const restore = () => {
    console.log = original;
  };
  console.log = (...args) => {
    lines.push(args.map(String).join(' '));
  };
  let result;
  try {
    result = action();
  } catch (error) {
    restore();
    throw error;
  }
  if (typeof result?.then !== 'function') {
    restore();
    return lines;
  }
  return Promise.resolve(result).then(
    () => {
      restore();
      return lines;
    },
    (error) => {
      restore();
      throw error;
    },
  );
}

/** A failed check of a case. */
export class AssertionError extends Error {}

/** Thrown by a case that the runtime cannot run, such as a Flow case without a mock. */
class Skip extends Error {}

/** Fails the case with `message` unless `condition` holds. */
export function ok(condition, message) {
  if (!condition) throw new AssertionError(message);
}

/** `actual` is `expected` (`Object.is`). */
export function equal(actual, expected, what) {
  ok(Object.is(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Structural equality of JSON-shaped values (what the printed lines parse back to). */
export function deepEqual(actual, expected, what) {
  ok(sameJson(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function sameJson(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length
      && a.every((item, index) => sameJson(item, b[index]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length
      && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
  }
  return Object.is(a, b);
}

/** `action` throws an instance of `ErrorClass` whose message matches `pattern`. */
function throws(action, ErrorClass, pattern, what) {
  let thrown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  ok(thrown !== undefined, `${what}: nothing was thrown`);
  ok(thrown instanceof ErrorClass, `${what}: expected a ${ErrorClass.name}, got ${show(thrown)}`);
  ok(pattern.test(thrown.message), `${what}: message ${show(thrown.message)} !~ ${pattern}`);
}

/** A value as it reads in a failure message. */
export function show(value) {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The one line `lines` must hold, checked against Kestra's pattern, and its JSON. */
function frameOf(lines, what) {
  equal(lines.length, 1, `${what}: number of lines printed`);
  const match = KESTRA_PATTERN.exec(lines[0]);
  ok(match, `${what}: line does not match Kestra's pattern: ${show(lines[0])}`);
  return { line: lines[0], message: JSON.parse(match[1]) };
}

/** The metric of the one line `lines` must hold. */
function metricOf(lines, what) {
  const { message } = frameOf(lines, what);
  equal(message.metrics?.length, 1, `${what}: number of metrics`);
  return message.metrics[0];
}

const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The cases, by name; each receives `{ Kestra, Flow, KestraError, capture, mockUrl }`. */
export const cases = {
  'outputs: JSON as Kestra reads it, Java line terminators escaped': ({ Kestra, capture }) => {
    const text = 'next\u0085line\u2028separator\u2029end';
    const { line, message } = frameOf(capture(() => Kestra.outputs({
      rows: 42,
      int: 5.0,
      text,
      nested: { list: [1, 'two', null, true] },
    })), 'outputs');
    ok(line.startsWith('::{"outputs":{"rows":42,"int":5,'), `outputs: line ${show(line)}`);
    ok(!/[\u0085\u2028\u2029]/.test(line), 'outputs: a Java line terminator is left raw');
    ok(line.includes('\\u0085') && line.includes('\\u2028'), `outputs: not escaped: ${line}`);
    deepEqual(message, {
      outputs: { rows: 42, int: 5, text, nested: { list: [1, 'two', null, true] } },
    }, 'outputs');
  },

  'outputs: a BigInt is an integer literal, a Map an object': ({ Kestra, capture }) => {
    const { line, message } = frameOf(capture(() => Kestra.outputs({
      big: 12345678901234567890123n,
      map: new Map([['a', 1], ['b', new Map([['c', true]])]]),
    })), 'outputs');
    ok(line.includes('"big":12345678901234567890123,'), `outputs: line ${show(line)}`);
    deepEqual(message.outputs.map, { a: 1, b: { c: true } }, 'outputs.map');
  },

  'outputs: NaN is a TypeError naming outputs.ratio, nothing printed': ({ Kestra, capture }) => {
    const lines = capture(() => {
      throws(() => Kestra.outputs({ ratio: Number.NaN }), TypeError, /outputs\.ratio is NaN/,
        'outputs NaN');
    });
    deepEqual(lines, [], 'lines printed');
  },

  'counter with tags sent as strings': ({ Kestra, capture }) => {
    const metric = metricOf(capture(() => Kestra.counter('rows', 3, { env: 'prod', shard: 7 })),
      'counter');
    deepEqual(metric, {
      name: 'rows', type: 'counter', value: 3, tags: { env: 'prod', shard: '7' },
    }, 'counter');
  },

  'timer in seconds': ({ Kestra, capture }) => {
    const metric = metricOf(capture(() => Kestra.timer('load', 1.25)), 'timer');
    deepEqual(metric, { name: 'load', type: 'timer', value: 1.25, tags: {} }, 'timer');
  },

  'timer around a function returns its result': ({ Kestra, capture }) => {
    let result;
    const metric = metricOf(capture(() => {
      result = Kestra.timer('parse', () => 'parsed');
    }), 'timer');
    equal(result, 'parsed', 'timer result');
    equal(metric.type, 'timer', 'metric type');
    ok(metric.value >= 0 && metric.value < 5, `timer: seconds ${metric.value}`);
  },

  'timer around an async function times until it settles': async ({ Kestra, capture }) => {
    let pending;
    const lines = await capture(async () => {
      pending = Kestra.timer('upload', async () => {
        await sleep(30);
        return 7;
      });
      ok(typeof pending?.then === 'function', 'timer: a Promise is returned');
      equal(await pending, 7, 'timer result');
    });
    const metric = metricOf(lines, 'timer');
    equal(metric.name, 'upload', 'metric name');
    // Timers may fire a little early in some runtimes; 20 ms still proves it waited.
    ok(metric.value >= 0.02 && metric.value < 5, `timer: seconds ${metric.value}`);
  },

  'gauge': ({ Kestra, capture }) => {
    const metric = metricOf(capture(() => Kestra.gauge('lag', -0.5, { primary: true })),
      'gauge');
    deepEqual(metric, {
      name: 'lag', type: 'gauge', value: -0.5, tags: { primary: 'true' },
    }, 'gauge');
  },

  'a bad metric is a TypeError and prints nothing': ({ Kestra, capture }) => {
    const lines = capture(() => {
      throws(() => Kestra.counter('', 1), TypeError, /non-empty/, 'empty name');
      throws(() => Kestra.gauge('g', Infinity), TypeError, /finite/, 'infinite gauge');
      throws(() => Kestra.timer('t', -1), TypeError, /zero or more/, 'negative timer');
    });
    deepEqual(lines, [], 'lines printed');
  },

  'assets': ({ Kestra, capture }) => {
    const assets = {
      inputs: [{ id: 'orders', type: 'TABLE' }],
      outputs: [{ id: 'report', type: 'FILE', namespace: 'company.team' }],
    };
    const { message } = frameOf(capture(() => Kestra.assets(assets)), 'assets');
    deepEqual(message, { assets }, 'assets');
  },

  'logger: the five levels, each with its own Kestra level': ({ Kestra, capture }) => {
    const logger = Kestra.logger();
    for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']) {
      const method = level.toLowerCase();
      const { message } = frameOf(capture(() => logger[method](`a ${method}`, 'message')),
        method);
      deepEqual(message, { logs: [{ level, message: `a ${method} message` }] }, method);
    }
  },

  'Flow defaults: localhost:8080 and the tenant main': ({ Flow }) => {
    const flow = new Flow();
    equal(flow.hostname, 'http://localhost:8080', 'hostname');
    equal(flow.tenant, 'main', 'tenant');
  },

  'KestraError is a class extending Error': ({ KestraError }) => {
    equal(typeof KestraError, 'function', 'typeof KestraError');
    ok(KestraError.prototype instanceof Error, 'KestraError does not extend Error');
    const error = new KestraError('refused');
    ok(error instanceof Error && error instanceof KestraError, 'instanceof');
    equal(error.name, 'KestraError', 'name');
    equal(error.message, 'refused', 'message');
  },

  'Flow execute without waiting resolves the created execution': async ({ Flow, mockUrl }) => {
    if (!mockUrl) throw new Skip('no mock server in this runtime');
    const flow = new Flow({ waitForCompletion: false, hostname: mockUrl });
    const execution = await flow.execute('company.team', 'hello', { name: 'World' });
    equal(execution.status, 'CREATED', 'status');
    equal(execution.executionId, 'matrix-1', 'executionId');
    equal(execution.log, null, 'log');
    equal(execution.error, null, 'error');
  },
};

/**
 * Runs every case against `api` (the package's exports) and resolves to the summary the
 * matrix checks: `{ passed, failed, skipped, failures: [{ name, error }] }`.
 */
export async function runSuite(api, { mockUrl } = {}) {
  const context = {
    Kestra: api.Kestra,
    Flow: api.Flow,
    KestraError: api.KestraError,
    capture,
    mockUrl,
  };
  const summary = { passed: 0, failed: 0, skipped: [], failures: [] };
  for (const [name, run] of Object.entries(cases)) {
    try {
      await run(context);
      summary.passed += 1;
    } catch (error) {
      if (error instanceof Skip) {
        summary.skipped.push(name);
      } else {
        summary.failed += 1;
        summary.failures.push({ name, error: show(error), stack: String(error?.stack ?? '') });
      }
    }
  }
  return summary;
}

/** A setting of the run: the environment in Node, Deno and Bun, the query string in pages. */
export function setting(name) {
  const host = globalThis;
  if (host.Deno?.env) return host.Deno.env.get(name) ?? undefined;
  if (host.process?.env) return host.process.env[name];
  if (host.location) return new URL(host.location.href).searchParams.get(name) ?? undefined;
  return undefined;
}

/** The summary line the matrix looks for on stdout or in the browser console. */
export function summaryLine(summary) {
  return `RESULT ${JSON.stringify(summary)}`;
}
