// The Flow cases every runtime of the flow matrix runs against the local server, through the
// package as its users load it. Plain ECMAScript on purpose, like suite.js: no `node:`
// module and no runtime global beyond `console`, `setTimeout`, `fetch`, `URL`, `btoa`,
// `Blob`, `File`, `TextEncoder` and `AbortController`, so the same file runs in Node, Deno,
// Bun and pages. The entry point passes the package's exports, the server's URL and its
// --kestra-version mode.

import { AssertionError, deepEqual, equal, ok, show } from './suite.js';

/** The basic-auth credentials the server is started with; `:` and `@` must survive. */
export const CREDENTIALS = { user: 'matrix-user', password: 'p@ss:word' };

/** The namespace of the flows in tests/flows/runtimes/. */
const NAMESPACE = 'tests.matrix';

/** How long one case may take before it counts as hung, in milliseconds. */
const CASE_LIMIT_MS = 25000;

/** The error classes the package exports, each with the class it extends. */
const ERROR_CLASSES = [
  ['KestraError', 'Error'],
  ['HttpError', 'KestraError'],
  ['AuthenticationError', 'HttpError'],
  ['ForbiddenError', 'HttpError'],
  ['NotFoundError', 'HttpError'],
  ['InputValidationError', 'HttpError'],
  ['FailedExponentialBackoff', 'KestraError'],
  ['TimeoutError', 'Error'],
  ['AbortError', 'Error'],
];

/** The error `promise` rejects with; an assertion failure if it resolves. */
async function rejection(promise, what) {
  let value;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new AssertionError(`${what}: expected a rejection, got ${show(value)}`);
}

/** `error` is a `name` from `api`, with that exact `name`, and every class above it. */
function isA(api, error, name, what) {
  const ErrorClass = api[name];
  equal(typeof ErrorClass, 'function', `${what}: typeof the export ${name}`);
  ok(error instanceof ErrorClass, `${what}: expected a ${name}, got ${show(error)}`);
  ok(error instanceof Error, `${what}: not an instance of Error`);
  equal(error.name, name, `${what}: name`);
  for (let parent = parentOf(name); parent && parent !== 'Error'; parent = parentOf(parent)) {
    ok(error instanceof api[parent], `${what}: not an instance of ${parent}`);
  }
}

function parentOf(name) {
  return ERROR_CLASSES.find(([child]) => child === name)?.[1];
}

/** Checks what every HTTP error carries: status, method, a URL without credentials. */
function checkHttpError(error, { status, method, path }, what) {
  equal(error.status, status, `${what}: status`);
  equal(error.method, method, `${what}: method`);
  ok(typeof error.url === 'string', `${what}: url ${show(error.url)}`);
  equal(new URL(error.url).pathname, `/api/v1/main${path}`, `${what}: path of the url`);
  ok(!error.url.includes('@') && !error.url.includes(CREDENTIALS.user),
    `${what}: the url holds credentials: ${error.url}`);
  ok(!error.url.includes('word'), `${what}: the url holds the password: ${error.url}`);
  ok(!error.message.includes('p@ss'), `${what}: the message holds the password`);
}

const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** `text`'s lines that end with ` LEVEL message`, as the log download writes them. */
function hasLogLine(text, level, message) {
  return typeof text === 'string'
    && text.split('\n').some((line) => line.endsWith(` ${level} ${message}`));
}

/** The hexadecimal digits of `bytes`. */
function hex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Per-run helpers: a Flow aimed at the server, and direct calls to it. */
function contextFor(api, { serverUrl, mode }) {
  const authorization = `Basic ${btoa(`${CREDENTIALS.user}:${CREDENTIALS.password}`)}`;

  /** Calls the server directly, not through the package: what it really holds. */
  async function server(method, path) {
    const response = await fetch(`${serverUrl}${path}`, {
      method,
      headers: { authorization },
    });
    ok(response.ok, `${method} ${path}: status ${response.status}`);
    return response.status === 204 ? null : response.json();
  }

  return {
    api,
    mode,
    serverUrl,
    flow: (options = {}) => new api.Flow({
      hostname: serverUrl,
      user: CREDENTIALS.user,
      password: CREDENTIALS.password,
      ...options,
    }),
    server,

    /** The API requests the server counted since the last call, preflights left out. */
    async requestsSince() {
      const counts = await server('GET', '/_emulator/requests');
      await server('DELETE', '/_emulator/requests');
      return Object.fromEntries(Object.entries(counts).filter(([key]) => (
        !key.startsWith('OPTIONS ') && !key.startsWith('/_emulator')
      )));
    },

    /** Waits until the server reports execution `id` in `state`; fails after 10 s. */
    async waitForState(id, state) {
      let current;
      for (let tries = 0; tries < 100; tries += 1) {
        const execution = await server('GET', `/api/v1/main/executions/${id}`);
        current = execution.state.current;
        if (current === state) return;
        await sleep(100);
      }
      throw new AssertionError(`execution ${id}: still ${current}, never ${state}`);
    },
  };
}

/** The inputs of a successful `greet` run, and the outputs they come back as. */
const GREET_INPUTS = {
  name: 'Ada ✓',
  count: 3,
  when: new Date('2024-05-06T05:08:09Z'),
  tags: { list: [1, 'two', null, true], nested: { ok: true } },
};
const GREET_OUTPUTS = {
  greeting: 'Hello, Ada ✓!',
  count: 3,
  when: '2024-05-06T05:08:09Z',
  tags: { list: [1, 'two', null, true], nested: { ok: true } },
};

/** The cases, by name; each receives the context built by `contextFor`. */
export const flowCases = {
  'the error classes are exported, named and chained': ({ api }) => {
    for (const [name, parent] of ERROR_CLASSES) {
      equal(typeof api[name], 'function', `typeof the export ${name}`);
      equal(api[name].name, name, `${name}.name`);
      ok(api[name].prototype instanceof (parent === 'Error' ? Error : api[parent]),
        `${name} does not extend ${parent}`);
    }
  },

  'a successful run: status, outputs, labels, url, log, the raw execution': async (
    { flow, mode, serverUrl },
  ) => {
    const result = await flow().execute(NAMESPACE, 'greet', GREET_INPUTS, {
      labels: { team: 'data', 'run.by': 'matrix' },
      revision: 1,
    });
    equal(result.status, 'SUCCESS', `status (log: ${show(result.log)})`);
    const id = result.executionId;
    ok(typeof id === 'string' && id.length > 0, `executionId ${show(id)}`);
    equal(result.error, null, 'error');
    deepEqual(result.outputs, GREET_OUTPUTS, 'outputs');

    equal(result.labels?.team, 'data', 'labels.team');
    equal(result.labels?.['run.by'], 'matrix', 'labels["run.by"]');
    equal(result.labels?.origin, 'flow-file', 'labels.origin, from the flow file');
    equal(result.url, `${serverUrl}/ui/main/executions/${NAMESPACE}/greet/${id}`, 'url');

    ok(hasLogLine(result.log, 'INFO', 'Hello, Ada ✓ x3'), `log: ${show(result.log)}`);
    ok(hasLogLine(result.log, 'WARN', 'careful at 2024-05-06T05:08:09Z'),
      `log: ${show(result.log)}`);

    const { execution } = result;
    equal(execution?.id, id, 'execution.id');
    equal(execution?.state?.current, 'SUCCESS', 'execution.state.current');
    deepEqual(execution.outputs, GREET_OUTPUTS, 'execution.outputs');
    // Kestra 2.x serves the slimmer ApiExecution: the raw JSON shows which server answered.
    equal(Object.hasOwn(execution, 'deleted'), mode === '1.3', `execution.deleted in ${mode}`);
    const createId = execution.labels?.find(({ key }) => key === 'kestra-wasm.create-id');
    ok(createId && createId.value.length > 0, `no create-id label: ${show(execution.labels)}`);
  },

  'onState: each new state once, with its execution, the terminal one last': async (
    { flow },
  ) => {
    const seen = [];
    const result = await flow().execute(NAMESPACE, 'greet', { name: 'Grace', when: new Date(0),
      tags: [] }, {
      onState: (state, execution) => seen.push([state, execution?.id, execution?.state?.current]),
    });
    equal(result.status, 'SUCCESS', 'status');
    ok(seen.length > 0, 'onState was never called');
    deepEqual(seen.at(-1), ['SUCCESS', result.executionId, 'SUCCESS'], 'last onState call');
    seen.forEach(([state, id, current], index) => {
      equal(id, result.executionId, `onState #${index}: execution id`);
      equal(current, state, `onState #${index}: execution.state.current`);
      ok(index === 0 || seen[index - 1][0] !== state, `onState #${index}: ${state} twice`);
    });
  },

  'onLog: the entries of the run, live, with level, message and task': async ({ flow }) => {
    const entries = [];
    const result = await flow().execute(NAMESPACE, 'greet', GREET_INPUTS, {
      onLog: (entry) => entries.push(entry),
    });
    equal(result.status, 'SUCCESS', 'status');
    const find = (level) => entries.find((entry) => entry.level === level);
    ok(find('INFO') && find('WARN'), `entries ${show(entries)}`);
    equal(find('INFO').message, 'Hello, Ada ✓ x3', 'INFO message');
    equal(find('INFO').taskId, 'hello', 'INFO taskId');
    equal(find('WARN').message, 'careful at 2024-05-06T05:08:09Z', 'WARN message');
    ok(!Number.isNaN(Date.parse(find('WARN').timestamp)), `timestamp ${find('WARN').timestamp}`);
    equal(entries.filter((entry) => entry.message === 'Hello, Ada ✓ x3').length, 1,
      'the INFO entry delivered once');
  },

  'wait: false resolves at once; the run goes on to SUCCESS on the server': async (
    { flow, waitForState },
  ) => {
    const result = await flow().execute(NAMESPACE, 'greet', GREET_INPUTS, { wait: false });
    ok(typeof result.executionId === 'string' && result.executionId.length > 0,
      `executionId ${show(result.executionId)}`);
    ok(result.status !== 'SUCCESS', `status ${result.status}: it waited`);
    equal(result.log, null, 'log');
    equal(result.outputs, null, 'outputs');
    equal(result.execution?.id, result.executionId, 'execution.id');
    await waitForState(result.executionId, 'SUCCESS');
  },

  'scheduleDate: the run starts at that instant, not before': async ({ flow }) => {
    const start = new Date(Date.now() + 1500);
    const result = await flow().execute(NAMESPACE, 'greet', GREET_INPUTS, {
      scheduleDate: start,
    });
    equal(result.status, 'SUCCESS', 'status');
    const running = result.execution.state.histories.find(({ state }) => state === 'RUNNING');
    ok(running, `no RUNNING in ${show(result.execution.state.histories)}`);
    // The server's clock is this machine's: it may start the run a few ms early at most.
    ok(Date.parse(running.date) >= start.getTime() - 50,
      `RUNNING at ${running.date}, scheduled for ${start.toISOString()}`);
  },

  'a FAILED run resolves with the status, an error and onState FAILED': async ({ flow }) => {
    const states = [];
    const result = await flow().execute(NAMESPACE, 'fail', { reason: 'matrix says no' }, {
      onState: (state) => states.push(state),
    });
    equal(result.status, 'FAILED', 'status');
    ok(typeof result.error === 'string', `error: ${show(result.error)}`);
    ok(/\bboom\b/.test(result.error), `error does not name the task boom: ${result.error}`);
    ok(result.error.includes('boom: matrix says no'), `error lacks the message: ${result.error}`);
    ok(hasLogLine(result.log, 'ERROR', 'boom: matrix says no'), `log: ${show(result.log)}`);
    ok(hasLogLine(result.log, 'INFO', 'about to fail'), `log: ${show(result.log)}`);
    equal(states.at(-1), 'FAILED', `last onState of ${show(states)}`);
    equal(result.execution?.state?.current, 'FAILED', 'execution.state.current');
  },

  'requests: create, follow and log download; a failure adds one JSON logs read': async (
    { flow, requestsSince },
  ) => {
    await requestsSince();
    const success = await flow().execute(NAMESPACE, 'greet', GREET_INPUTS);
    equal(success.status, 'SUCCESS', 'status');
    deepEqual(await requestsSince(), {
      'POST create': 1, 'GET follow': 1, 'GET logs-download': 1,
    }, 'requests of a successful run');

    const failure = await flow().execute(NAMESPACE, 'fail');
    equal(failure.status, 'FAILED', 'status');
    deepEqual(await requestsSince(), {
      'POST create': 1, 'GET follow': 1, 'GET logs-download': 1, 'GET logs': 1,
    }, 'requests of a failed run');
  },

  'file inputs: a File, a Blob and bytes arrive byte for byte': async ({ flow }) => {
    const bytes = new Uint8Array([0, 1, 2, 10, 13, 127, 128, 254, 255]);
    const text = 'plain text ✓\r\n';
    const textBytes = new TextEncoder().encode(text);
    const sent = [
      ['File', new File([bytes], 'notes.bin', { type: 'application/octet-stream' }), bytes],
      ['Blob', new Blob([text], { type: 'text/plain' }), textBytes],
      ['Uint8Array', bytes, bytes],
    ];
    const client = flow();
    // Three executions at once, from one client.
    const results = await Promise.all(sent.map(([, data]) => (
      client.execute(NAMESPACE, 'upload', { data })
    )));
    results.forEach((result, index) => {
      const [kind, , expected] = sent[index];
      equal(result.status, 'SUCCESS', `${kind}: status (log: ${show(result.log)})`);
      equal(result.outputs?.size, expected.length, `${kind}: size on the server`);
      equal(result.outputs?.hex, hex(expected), `${kind}: bytes on the server`);
      ok(result.outputs.uri.startsWith('kestra:///'), `${kind}: uri ${result.outputs.uri}`);
    });
    ok(results[0].outputs.uri.endsWith('/notes.bin'), `File name: ${results[0].outputs.uri}`);
  },

  'basic auth: a wrong password is an AuthenticationError': async ({ api, flow }) => {
    const error = await rejection(
      flow({ password: 'wrong' }).execute(NAMESPACE, 'greet', GREET_INPUTS),
      'wrong password',
    );
    isA(api, error, 'AuthenticationError', 'wrong password');
    checkHttpError(error, {
      status: 401, method: 'POST', path: `/executions/${NAMESPACE}/greet`,
    }, 'wrong password');
    ok(!error.url.includes('wrong'), `the url holds the wrong password: ${error.url}`);

    const anonymous = await rejection(
      flow({ user: null, password: null }).execute(NAMESPACE, 'greet', GREET_INPUTS),
      'no credentials',
    );
    isA(api, anonymous, 'AuthenticationError', 'no credentials');
  },

  'an unknown flow or revision is a NotFoundError': async ({ api, flow }) => {
    const error = await rejection(flow().execute(NAMESPACE, 'no-such-flow'), 'unknown flow');
    isA(api, error, 'NotFoundError', 'unknown flow');
    checkHttpError(error, {
      status: 404, method: 'POST', path: `/executions/${NAMESPACE}/no-such-flow`,
    }, 'unknown flow');
    ok(/Requested Flow is not found/.test(error.serverMessage),
      `serverMessage ${show(error.serverMessage)}`);

    const revision = await rejection(
      flow().execute(NAMESPACE, 'greet', GREET_INPUTS, { revision: 2 }),
      'unknown revision',
    );
    isA(api, revision, 'NotFoundError', 'unknown revision');
    equal(revision.status, 404, 'unknown revision: status');
  },

  'a bad input is an InputValidationError naming it': async ({ api, flow }) => {
    const error = await rejection(
      flow().execute(NAMESPACE, 'greet', { ...GREET_INPUTS, count: 'many' }),
      'bad input',
    );
    isA(api, error, 'InputValidationError', 'bad input');
    checkHttpError(error, {
      status: 422, method: 'POST', path: `/executions/${NAMESPACE}/greet`,
    }, 'bad input');
    ok(/Invalid value for input `count`/.test(error.serverMessage),
      `serverMessage ${show(error.serverMessage)}`);
  },

  'timeout: a TimeoutError after about a second, the execution killed': async (
    { api, flow, waitForState },
  ) => {
    const started = Date.now();
    const error = await rejection(
      flow().execute(NAMESPACE, 'slow', {}, { timeout: 1, killOnAbort: true }),
      'timeout',
    );
    const seconds = (Date.now() - started) / 1000;
    isA(api, error, 'TimeoutError', 'timeout');
    ok(seconds >= 0.9 && seconds < 8, `rejected after ${seconds} s`);
    ok(typeof error.executionId === 'string' && error.executionId.length > 0,
      `executionId ${show(error.executionId)}`);
    equal(error.state, 'RUNNING', 'state');
    await waitForState(error.executionId, 'KILLED');
  },

  'AbortSignal: an AbortError once aborted, the execution killed': async (
    { api, flow, waitForState },
  ) => {
    const controller = new AbortController();
    // Aborts once the run is seen RUNNING, or after 2 s if onState never says so.
    const fallback = setTimeout(() => controller.abort(), 2000);
    const started = Date.now();
    const error = await rejection(flow().execute(NAMESPACE, 'slow', {}, {
      signal: controller.signal,
      killOnAbort: true,
      timeout: 15,
      onState: (state) => {
        if (state === 'RUNNING') controller.abort();
      },
    }), 'abort');
    clearTimeout(fallback);
    const seconds = (Date.now() - started) / 1000;
    isA(api, error, 'AbortError', 'abort');
    ok(seconds < 1.5, `rejected after ${seconds} s: RUNNING was not reported at once`);
    ok(typeof error.executionId === 'string' && error.executionId.length > 0,
      `executionId ${show(error.executionId)}`);
    equal(error.state, 'RUNNING', 'state');
    await waitForState(error.executionId, 'KILLED');
  },
};

/** Rejects after `milliseconds`, so that a hung case fails instead of stalling the run. */
function limit(promise, milliseconds) {
  let timer;
  const expired = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`no end after ${milliseconds} ms`)),
      milliseconds);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Runs every case against `api` (the package's exports) and the server at `serverUrl`
 * started in `mode` ('1.3' or '2.1'). Resolves to `{ passed, failed, failures, cases }`,
 * `cases` holding `{ name, ok, ms, error? }` per case in order.
 */
export async function runFlowSuite(api, { serverUrl, mode }) {
  const summary = { passed: 0, failed: 0, failures: [], cases: [] };
  const context = contextFor(api, { serverUrl, mode });
  for (const [name, run] of Object.entries(flowCases)) {
    const started = Date.now();
    try {
      ok(serverUrl && mode, `no server URL (${serverUrl}) or mode (${mode}) was given`);
      await limit(Promise.resolve().then(() => run(context)), CASE_LIMIT_MS);
      summary.passed += 1;
      summary.cases.push({ name, ok: true, ms: Date.now() - started });
    } catch (error) {
      summary.failed += 1;
      summary.failures.push({ name, error: show(error) });
      summary.cases.push({ name, ok: false, ms: Date.now() - started, error: show(error) });
    }
  }
  return summary;
}
