// Flow against the local Kestra emulator (1.3 and 2.1 modes) and a few scripted servers:
// completion over the follow stream and by polling, terminal and paused states, timeouts and
// aborts, the request budget, results, retries, exactly-once creates, proxies and redirects,
// credentials kept out of errors and results, and input encoding.

import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import * as kestra from 'kestra-wasm';
import { ROOT, startEmulator } from './support/emulator.mjs';

const { Flow, fileFromPath } = kestra;

const USER = 'ada';
const PASSWORD = 'pw-Zq8!secret';
const TOKEN = 'tok-Zq8-secret';
const WRONG_PASSWORD = 'wrong-Zq8-password';
const WRONG_TOKEN = 'wrong-Zq8-token';

/** Every text that must never show up in an error or a result. */
const SECRETS = [
  PASSWORD,
  TOKEN,
  WRONG_PASSWORD,
  WRONG_TOKEN,
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
  Buffer.from(`${USER}:${WRONG_PASSWORD}`).toString('base64'),
  encodeURIComponent(PASSWORD),
];

const NS = 'tests.flow';
const MODES = ['1.3', '2.1'];
const ENV_NAMES = ['KESTRA_HOSTNAME', 'KESTRA_USER', 'KESTRA_PASSWORD', 'KESTRA_API_TOKEN'];

/** Per-test limit: a client that never settles fails its test instead of the whole file. */
const T = { timeout: 30_000 };

/** Emulators by mode, started once for the file. */
const servers = {};
let flowsDir;
let scratch;
let savedEnv;

before(async () => {
  savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  for (const name of ENV_NAMES) delete process.env[name];

  // Only this file's flows: other files in tests/flows are not for the emulator.
  flowsDir = mkdtempSync(join(tmpdir(), 'flow-emulator-flows-'));
  scratch = mkdtempSync(join(tmpdir(), 'flow-emulator-data-'));
  const source = join(ROOT, 'tests', 'flows');
  for (const name of readdirSync(source).filter((file) => /^flow-.*\.yml$/.test(file))) {
    copyFileSync(join(source, name), join(flowsDir, name));
  }

  const auth = ['--basic-auth', `${USER}:${PASSWORD}`, '--api-token', TOKEN];
  const started = await Promise.all(
    MODES.map((mode) =>
      startEmulator({
        flows: flowsDir,
        args: ['--test-controls', '--kestra-version', mode, ...auth],
      }),
    ),
  );
  MODES.forEach((mode, index) => {
    servers[mode] = { ...started[index], mode };
  });
});

after(async () => {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
  // `before` may have failed half-way.
  for (const dir of [flowsDir, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

afterEach(async () => {
  // A test that failed half-way must not leave faults for the next one.
  await Promise.all(Object.values(servers).map((server) => clearFaults(server)));
});

// ---------------------------------------------------------------------------------------------
// Helpers: the emulator's test controls and API

/** Calls a `/_emulator/` control route and returns its JSON (or null for 204). */
async function control(server, method, path, body) {
  const response = await fetch(`${server.url}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} /_emulator/${path}: ${response.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

const addFault = (server, spec) => control(server, 'POST', 'faults', spec);
const clearFaults = (server) => control(server, 'DELETE', 'faults');
const pendingFaults = (server) => control(server, 'GET', 'faults');
const resetCounts = (server) => control(server, 'DELETE', 'requests');
const requestCounts = (server) => control(server, 'GET', 'requests');
const serverExecutions = (server) => control(server, 'GET', 'executions');

/** Sum of all request counts. */
const totalRequests = (counts) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** A call to the emulator's Kestra API with valid basic credentials. */
async function kestraApi(server, method, path) {
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const response = await fetch(`${server.url}/api/v1/main/${path}`, {
    method,
    headers: { authorization },
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

/** Resumes a paused execution through the route of the server's version. */
function resume(server, id) {
  const path = server.mode === '2.1' ? `${id}/actions/resume` : `${id}/resume`;
  return kestraApi(server, 'POST', `executions/${path}`);
}

/** Kills an execution through the route of the server's version. */
function kill(server, id) {
  const path = server.mode === '2.1' ? `${id}/actions/kill` : `${id}/kill`;
  return kestraApi(server, 'DELETE', `executions/${path}`);
}

/** The server-side state of one execution, from the test controls. */
async function serverState(server, id) {
  const found = (await serverExecutions(server)).find((execution) => execution.id === id);
  assert.ok(found, `the server has no execution ${id}`);
  return found.state;
}

/** Waits until the server says `id` is in `state`, failing after `ms`. */
async function waitForServerState(server, id, state, ms = 10_000) {
  const deadline = Date.now() + ms;
  let current;
  while (Date.now() < deadline) {
    current = await serverState(server, id);
    if (current === state) return;
    await delay(100);
  }
  assert.fail(`execution ${id} is ${current} on the server after ${ms} ms, not ${state}`);
}

/** Labels as an object, whatever list or map shape they come in. */
function labelMap(labels) {
  if (Array.isArray(labels)) {
    return Object.fromEntries(labels.map((label) => [label.key, label.value]));
  }
  return { ...labels };
}

// ---------------------------------------------------------------------------------------------
// Helpers: the client

/** Credentials per mode: basic auth in 1.3, a bearer token in 2.1, so both are exercised. */
function credentials(server) {
  return server.mode === '2.1' ? { apiToken: TOKEN } : { user: USER, password: PASSWORD };
}

/**
 * A Flow aimed at `server` whose waits are recorded; `realSleep` keeps them real (polling
 * tests), else they resolve at once (retry tests).
 */
function newFlow(server, options = {}, { realSleep = false } = {}) {
  const waits = [];
  const sleep = async (seconds) => {
    waits.push(seconds);
    if (realSleep) await delay(seconds * 1000);
  };
  const flow = new Flow({ hostname: server.url, ...credentials(server), sleep, ...options });
  return { flow, waits };
}

/**
 * Runs `flow.execute` and checks that neither its result nor its error carries a credential:
 * every test doubles as a credential-leak check.
 */
async function execute(flow, namespace, flowId, inputs = {}, options = {}) {
  let result;
  try {
    result = await flow.execute(namespace, flowId, inputs, options);
  } catch (error) {
    assertNoSecrets(error, `the ${error?.name} of ${flowId}`);
    throw error;
  }
  assertNoSecrets(result, `the result of ${flowId}`);
  return result;
}

/** The rejection of `promise` (or of calling it, for a function); fails if it resolves. */
async function rejection(promiseOrFunction) {
  let value;
  try {
    value =
      typeof promiseOrFunction === 'function' ? await promiseOrFunction() : await promiseOrFunction;
  } catch (error) {
    return error;
  }
  assert.fail(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 300)}`);
}

/** Asserts that `error` is the exported class `name` (and each of `parents`). */
function assertKind(error, name, parents = []) {
  for (const className of [name, ...parents]) {
    assert.equal(typeof kestra[className], 'function', `kestra-wasm exports ${className}`);
    assert.ok(
      error instanceof kestra[className],
      `expected a ${className}, got ${error?.name}: ${error?.message}`,
    );
  }
  assert.ok(error instanceof Error, 'errors are Error instances');
  assert.equal(error.name, name);
}

/** Collects every string reachable from `value`: own properties and prototype getters. */
function reachableText(value) {
  const texts = [];
  const seen = new Set();
  const visit = (item, depth) => {
    if (item === null || item === undefined) return;
    if (typeof item !== 'object' && typeof item !== 'function') {
      texts.push(String(item));
      return;
    }
    if (seen.has(item) || depth > 8) return;
    seen.add(item);
    if (item instanceof Error) texts.push(String(item), String(item.stack));
    const names = new Set(Object.getOwnPropertyNames(item));
    // Classes made by wasm-bindgen keep their fields behind prototype getters.
    let proto = Object.getPrototypeOf(item);
    while (proto && proto !== Object.prototype && proto !== Error.prototype) {
      for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
        if (descriptor.get) names.add(name);
      }
      proto = Object.getPrototypeOf(proto);
    }
    for (const name of names) {
      let child;
      try {
        child = item[name];
      } catch {
        continue;
      }
      if (typeof child !== 'function') visit(child, depth + 1);
    }
  };
  visit(value, 0);
  return texts.join('\n');
}

/** Fails when a credential is reachable from `value`. */
function assertNoSecrets(value, where) {
  const text = reachableText(value);
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `${where} carries a credential (${secret.slice(0, 6)}...)`);
  }
}

/** Consecutive repeats removed. */
const collapse = (list) => list.filter((item, index) => index === 0 || list[index - 1] !== item);

/** The server-side state history of an execution JSON. */
const historyOf = (execution) => execution.state.histories.map((entry) => entry.state);

/** Asserts that `part` appears in `whole` in the same order (not necessarily adjacent). */
function assertSubsequence(part, whole, what) {
  let position = 0;
  for (const item of whole) {
    if (item === part[position]) position += 1;
  }
  assert.equal(position, part.length, `${what}: ${JSON.stringify(part)} not in order within ` +
    JSON.stringify(whole));
}

const RESULT_KEYS = ['executionId', 'status', 'log', 'error', 'outputs', 'labels', 'url',
  'execution'];

// ---------------------------------------------------------------------------------------------
// Helpers: scripted servers on loopback

/**
 * Starts a node:http server answering through `handler(record, response)`; records every
 * request as `{ method, path, url, headers, body }`.
 */
async function startMock(handler) {
  const requests = [];
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const record = {
      method: request.method,
      url: request.url,
      path: new URL(request.url, 'http://mock').pathname,
      headers: request.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(record);
    try {
      await handler(record, response);
    } catch {
      response.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
  return { url, requests, stop };
}

/** A minimal execution JSON for the scripted Kestra. */
function mockExecution(id, states) {
  const date = new Date().toISOString();
  return {
    id,
    namespace: 'tests.mock',
    flowId: 'mocked',
    tenantId: 'main',
    labels: [{ key: 'team', value: 'mock' }],
    inputs: {},
    outputs: { answer: 42 },
    taskRunList: [],
    state: {
      current: states.at(-1),
      histories: states.map((state) => ({ state, date })),
      startDate: date,
    },
  };
}

/**
 * A scripted Kestra for one execution `m-1`. `follow` is `end` (start, RUNNING, then the
 * end event with `terminal`), `not-found`, `break` (socket destroyed after RUNNING) or
 * `close` (stream closed after RUNNING without an end); `polled` is the state sequence the
 * execution GET walks through (the last one repeats).
 */
function mockKestra({ follow, polled, terminal }) {
  const id = 'm-1';
  const base = '/api/v1/main';
  let polls = 0;
  const sse = (phase, data) => `id: ${phase}\ndata: ${JSON.stringify(data)}\n\n`;
  const json = (response, status, value) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  };
  return async ({ method, path }, response) => {
    if (method === 'POST' && path === `${base}/executions/tests.mock/mocked`) {
      json(response, 200, { ...mockExecution(id, ['CREATED']), url: 'http://ui/m-1' });
    } else if (method === 'GET' && path === `${base}/executions/${id}/follow`) {
      if (follow === 'not-found') {
        json(response, 404, { message: 'Not Found' });
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      response.write(sse('start', { id }));
      response.write(sse('progress', mockExecution(id, ['CREATED', 'RUNNING'])));
      if (follow === 'end') {
        response.end(sse('end', mockExecution(id, ['CREATED', 'RUNNING', terminal])));
      } else if (follow === 'close') {
        response.end();
      } else {
        await delay(50);
        response.socket.destroy();
      }
    } else if (method === 'GET' && path === `${base}/executions/${id}`) {
      const history = polled.slice(0, Math.min(polls + 1, polled.length));
      polls += 1;
      json(response, 200, mockExecution(id, history));
    } else if (method === 'GET' && path === `${base}/logs/${id}/download`) {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('2026-01-01T00:00:00Z INFO mock log line');
    } else if (method === 'GET' && path === `${base}/logs/${id}`) {
      json(response, 200, [
        { taskId: 'work', level: 'ERROR', message: 'mock failure reason', timestamp: 'x' },
      ]);
    } else if (method === 'GET' && path === `${base}/executions/search`) {
      json(response, 200, { results: [], total: 0 });
    } else {
      json(response, 404, { message: `Not Found: no mock for ${method} ${path}` });
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Tests

describe('the package surface', () => {
  test('exports the documented classes and helpers', () => {
    const names = ['Flow', 'fileFromPath', 'KestraError', 'HttpError', 'AuthenticationError',
      'ForbiddenError', 'NotFoundError', 'InputValidationError', 'FailedExponentialBackoff',
      'TimeoutError', 'AbortError'];
    const missing = names.filter((name) => typeof kestra[name] !== 'function');
    assert.deepEqual(missing, [], `missing exports: ${missing.join(', ')}`);

    // The documented hierarchy.
    const proto = (child, parent) =>
      assert.ok(kestra[child].prototype instanceof kestra[parent], `${child} extends ${parent}`);
    proto('HttpError', 'KestraError');
    for (const child of ['AuthenticationError', 'ForbiddenError', 'NotFoundError',
      'InputValidationError']) {
      proto(child, 'HttpError');
    }
    assert.ok(kestra.KestraError.prototype instanceof Error);
  });
});

describe('environment defaults', () => {
  test('KESTRA_HOSTNAME and KESTRA_API_TOKEN are read when options are absent', T, async () => {
    const server = servers['2.1'];
    process.env.KESTRA_HOSTNAME = server.url;
    process.env.KESTRA_API_TOKEN = TOKEN;
    try {
      const flow = new Flow({ waitForCompletion: false });

      const result = await execute(flow, NS, 'quick');

      assert.equal(typeof result.executionId, 'string');
      assert.equal(await serverState(server, result.executionId).then(() => 'found'), 'found');
    } finally {
      delete process.env.KESTRA_HOSTNAME;
      delete process.env.KESTRA_API_TOKEN;
    }
  });
});

for (const mode of MODES) {
  describe(`completion and results (Kestra ${mode})`, () => {
    test('a waited execution resolves with the documented result', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);

      const result = await execute(flow, NS, 'hello', { name: 'Ada' }, {
        labels: { team: 'data' },
      });

      const missing = RESULT_KEYS.filter((key) => !(key in result));
      assert.deepEqual(missing, [], `result keys missing: ${missing.join(', ')}`);
      assert.equal(result.status, 'SUCCESS');
      assert.equal(typeof result.executionId, 'string');
      assert.equal(await serverState(server, result.executionId), 'SUCCESS');
      assert.equal(result.error, null);
      assert.deepEqual(result.outputs, { greeting: 'Hello, Ada!' });
      assert.match(result.log, /Hello, Ada!/);
      assert.match(result.log, /Goodbye, Ada/);
      assert.equal(result.labels.team, 'data');
      assert.equal(result.labels.origin, 'yaml', 'the flow label is in the result');
      assert.equal(typeof result.url, 'string');
      assert.ok(result.url.includes(result.executionId), `url ${result.url}`);
      assert.equal(result.execution.id, result.executionId);
      assert.equal(result.execution.state.current, 'SUCCESS');
    });

    test('at most 4 requests per waited execution (create, follow, log...)', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      await resetCounts(server);

      const result = await execute(flow, NS, 'hello', { name: 'Bo' });

      const counts = await requestCounts(server);
      assert.equal(result.status, 'SUCCESS');
      assert.equal(counts['POST create'], 1, JSON.stringify(counts));
      assert.equal(counts['GET follow'], 1, `one follow stream: ${JSON.stringify(counts)}`);
      assert.ok(totalRequests(counts) <= 4, `more than 4 requests: ${JSON.stringify(counts)}`);
    });

    test('a FAILED execution names the failing task and its ERROR message', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      await resetCounts(server);

      const result = await execute(flow, NS, 'fail');

      const counts = await requestCounts(server);
      assert.equal(result.status, 'FAILED');
      assert.equal(typeof result.error, 'string', `error is ${result.error}`);
      assert.match(result.error, /explode/);
      assert.match(result.error, /disk \/data is full/);
      assert.doesNotMatch(result.error, /about to fail/, 'INFO lines are not part of the error');
      assert.match(result.log, /about to fail/);
      assert.ok(totalRequests(counts) <= 4, `more than 4 requests: ${JSON.stringify(counts)}`);
    });

    test('a KILLED execution resolves KILLED with an error', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      let killing;

      const result = await execute(flow, NS, 'slow', {}, {
        onState: (state, execution) => {
          if (state === 'RUNNING' && !killing) killing = kill(server, execution.id);
        },
      });

      assert.ok(killing, 'onState saw RUNNING');
      await killing;
      assert.equal(result.status, 'KILLED');
      assert.notEqual(result.error, null, 'error is set for KILLED');
      assert.equal(await serverState(server, result.executionId), 'KILLED');
    });

    test('a paused execution keeps the wait going until resumed', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      const seen = [];
      let resuming;

      const result = await execute(flow, NS, 'pause', {}, {
        onState: (state, execution) => {
          seen.push(state);
          // Resume a moment later, so a client that treats PAUSED as an end resolves first.
          if (state === 'PAUSED' && !resuming) {
            resuming = delay(300).then(() => resume(server, execution.id));
          }
        },
      });

      assert.ok(resuming, `PAUSED was never reported: ${JSON.stringify(seen)}`);
      await resuming;
      assert.equal(result.status, 'SUCCESS');
      assert.match(result.log, /resumed/);
      assertSubsequence(['PAUSED', 'SUCCESS'], seen, 'reported states');
    });

    test('onState sees the states in order, ending with the terminal one', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      const seen = [];

      const result = await execute(flow, NS, 'hello', {}, {
        onState: (state, execution) => seen.push({ state, execution }),
      });

      const states = seen.map((entry) => entry.state);
      assert.ok(states.length >= 2, `states seen: ${JSON.stringify(states)}`);
      assert.deepEqual(collapse(states), states, 'each state is reported once');
      assert.equal(states[0], 'CREATED', 'the created state comes first');
      assert.equal(states.at(-1), 'SUCCESS');
      assert.ok(states.includes('RUNNING'), `RUNNING seen: ${JSON.stringify(states)}`);
      assertSubsequence(states, historyOf(result.execution), 'reported states vs history');
      for (const { state, execution } of seen) {
        assert.equal(execution?.id, result.executionId, 'onState gets the execution');
        assert.equal(execution.state.current, state, 'the execution matches the state');
      }
    });

    test('onLog gets entries while the execution runs', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      const entries = [];

      const result = await execute(flow, NS, 'logs', {}, {
        onLog: (entry) => entries.push({ entry, at: Date.now() }),
      });

      assert.equal(result.status, 'SUCCESS');
      const messages = entries.map(({ entry }) => entry?.message);
      assert.ok(
        messages.every((message) => typeof message === 'string' && message.length > 0),
        `every entry has a message (the stream's empty start entry is not one): ` +
          JSON.stringify(messages),
      );
      // The tail entries are written just before the end: none may be lost to the race
      // between the log stream and the end of the execution.
      const expected = ['first line', 'second line', 'third line', 'tail 1', 'tail 2', 'tail 3',
        'tail 4', 'tail 5', 'tail 6'];
      assertSubsequence(expected, messages, 'log order');
      const first = entries.find(({ entry }) => entry.message === 'first line');
      assert.equal(first.entry.taskId, 'first');
      const second = entries.find(({ entry }) => entry.message === 'second line');
      assert.equal(second.entry.level, 'WARN');
      const ended = Date.parse(result.execution.state.endDate);
      assert.ok(
        first.at < ended - 500,
        `first line delivered ${first.at - ended} ms after the end: not live`,
      );
    });

    test('a throwing onState rejects the call with what it threw', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      const thrown = new RangeError('callback broke');

      const error = await rejection(execute(flow, NS, 'quick', {}, {
        onState: () => {
          throw thrown;
        },
      }));

      assert.equal(error, thrown);
    });

    test('the follow stream dropped: polling every pollInterval finishes the job', T,
      async () => {
        const server = servers[mode];
        const { flow, waits } = newFlow(server, { pollInterval: 0.2, backoff: 0.05 },
          { realSleep: true });
        await addFault(server, { route: 'follow', drop: true });
        await resetCounts(server);

        const result = await execute(flow, NS, 'hello', { name: 'Cy' });

        const counts = await requestCounts(server);
        assert.equal(result.status, 'SUCCESS');
        assert.deepEqual(result.outputs, { greeting: 'Hello, Cy!' });
        assert.match(result.log, /Goodbye, Cy/);
        assert.ok(counts['GET execution'] >= 2, `polled: ${JSON.stringify(counts)}`);
        assert.ok(waits.includes(0.2), `waited pollInterval: ${JSON.stringify(waits)}`);
      });

    test('no follow route (404): polling finishes the job', T, async () => {
      const server = servers[mode];
      const { flow, waits } = newFlow(server, { pollInterval: 0.2 }, { realSleep: true });
      await addFault(server, { route: 'follow', statuses: [404] });
      await resetCounts(server);

      const result = await execute(flow, NS, 'hello', { name: 'Di' });

      const counts = await requestCounts(server);
      assert.equal(result.status, 'SUCCESS');
      assert.deepEqual(result.outputs, { greeting: 'Hello, Di!' });
      assert.equal(counts['GET follow'], 1, `the 404 is not retried: ${JSON.stringify(counts)}`);
      assert.ok(counts['GET execution'] >= 2, `polled: ${JSON.stringify(counts)}`);
      assert.ok(waits.length >= 1 && waits.every((seconds) => seconds === 0.2),
        `only pollInterval waits: ${JSON.stringify(waits)}`);
    });

    test('unknown flow: NotFoundError with the server message', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);

      const error = await rejection(execute(flow, NS, 'no-such-flow'));

      assertKind(error, 'NotFoundError', ['HttpError', 'KestraError']);
      assert.equal(error.status, 404);
      assert.equal(error.method, 'POST');
      assert.match(String(error.serverMessage), /Requested Flow is not found\./);
      assert.ok(String(error.url).startsWith(server.url), `url ${error.url}`);
    });

    test('bad input: InputValidationError with the server message', T, async () => {
      const server = servers[mode];
      const { flow } = newFlow(server);
      await resetCounts(server);

      const error = await rejection(execute(flow, NS, 'count', { count: 'many' }));

      const counts = await requestCounts(server);
      assertKind(error, 'InputValidationError', ['HttpError', 'KestraError']);
      assert.equal(error.status, 422);
      assert.match(String(error.serverMessage), /Invalid value for input `count`/);
      assert.match(error.message, /Invalid value for input `count`/, 'the message says why');
      assert.equal(counts['POST create'], 1, `a 422 is not retried: ${JSON.stringify(counts)}`);
    });
  });
}

describe('terminal and waiting states (scripted server)', () => {
  const waiting = ['CREATED', 'QUEUED', 'RUNNING', 'PAUSED', 'RESTARTED', 'RUNNING', 'RETRYING',
    'RUNNING'];
  const terminals = [
    { terminal: 'WARNING', error: false },
    { terminal: 'CANCELLED', error: true },
    { terminal: 'SKIPPED', error: false },
    { terminal: 'RETRIED', error: false },
    { terminal: 'FAILED', error: true },
  ];

  for (const { terminal, error } of terminals) {
    test(`polling walks through the waiting states and ends on ${terminal}`, T, async () => {
      const mock = await startMock(
        mockKestra({ follow: 'not-found', polled: [...waiting, terminal] }),
      );
      try {
        const { flow } = newFlow({ url: mock.url, mode: '1.3' }, { pollInterval: 0.02 },
          { realSleep: true });
        const seen = [];

        const result = await execute(flow, 'tests.mock', 'mocked', {}, {
          onState: (state) => seen.push(state),
        });

        assert.equal(result.status, terminal);
        assert.deepEqual(collapse(seen), collapse([...waiting, terminal]), 'states in order');
        if (error) {
          assert.match(String(result.error), /mock failure reason/, `error set for ${terminal}`);
        } else assert.equal(result.error, null, `no error for ${terminal}`);
      } finally {
        await mock.stop();
      }
    });
  }

  test('the follow stream ends on WARNING: resolved from the end event', T, async () => {
    const mock = await startMock(mockKestra({ follow: 'end', terminal: 'WARNING',
      polled: ['RUNNING'] }));
    try {
      const { flow } = newFlow({ url: mock.url, mode: '1.3' });

      const result = await execute(flow, 'tests.mock', 'mocked');

      assert.equal(result.status, 'WARNING');
      assert.deepEqual(result.outputs, { answer: 42 });
      assert.equal(result.log, '2026-01-01T00:00:00Z INFO mock log line');
      const polls = mock.requests.filter((r) => r.path === '/api/v1/main/executions/m-1');
      assert.equal(polls.length, 0, 'no status read when the stream delivered the end');
    } finally {
      await mock.stop();
    }
  });

  for (const follow of ['break', 'close']) {
    test(`the follow stream ${follow === 'break' ? 'breaks' : 'closes'} mid-way: polling ` +
      'finishes', T, async () => {
      const mock = await startMock(mockKestra({ follow, polled: ['RUNNING', 'SUCCESS'] }));
      try {
        const { flow, waits } = newFlow({ url: mock.url, mode: '1.3' }, { pollInterval: 0.1 },
          { realSleep: true });

        const result = await execute(flow, 'tests.mock', 'mocked');

        assert.equal(result.status, 'SUCCESS');
        assert.deepEqual(result.outputs, { answer: 42 });
        const polls = mock.requests.filter((r) => r.path === '/api/v1/main/executions/m-1');
        assert.ok(polls.length >= 1, 'the status was polled');
        assert.ok(waits.includes(0.1), `waited pollInterval: ${JSON.stringify(waits)}`);
      } finally {
        await mock.stop();
      }
    });
  }
});

describe('timeouts and aborts', () => {
  for (const mode of MODES) {
    test(`timeout rejects with TimeoutError, execution left running (${mode})`, T, async () => {
      const server = servers[mode];
      const flow = new Flow({ hostname: server.url, ...credentials(server) });
      const started = Date.now();

      const error = await rejection(execute(flow, NS, 'slow', {}, { timeout: 1 }));

      const elapsed = Date.now() - started;
      assertKind(error, 'TimeoutError');
      assert.ok(elapsed >= 900 && elapsed < 5000, `rejected after ${elapsed} ms`);
      assert.equal(typeof error.executionId, 'string');
      assert.equal(error.state, 'RUNNING');
      assert.equal(error.timeout, 1);
      assert.ok(!error.killed, 'killed is not set without killOnAbort');
      assert.equal(await serverState(server, error.executionId), 'RUNNING',
        'without killOnAbort the execution keeps running');
      await kill(server, error.executionId);
    });

    test(`timeout with killOnAbort kills the execution (${mode})`, T, async () => {
      const server = servers[mode];
      const flow = new Flow({ hostname: server.url, ...credentials(server) });

      const error = await rejection(
        execute(flow, NS, 'slow', {}, { timeout: 1, killOnAbort: true }),
      );

      assertKind(error, 'TimeoutError');
      assert.equal(error.killed, true, `killed: ${error.killed}, killError: ${error.killError}`);
      await waitForServerState(server, error.executionId, 'KILLED');
    });

    test(`signal abort rejects with AbortError; killOnAbort kills (${mode})`, T, async () => {
      const server = servers[mode];
      const flow = new Flow({ hostname: server.url, ...credentials(server) });
      const controller = new AbortController();
      const reason = new Error('the user pressed stop');

      const error = await rejection(execute(flow, NS, 'slow', {}, {
        signal: controller.signal,
        killOnAbort: true,
        onState: (state) => {
          if (state === 'RUNNING') controller.abort(reason);
        },
      }));

      assertKind(error, 'AbortError');
      assert.equal(typeof error.executionId, 'string');
      assert.equal(error.state, 'RUNNING');
      assert.equal(error.cause, reason, 'cause is the signal reason');
      assert.equal(error.killed, true, `killed: ${error.killed}, killError: ${error.killError}`);
      await waitForServerState(server, error.executionId, 'KILLED');
    });
  }

  test('signal abort without killOnAbort leaves the execution running', T, async () => {
    const server = servers['1.3'];
    const flow = new Flow({ hostname: server.url, ...credentials(server) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);

    const error = await rejection(execute(flow, NS, 'slow', {}, { signal: controller.signal }));

    assertKind(error, 'AbortError');
    assert.equal(await serverState(server, error.executionId), 'RUNNING');
    await kill(server, error.executionId);
  });

  test('the default timeout comes from the constructor', T, async () => {
    const server = servers['1.3'];
    const flow = new Flow({ hostname: server.url, ...credentials(server), timeout: 0.5 });
    const started = Date.now();

    const error = await rejection(execute(flow, NS, 'slow'));

    assertKind(error, 'TimeoutError');
    assert.ok(Date.now() - started < 4000, 'rejected about 0.5 s in');
    await kill(server, error.executionId);
  });

  test('an abort during a long poll wait rejects at once', T, async () => {
    const server = servers['1.3'];
    const flow = new Flow({ hostname: server.url, ...credentials(server), pollInterval: 5 });
    await addFault(server, { route: 'follow', statuses: [404] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();

    const error = await rejection(execute(flow, NS, 'slow', {}, { signal: controller.signal,
      killOnAbort: true }));

    assertKind(error, 'AbortError');
    assert.ok(Date.now() - started < 2500, `rejected after ${Date.now() - started} ms`);
    await waitForServerState(server, error.executionId, 'KILLED');
  });

  test('a timeout is kept during a long poll wait', T, async () => {
    const server = servers['2.1'];
    const flow = new Flow({ hostname: server.url, ...credentials(server), pollInterval: 5 });
    await addFault(server, { route: 'follow', statuses: [404] });
    const started = Date.now();

    const error = await rejection(execute(flow, NS, 'slow', {}, { timeout: 1,
      killOnAbort: true }));

    assertKind(error, 'TimeoutError');
    assert.ok(Date.now() - started < 3000, `rejected after ${Date.now() - started} ms`);
    await waitForServerState(server, error.executionId, 'KILLED');
  });

  test('a timeout is kept during a long Retry-After wait', T, async () => {
    const server = servers['1.3'];
    const flow = new Flow({ hostname: server.url, ...credentials(server) });
    await addFault(server, { route: 'follow', statuses: [404] });
    await addFault(server, { route: 'execution', statuses: [503], retryAfter: 3600 });
    const started = Date.now();

    const error = await rejection(execute(flow, NS, 'slow', {}, { timeout: 1.5 }));

    assertKind(error, 'TimeoutError');
    assert.ok(Date.now() - started < 4000, `rejected after ${Date.now() - started} ms`);
    await kill(server, error.executionId);
  });

  test('an abort while the create is in flight still kills with killOnAbort', T, async () => {
    const server = servers['1.3'];
    const flow = new Flow({ hostname: server.url, ...credentials(server) });
    const beforeIds = new Set((await serverExecutions(server)).map((e) => e.id));
    await addFault(server, { route: 'create', delayMs: 800 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);

    const error = await rejection(execute(flow, NS, 'slow', {}, { signal: controller.signal,
      killOnAbort: true }));

    assertKind(error, 'AbortError');
    // Whatever the server made of the cut request, nothing of this call may keep running.
    await delay(2000);
    const added = (await serverExecutions(server)).filter((e) => !beforeIds.has(e.id));
    const running = added.filter((e) => e.state !== 'KILLED');
    for (const execution of running) await kill(server, execution.id);
    assert.deepEqual(running.map((e) => `${e.flowId} ${e.state}`), [],
      `left running after the abort (error.executionId ${error.executionId}, killed ` +
        `${error.killed})`);
  });

  // Not spelled out by the API notes: an already-aborted signal should not create anything.
  test('an already-aborted signal rejects with AbortError and creates nothing', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);
    await resetCounts(server);

    const error = await rejection(
      execute(flow, NS, 'hello', {}, { signal: AbortSignal.abort() }),
    );

    assertKind(error, 'AbortError');
    const counts = await requestCounts(server);
    assert.equal(counts['POST create'] ?? 0, 0, `requests: ${JSON.stringify(counts)}`);
  });
});

describe('retries', () => {
  test('reads retry 503 and 429 honouring Retry-After (seconds)', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { backoff: 0.01 });
    await addFault(server, { route: 'logs-download', statuses: [503, 429], retryAfter: 2 });
    await resetCounts(server);

    const result = await execute(flow, NS, 'quick');

    const counts = await requestCounts(server);
    assert.equal(result.status, 'SUCCESS');
    assert.match(result.log, /quick/);
    assert.equal(counts['GET logs-download'], 3, JSON.stringify(counts));
    assert.deepEqual(waits, [2, 2], 'Retry-After wins over the backoff');
  });

  test('Retry-After as an HTTP date is honoured', T, async () => {
    const server = servers['2.1'];
    const { flow, waits } = newFlow(server, { backoff: 0.01 });
    const at = new Date(Date.now() + 3000).toUTCString();
    await addFault(server, { route: 'logs-download', statuses: [503], retryAfter: at });

    const result = await execute(flow, NS, 'quick');

    assert.equal(result.status, 'SUCCESS');
    assert.equal(waits.length, 1, JSON.stringify(waits));
    assert.ok(waits[0] >= 1 && waits[0] <= 4.5, `waited ${waits[0]} s for a date 3 s ahead`);
  });

  test('without Retry-After the backoff doubles from `backoff`', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { backoff: 0.05 });
    await addFault(server, { route: 'logs-download', statuses: [503, 502, 504] });

    const result = await execute(flow, NS, 'quick');

    assert.equal(result.status, 'SUCCESS');
    assert.deepEqual(waits, [0.05, 0.1, 0.2]);
  });

  test('polling reads retry too (GET execution 429 with Retry-After)', T, async () => {
    const server = servers['2.1'];
    const waits = [];
    const flow = new Flow({
      hostname: server.url,
      ...credentials(server),
      pollInterval: 0.2,
      sleep: async (seconds) => {
        waits.push(seconds);
        await delay(Math.min(seconds, 0.2) * 1000);
      },
    });
    await addFault(server, { route: 'follow', statuses: [404] });
    await addFault(server, { route: 'execution', statuses: [429], retryAfter: 7 });

    const result = await execute(flow, NS, 'hello');

    assert.equal(result.status, 'SUCCESS');
    assert.ok(waits.includes(7), `Retry-After 7 honoured: ${JSON.stringify(waits)}`);
  });

  test('retries exhausted on a status read: FailedExponentialBackoff', T, async () => {
    const server = servers['2.1'];
    const { flow, waits } = newFlow(server, { retries: 2, backoff: 0.01, pollInterval: 0.05 });
    await addFault(server, { route: 'follow', statuses: [404] });
    await addFault(server, { route: 'execution', statuses: [503, 500, 429, 503] });
    await resetCounts(server);

    const error = await rejection(execute(flow, NS, 'quick'));

    const counts = await requestCounts(server);
    assertKind(error, 'FailedExponentialBackoff', ['KestraError']);
    assert.equal(error.status, 429, 'the last status');
    assert.equal(error.attempts, 3, 'the first attempt and 2 retries');
    assert.equal(counts['GET execution'], 3, JSON.stringify(counts));
    assert.deepEqual(waits, [0.01, 0.02]);
  });

  test('retries exhausted on the log download: FailedExponentialBackoff', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { retries: 2, backoff: 0.01 });
    await addFault(server, { route: 'logs-download', statuses: [503, 500, 502, 503, 503] });
    await resetCounts(server);

    const error = await rejection(execute(flow, NS, 'quick'));

    const counts = await requestCounts(server);
    assert.equal(counts['GET logs-download'], 3, JSON.stringify(counts));
    assert.deepEqual(waits, [0.01, 0.02]);
    assert.equal(typeof error.executionId, 'string', 'the ended execution is named');
    assertKind(error, 'FailedExponentialBackoff', ['KestraError']);
    assert.equal(error.status, 502, 'the last status');
    assert.equal(error.attempts, 3, 'the first attempt and 2 retries');
  });

  test('a Retry-After beyond 300 s is capped at 300 s', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { backoff: 0.01 });
    await addFault(server, { route: 'logs-download', statuses: [503], retryAfter: 3600 });

    const result = await execute(flow, NS, 'quick');

    assert.equal(result.status, 'SUCCESS');
    assert.deepEqual(waits, [300]);
  });

  test('network errors exhausted: FailedExponentialBackoff without a status', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { retries: 2, backoff: 0.01, pollInterval: 0.05 });
    await addFault(server, { route: 'follow', statuses: [404] });
    await addFault(server, { route: 'execution', drop: true, statuses: [500, 500, 500] });

    const error = await rejection(execute(flow, NS, 'quick'));

    assertKind(error, 'FailedExponentialBackoff');
    assert.equal(error.status, undefined);
    assert.equal(error.attempts, 3);
    assert.ok(error.cause, 'the network error is the cause');
    assert.deepEqual(waits, [0.01, 0.02]);
  });

  test('401 is not retried: AuthenticationError (wrong password)', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { password: WRONG_PASSWORD });
    await resetCounts(server);
    const before = (await serverExecutions(server)).length;

    const error = await rejection(execute(flow, NS, 'hello'));

    const counts = await requestCounts(server);
    assertKind(error, 'AuthenticationError', ['HttpError', 'KestraError']);
    assert.equal(error.status, 401);
    assert.deepEqual(counts, { 'POST create': 1 });
    assert.deepEqual(waits, []);
    assert.equal((await serverExecutions(server)).length, before);
  });

  test('401 on a bearer token: AuthenticationError', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server, { apiToken: WRONG_TOKEN });

    const error = await rejection(execute(flow, NS, 'hello'));

    assertKind(error, 'AuthenticationError');
    assert.equal(error.status, 401);
  });

  test('401 on a status read is not retried', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { backoff: 0.01, pollInterval: 0.05 });
    await addFault(server, { route: 'follow', statuses: [404] });
    await addFault(server, { route: 'execution', statuses: [401] });
    await resetCounts(server);

    const error = await rejection(execute(flow, NS, 'quick'));

    const counts = await requestCounts(server);
    assertKind(error, 'AuthenticationError');
    assert.equal(counts['GET execution'], 1, JSON.stringify(counts));
    assert.ok(waits.every((seconds) => seconds === 0.05), `no retry wait: ${waits}`);
  });

  test('401 on the follow stream is not retried nor polled around', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server, { backoff: 0.01, pollInterval: 0.05 });
    await addFault(server, { route: 'follow', statuses: [401] });
    await resetCounts(server);

    const outcome = await execute(flow, NS, 'quick').then(
      (result) => `resolved ${result.status}`,
      (error) => error,
    );

    const counts = await requestCounts(server);
    assert.equal(counts['GET follow'], 1, JSON.stringify(counts));
    assert.equal(counts['GET execution'] ?? 0, 0,
      `a 401 on follow was followed by polling (${JSON.stringify(counts)}), outcome: ${outcome}`);
    assertKind(outcome, 'AuthenticationError');
  });

  test('401 on the log download: AuthenticationError, not retried', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { backoff: 0.01 });
    await addFault(server, { route: 'logs-download', statuses: [401] });
    await resetCounts(server);

    const error = await rejection(execute(flow, NS, 'quick'));

    const counts = await requestCounts(server);
    assert.equal(counts['GET logs-download'], 1, JSON.stringify(counts));
    assert.deepEqual(waits, []);
    assertKind(error, 'AuthenticationError');
  });

  test('403: ForbiddenError, not retried', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server, { backoff: 0.01 });
    await addFault(server, { route: 'create', statuses: [403] });
    await resetCounts(server);

    const error = await rejection(execute(flow, NS, 'hello'));

    const counts = await requestCounts(server);
    assertKind(error, 'ForbiddenError', ['HttpError', 'KestraError']);
    assert.equal(error.status, 403);
    assert.deepEqual(counts, { 'POST create': 1 });
  });
});

describe('exactly-once creates', () => {
  // Each kind leaves the client unsure whether the create happened.
  const KINDS = [
    { createThen: 502 },
    { createThen: 504 },
    { createThen: 500 },
    { statuses: [502] },
    { createThen: 200, drop: true },
    { statuses: [500] },
    { drop: true, statuses: [201] },
  ];
  const CALLS = 1000;

  /** Checks that `ids` are distinct and exactly the executions of `quick` added since. */
  async function assertOnePerCall(server, beforeIds, ids, calls) {
    const quick = (await serverExecutions(server)).filter((e) => e.flowId === 'quick');
    const added = quick.filter((execution) => !beforeIds.has(execution.id));
    assert.equal(added.length, calls, `${added.length} executions for ${calls} calls`);
    assert.equal(new Set(ids).size, calls, 'each call resolves to its own execution');
    const addedIds = new Set(added.map((execution) => execution.id));
    assert.ok(ids.every((id) => addedIds.has(id)), 'each result names a created execution');
    const createIds = added.map((execution) => labelMap(execution.labels)['kestra-wasm.create-id']);
    assert.ok(createIds.every((value) => typeof value === 'string' && value.length > 0),
      'every create carries a kestra-wasm.create-id label');
    assert.equal(new Set(createIds).size, calls, 'create ids are unique');
    assert.deepEqual(await pendingFaults(server), [], 'every fault was hit');
  }

  test(`${CALLS} sequential creates through ambiguous failures make ${CALLS} executions`,
    { timeout: 90_000 }, async () => {
      const server = servers['1.3'];
      const { flow } = newFlow(server, { backoff: 0.001, waitForCompletion: false });
      const beforeIds = new Set((await serverExecutions(server)).map((e) => e.id));
      const ids = [];
      const started = Date.now();

      for (let call = 0; call < CALLS; call += 1) {
        await addFault(server, { route: 'create', ...KINDS[call % KINDS.length] });
        const result = await execute(flow, NS, 'quick');
        ids.push(result.executionId);
      }

      const seconds = (Date.now() - started) / 1000;
      await assertOnePerCall(server, beforeIds, ids, CALLS);
      assert.ok(seconds < 60, `${CALLS} calls took ${seconds} s`);
    });

  test('503 and 429 on create are retried after Retry-After, creating once', T, async () => {
    const server = servers['1.3'];
    const { flow, waits } = newFlow(server, { backoff: 0.01, waitForCompletion: false });
    const beforeIds = new Set((await serverExecutions(server)).map((e) => e.id));
    await addFault(server, { route: 'create', statuses: [503, 429], retryAfter: 3 });

    const result = await execute(flow, NS, 'quick');

    await assertOnePerCall(server, beforeIds, [result.executionId], 1);
    assert.deepEqual(waits, [3, 3]);
  });

  test('a failing lookup is retried and still creates once', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server, { backoff: 0.01, waitForCompletion: false });
    const beforeIds = new Set((await serverExecutions(server)).map((e) => e.id));
    await addFault(server, { route: 'create', createThen: 502 });
    await addFault(server, { route: 'search', statuses: [503, 502] });
    await resetCounts(server);

    const result = await execute(flow, NS, 'quick');

    const counts = await requestCounts(server);
    await assertOnePerCall(server, beforeIds, [result.executionId], 1);
    assert.equal(counts['POST create'], 1, `no resend: ${JSON.stringify(counts)}`);
    assert.equal(counts['GET search'], 3, `two failed lookups, then one: ${JSON.stringify(counts)}`);
  });

  test('100 concurrent creates, each answered 502 after creating (2.1)', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server, { backoff: 0.001, waitForCompletion: false });
    const beforeIds = new Set((await serverExecutions(server)).map((e) => e.id));
    for (let call = 0; call < 100; call += 1) {
      await addFault(server, { route: 'create', createThen: 502 });
    }

    const results = await Promise.all(
      Array.from({ length: 100 }, () => execute(flow, NS, 'quick')),
    );

    await assertOnePerCall(server, beforeIds, results.map((r) => r.executionId), 100);
  });
});

describe('proxies and redirects', () => {
  const PARSE_ERROR = /Unexpected token|not valid JSON|JSON\.parse|expected value at line|Syntax/i;

  test('a proxy HTML page (200) gives a clear KestraError', T, async () => {
    const mock = await startMock((record, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!DOCTYPE html><html><body>Sign in to the proxy</body></html>');
    });
    try {
      const { flow } = newFlow({ url: mock.url, mode: '1.3' }, { retries: 1, backoff: 0.001 });

      const error = await rejection(execute(flow, NS, 'hello'));

      assert.ok(error instanceof kestra.KestraError, `${error?.name}: ${error?.message}`);
      assert.doesNotMatch(`${error.name}: ${error.message}`, PARSE_ERROR);
      assert.match(error.message, /html|content.type|proxy/i, `message: ${error.message}`);
    } finally {
      await mock.stop();
    }
  });

  test('a proxy HTML error page (502) gives a KestraError, not a parse error', T, async () => {
    const mock = await startMock((record, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html><head><title>502 Bad Gateway</title></head></html>');
    });
    try {
      const { flow } = newFlow({ url: mock.url, mode: '1.3' }, { retries: 1, backoff: 0.001 });

      const error = await rejection(execute(flow, NS, 'hello'));

      assert.ok(error instanceof kestra.KestraError, `${error?.name}: ${error?.message}`);
      assert.doesNotMatch(`${error.name}: ${error.message}`, PARSE_ERROR);
      assert.match(error.message, /502/, `message: ${error.message}`);
    } finally {
      await mock.stop();
    }
  });

  test('a redirect to a login page gives a clear KestraError', T, async () => {
    const mock = await startMock((record, response) => {
      if (record.path === '/login') {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><form action="/login">Login</form></html>');
      } else {
        response.writeHead(302, { location: '/login?next=%2Fui' });
        response.end();
      }
    });
    try {
      const { flow } = newFlow({ url: mock.url, mode: '1.3' }, { retries: 1, backoff: 0.001 });

      const error = await rejection(execute(flow, NS, 'hello'));

      assert.ok(error instanceof kestra.KestraError, `${error?.name}: ${error?.message}`);
      assert.doesNotMatch(`${error.name}: ${error.message}`, PARSE_ERROR);
      assert.match(error.message, /redirect|login|html/i, `message: ${error.message}`);
    } finally {
      await mock.stop();
    }
  });

  for (const [label, auth] of [
    ['basic auth', { user: USER, password: PASSWORD }],
    ['an API token', { apiToken: TOKEN }],
  ]) {
    test(`a redirect to another origin never carries ${label}`, T, async () => {
      const other = await startMock((record, response) => {
        response.writeHead(401, { 'www-authenticate': 'Basic' });
        response.end();
      });
      const origin = await startMock((record, response) => {
        response.writeHead(307, { location: `${other.url}${record.url}` });
        response.end();
      });
      try {
        const flow = new Flow({ hostname: origin.url, ...auth, retries: 1,
          sleep: async () => {} });

        const error = await rejection(execute(flow, NS, 'hello'));

        assert.ok(error instanceof kestra.KestraError, `${error?.name}: ${error?.message}`);
        assert.ok(origin.requests.length >= 1);
        assert.ok(origin.requests[0].headers.authorization, 'the origin gets credentials');
        const leaked = other.requests.filter((request) => request.headers.authorization);
        assert.deepEqual(leaked.map((r) => r.path), [], 'the other origin saw credentials');
        assert.equal(other.requests.length, 0, 'redirects are not followed at all');
      } finally {
        await origin.stop();
        await other.stop();
      }
    });
  }
});

describe('credentials stay out of errors', () => {
  test('HTTP errors, retries exhausted and KestraError fields carry no credential', T,
    async () => {
      const server = servers['1.3'];
      const { flow } = newFlow(server, { retries: 1, backoff: 0.001 });
      await addFault(server, { route: 'logs-download', statuses: [503, 503] });

      const errors = [
        await rejection(flow.execute(NS, 'quick')),
        await rejection(flow.execute(NS, 'no-such-flow')),
        await rejection(newFlow(server, { password: WRONG_PASSWORD }).flow.execute(NS, 'quick')),
      ];

      for (const error of errors) {
        assert.ok(error instanceof kestra.KestraError, `${error?.name}: ${error?.message}`);
        assert.equal(typeof error.url, 'string', `${error.name} has a url`);
        assert.ok(error.url.startsWith(`${server.url}/api/v1/main/`), error.url);
        assertNoSecrets(error, error.name);
      }
    });
});

describe('inputs, labels, revision and schedule', () => {
  test('every input kind is encoded as Kestra reads it', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);
    const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');
    const blobBytes = randomBytes(1000);
    const namedBytes = Buffer.from('a,b\n1,2\n');
    const rawBytes = new Uint8Array(randomBytes(777));
    const tripleBytes = Buffer.from('triple content\n');
    const diskBytes = randomBytes(3 * 1024 * 1024);
    const renamedBytes = Buffer.from('x;y\n');
    const diskPath = join(scratch, 'sample-data.bin');
    const renamedPath = join(scratch, 'original.bin');
    writeFileSync(diskPath, diskBytes);
    writeFileSync(renamedPath, renamedBytes);
    const when = new Date('2026-01-02T03:04:05.678Z');
    const data = { a: 1, nested: { list: [true, null, 'x'] } };
    const text = 'héllo & wörld = "q"; a:b #1 ?x';

    const result = await execute(flow, NS, 'inputs', {
      text,
      count: 42,
      ratio: 2.5,
      flag: true,
      when,
      data,
      items: [1, 2, 3],
      maybe: null,
      absent: undefined,
      blob: new Blob([blobBytes]),
      named: new File([namedBytes], 'report.csv', { type: 'text/csv' }),
      bytes: rawBytes,
      triple: ['notes.txt', tripleBytes, 'text/plain'],
      disk: await fileFromPath(diskPath),
      renamed: await fileFromPath(renamedPath, { filename: 'renamed.csv',
        contentType: 'text/csv' }),
    });

    assert.equal(result.status, 'SUCCESS', `${result.error}\n${result.log}`);
    const inputs = result.execution.inputs;
    assert.equal(inputs.text, text);
    assert.equal(inputs.count, 42);
    assert.equal(inputs.ratio, 2.5);
    assert.equal(inputs.flag, true);
    assert.equal(inputs.when, '2026-01-02T03:04:05.678Z');
    assert.deepEqual(inputs.data, data);
    assert.deepEqual(inputs.items, [1, 2, 3]);
    assert.equal(inputs.maybe ?? null, null, 'null is left out');
    assert.equal(inputs.absent ?? null, null, 'undefined is left out');
    const prefix = `kestra:///tests/flow/inputs/executions/${result.executionId}/inputs/`;
    const fileName = (id) => {
      assert.ok(String(inputs[id]).startsWith(`${prefix}${id}/`), `${id}: ${inputs[id]}`);
      return inputs[id].slice(`${prefix}${id}/`.length);
    };
    assert.equal(fileName('named'), 'report.csv');
    assert.equal(fileName('triple'), 'notes.txt');
    assert.equal(fileName('disk'), 'sample-data.bin');
    assert.equal(fileName('renamed'), 'renamed.csv');
    // Nameless data is named after its input.
    assert.equal(fileName('blob'), 'blob');
    assert.equal(fileName('bytes'), 'bytes');
    const sums = [
      [blobBytes, 'blob.bin'],
      [namedBytes, 'named.bin'],
      [rawBytes, 'bytes.bin'],
      [tripleBytes, 'triple.bin'],
      [diskBytes, 'disk.bin'],
      [renamedBytes, 'renamed.bin'],
    ];
    for (const [bytes, name] of sums) {
      assert.ok(result.log.includes(`${md5(bytes)}  ${name}`), `${name} arrived intact`);
    }
  });

  test('a string with line breaks arrives unchanged', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);
    const name = 'line one\nline two\r\nline three\rend';

    const result = await execute(flow, NS, 'hello', { name }, { wait: false });

    const execution = await kestraApi(server, 'GET', `executions/${result.executionId}`);
    assert.equal(JSON.stringify(execution.inputs.name), JSON.stringify(name));
  });

  test('a label key outside the pattern is a TypeError before any request', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);
    await resetCounts(server);

    for (const key of ['Bad', '1st', 'with space', '', 'a/b']) {
      const error = await rejection(() =>
        flow.execute(NS, 'quick', {}, { labels: { [key]: 'x' }, wait: false }),
      );
      assert.ok(error instanceof TypeError, `key ${JSON.stringify(key)}: ${error?.name}`);
    }

    assert.deepEqual(await requestCounts(server), {});
  });

  test('blank label values, invalid Dates and credentials in the URL are TypeErrors', T,
    async () => {
      const server = servers['1.3'];
      const { flow } = newFlow(server);
      await resetCounts(server);

      const blank = await rejection(() =>
        flow.execute(NS, 'quick', {}, { labels: { team: '  ' }, wait: false }));
      const badDate = await rejection(() =>
        flow.execute(NS, 'hello', { name: new Date('nope') }, { wait: false }));
      const badSchedule = await rejection(() =>
        flow.execute(NS, 'quick', {}, { scheduleDate: 'tomorrow', wait: false }));
      const inUrl = await rejection(() => new Flow({
        hostname: `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:9`,
      }));

      for (const [what, error] of Object.entries({ blank, badDate, badSchedule, inUrl })) {
        assert.ok(error instanceof TypeError, `${what}: ${error?.name}: ${error?.message}`);
      }
      assertNoSecrets(inUrl, 'the TypeError for a URL with credentials');
      assert.deepEqual(await requestCounts(server), {});
    });

  test('labels with valid keys and awkward values reach the server', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);

    const result = await execute(flow, NS, 'quick', {}, {
      wait: false,
      labels: { 'équipe': 'r&d #1', 'cost.center_1-a': 'x=y?z' },
    });

    const labels = labelMap(
      (await serverExecutions(server)).find((e) => e.id === result.executionId).labels,
    );
    assert.equal(labels['équipe'], 'r&d #1');
    assert.equal(labels['cost.center_1-a'], 'x=y?z');
  });

  test('labelsFromInputs adds one label per non-file input', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server, { labelsFromInputs: true });

    const result = await execute(flow, NS, 'hello', { name: 'Eve' }, { wait: false });

    const labels = labelMap(
      (await serverExecutions(server)).find((e) => e.id === result.executionId).labels,
    );
    assert.equal(labels.name, 'Eve');
  });

  test('wait: false resolves after the create alone', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server);
    await resetCounts(server);

    const result = await execute(flow, NS, 'hello', {}, { wait: false });

    assert.deepEqual(await requestCounts(server), { 'POST create': 1 });
    assert.equal(result.log, null);
    assert.equal(typeof result.executionId, 'string');
    assert.equal(result.status, 'CREATED');
  });

  test('revision: the flow revision is used; an unknown one is NotFoundError', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);

    const result = await execute(flow, NS, 'hello', {}, { revision: 3, wait: false });
    const error = await rejection(execute(flow, NS, 'hello', {}, { revision: 2, wait: false }));

    assert.equal(result.execution.flowRevision, 3);
    assertKind(error, 'NotFoundError');
  });

  test('scheduleDate as a Date: the execution starts at that instant', T, async () => {
    const server = servers['1.3'];
    const { flow } = newFlow(server);
    const at = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000 + 123);

    const result = await execute(flow, NS, 'quick', {}, { scheduleDate: at });

    assert.equal(result.status, 'SUCCESS');
    assert.equal(Date.parse(result.execution.scheduleDate), at.getTime());
    const running = result.execution.state.histories.find((h) => h.state === 'RUNNING');
    assert.ok(Date.parse(running.date) >= at.getTime() - 20, 'did not start before the date');
  });

  test('scheduleDate as an ISO string with an offset is passed through', T, async () => {
    const server = servers['2.1'];
    const { flow } = newFlow(server);
    const instant = new Date(Date.now() + 60_000);
    instant.setUTCMilliseconds(0);
    const shifted = new Date(instant.getTime() + 2 * 3600_000).toISOString().slice(0, 19);
    const text = `${shifted}+02:00`;

    const result = await execute(flow, NS, 'quick', {}, { scheduleDate: text, wait: false });

    const execution = await kestraApi(server, 'GET', `executions/${result.executionId}`);
    assert.equal(Date.parse(execution.scheduleDate), instant.getTime());
    assert.equal(execution.state.current, 'CREATED');
  });
});
