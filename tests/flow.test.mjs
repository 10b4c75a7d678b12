// Flow against a scripted server: every case of the reference client's own suite, and
// the behaviour this package adds (encoding, auth, typed errors, file inputs).

import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  Flow,
  KestraError,
  HttpError,
  AuthenticationError,
  FailedExponentialBackoff,
  NotFoundError,
} from 'kestra-wasm';
import { startMockServer, formDataOf } from './support/mock-server.mjs';

const ENV_NAMES = ['KESTRA_HOSTNAME', 'KESTRA_USER', 'KESTRA_PASSWORD', 'KESTRA_API_TOKEN'];
let savedEnv;

beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  for (const name of ENV_NAMES) delete process.env[name];
});

afterEach(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A Flow aimed at `server` whose waits are recorded instead of slept. */
function recordingFlow(server, options = {}) {
  const waits = [];
  const flow = new Flow({ sleep: async (seconds) => waits.push(seconds), ...options });
  flow.hostname = server.url;
  return { flow, waits };
}

/** The labels of a create request, without the unique label every create carries. */
function ownLabels(request) {
  const labels = request.query.getAll('labels');
  const tags = labels.filter((label) => /^kestra-wasm\.create-id:[0-9A-Za-z]{22}$/.test(label));
  assert.equal(tags.length, 1, `one create-id label in ${labels}`);
  return labels.filter((label) => !tags.includes(label));
}

/** Routes of one execution `123` for a tenant prefix such as `/api/v1/main`. */
function executionRoutes(prefix, finalState, log) {
  return {
    [`POST ${prefix}/executions/namespace-test/flow-test`]: { json: { id: '123' } },
    [`GET ${prefix}/executions/123`]: {
      json: { id: '123', state: { current: finalState }, outputs: { answer: 42 } },
    },
    [`GET ${prefix}/logs/123/download`]: { text: log },
  };
}

const TENANTS = [
  { label: 'omitted tenant (main)', options: {}, prefix: '/api/v1/main' },
  {
    label: 'tenant skylord-prod',
    options: { tenant: 'skylord-prod' },
    prefix: '/api/v1/skylord-prod',
  },
  { label: 'tenant null (Kestra <= 0.22)', options: { tenant: null }, prefix: '/api/v1' },
];

describe('retries', () => {
  test('gives up after 5 retries, waiting 1, 2, 4, 8 and 16 seconds', async () => {
    const server = await startMockServer({ 'GET /api/v1/executions/123': { status: 500 } });
    try {
      const { flow, waits } = recordingFlow(server);
      const url = `${server.url}/api/v1/executions/123`;

      const failure = await flow._makeRequest('GET', url).then(
        () => assert.fail('the request should fail'),
        (error) => error,
      );

      assert.ok(failure instanceof FailedExponentialBackoff);
      assert.ok(failure instanceof KestraError);
      assert.ok(failure instanceof Error);
      assert.equal(failure.name, 'FailedExponentialBackoff');
      assert.equal(failure.status, 500);
      assert.equal(failure.attempts, 6);
      assert.equal(server.requests.length, 6);
      assert.deepEqual(waits, [1, 2, 4, 8, 16]);
    } finally {
      await server.stop();
    }
  });

  test('every retryable status is retried, then the success is returned', async () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const server = await startMockServer({
        'GET /thing': [{ status }, { status }, { status: 200, text: 'fine' }],
      });
      try {
        const { flow, waits } = recordingFlow(server);
        const response = await flow._makeRequest('GET', `${server.url}/thing`);
        assert.equal(response.status, 200, `status ${status}`);
        assert.equal(await response.text(), 'fine');
        assert.deepEqual(waits, [1, 2]);
        assert.equal(server.requests.length, 3);
      } finally {
        await server.stop();
      }
    }
  });

  test('the default timer really waits (first wait of one second)', async () => {
    const server = await startMockServer({ 'GET /slow': [{ status: 503 }, { status: 204 }] });
    try {
      const flow = new Flow({ hostname: server.url });
      const started = performance.now();
      const response = await flow._makeRequest('GET', `${server.url}/slow`);
      const elapsed = performance.now() - started;
      assert.equal(response.status, 204);
      assert.ok(elapsed >= 950, `waited only ${elapsed} ms`);
    } finally {
      await server.stop();
    }
  });

  test('_makeRequest takes paths on the hostname and refuses other origins', async () => {
    const server = await startMockServer({ 'GET /api/v1/main/x': { text: 'here' } });
    try {
      const { flow } = recordingFlow(server, { user: 'alice', password: 's3cr3t-pw' });
      const response = await flow._makeRequest('GET', '/api/v1/main/x');
      assert.equal(await response.text(), 'here');
      assert.match(server.requests[0].headers.authorization, /^Basic /);

      const elsewhere = 'http://127.0.0.2:9/x';
      await assert.rejects(flow._makeRequest('GET', elsewhere), /must be on the Flow's hostname/);
      await assert.rejects(flow._makeRequest('GE T', '/x'), TypeError);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.stop();
    }
  });

  test('a credential the server echoes is not repeated in the error', async () => {
    const echo = 'you sent Basic YWxpY2U6czNjcjN0LXB3 (alice:s3cr3t-pw)';
    const server = await startMockServer({
      'GET /api/v1/main/executions/1': { status: 400, json: { message: echo } },
    });
    try {
      const { flow } = recordingFlow(server, { user: 'alice', password: 's3cr3t-pw' });
      const error = await flow.checkStatus('1').then(assert.fail, (failure) => failure);
      assert.ok(error instanceof HttpError);
      for (const field of [error.message, error.body, error.serverMessage, error.stack]) {
        assert.doesNotMatch(field, /s3cr3t|YWxpY2U6czNjcjN0LXB3/);
      }
      assert.match(error.serverMessage, /you sent Basic \*\*\* \(alice:\*\*\*\)/);
    } finally {
      await server.stop();
    }
  });

  test('401 fails at once with an AuthenticationError', async () => {
    const server = await startMockServer({
      'GET /secret': { status: 401, headers: { 'www-authenticate': 'Basic' } },
    });
    try {
      const { flow, waits } = recordingFlow(server);
      await assert.rejects(flow._makeRequest('GET', `${server.url}/secret`), (error) => {
        assert.ok(error instanceof AuthenticationError);
        assert.ok(error instanceof HttpError);
        assert.equal(error.status, 401);
        assert.match(error.message, /Authentication required/);
        return true;
      });
      assert.equal(server.requests.length, 1);
      assert.deepEqual(waits, []);
    } finally {
      await server.stop();
    }
  });

  test('other error statuses fail at once with the server message', async () => {
    const body = {
      message: 'Not Found: Requested Flow is not found.',
      _links: { self: [{ href: '/api/v1/main/executions/a/b', templated: false }] },
    };
    const server = await startMockServer({
      'POST /api/v1/main/executions/a/b': { status: 404, json: body },
    });
    try {
      const { flow } = recordingFlow(server);
      await assert.rejects(flow.execute('a', 'b'), (error) => {
        assert.ok(error instanceof HttpError);
        assert.ok(!(error instanceof AuthenticationError));
        assert.equal(error.status, 404);
        assert.match(error.message, /Requested Flow is not found/);
        assert.equal(JSON.parse(error.body).message, body.message);
        return true;
      });
      assert.equal(server.requests.length, 1);
    } finally {
      await server.stop();
    }
  });

  test('a server that cannot be reached gives a KestraError with the cause', async () => {
    const server = await startMockServer({});
    await server.stop();
    const { flow } = recordingFlow(server);
    await assert.rejects(flow.checkStatus('123'), (error) => {
      assert.ok(error instanceof KestraError);
      assert.match(error.message, /could not be sent/);
      assert.ok(error.cause);
      return true;
    });
  });
});

describe('routes', () => {
  for (const { label, options, prefix } of TENANTS) {
    test(`checkStatus and getLogs with ${label}`, async () => {
      const server = await startMockServer({
        [`GET ${prefix}/executions/123`]: { text: 'OK' },
        [`GET ${prefix}/logs/123/download`]: { text: 'OK' },
      });
      try {
        const { flow } = recordingFlow(server, options);
        const status = await flow.checkStatus('123');
        const logs = await flow.getLogs('123');
        assert.ok(status instanceof Response);
        assert.equal(status.status, 200);
        assert.equal(logs.status, 200);
        assert.deepEqual(
          server.requests.map((request) => `${request.method} ${request.rawPath}`),
          [`GET ${prefix}/executions/123`, `GET ${prefix}/logs/123/download`],
        );
      } finally {
        await server.stop();
      }
    });
  }

  test('path segments are encoded and a trailing slash is not doubled', async () => {
    const server = await startMockServer({
      'POST /api/v1/a%2Fb/executions/name%20space/flow%3Fx%3D1': { json: { id: 'e/1' } },
    });
    try {
      const flow = new Flow({ tenant: 'a/b', waitForCompletion: false });
      flow.hostname = `${server.url}/`;
      const execution = await flow.execute('name space', 'flow?x=1');
      assert.equal(execution.executionId, 'e/1');
      const expected = '/api/v1/a%2Fb/executions/name%20space/flow%3Fx%3D1';
      assert.equal(server.requests[0].rawPath, expected);
    } finally {
      await server.stop();
    }
  });
});

describe('execute', () => {
  for (const { label, options, prefix } of TENANTS) {
    test(`success with ${label}`, async () => {
      const server = await startMockServer(executionRoutes(prefix, 'SUCCESS', 'Execution logs'));
      try {
        const { flow } = recordingFlow(server, { pollInterval: 0, ...options });
        const result = await flow.execute('namespace-test', 'flow-test');
        const execution = { id: '123', state: { current: 'SUCCESS' }, outputs: { answer: 42 } };
        assert.deepEqual(result, {
          executionId: '123',
          status: 'SUCCESS',
          log: 'Execution logs',
          error: null,
          outputs: { answer: 42 },
          labels: {},
          url: `${server.url}/ui/${options.tenant ?? 'main'}/executions/namespace-test/flow-test/123`,
          execution,
        });
        // create, follow (absent here, so the status is read), status, log.
        assert.equal(server.requests.length, 4);
      } finally {
        await server.stop();
      }
    });

    test(`failure with ${label}`, async () => {
      const server = await startMockServer(executionRoutes(prefix, 'FAILED', 'Error logs'));
      try {
        const { flow } = recordingFlow(server, { pollInterval: 0, ...options });
        const result = await flow.execute('namespace-test', 'flow-test');
        assert.equal(result.status, 'FAILED');
        assert.equal(result.log, 'Error logs');
        assert.match(result.error, /123 .*ended FAILED/);
        // create, follow, status, log, then the ERROR entries for the error message.
        assert.equal(server.requests.length, 5);
      } finally {
        await server.stop();
      }
    });

    test(`fire and forget with ${label}`, async () => {
      const server = await startMockServer(executionRoutes(prefix, 'SUCCESS', ''));
      try {
        const { flow } = recordingFlow(server, { waitForCompletion: false, ...options });
        const result = await flow.execute('namespace-test', 'flow-test');
        assert.equal(result.status, 'CREATED');
        assert.equal(result.log, null);
        assert.equal(result.error, null);
        assert.equal(server.requests.length, 1);
      } finally {
        await server.stop();
      }
    });

    test(`with inputs with ${label}`, async () => {
      const server = await startMockServer(executionRoutes(prefix, 'SUCCESS', 'Execution logs'));
      try {
        const { flow } = recordingFlow(server, { pollInterval: 0, ...options });
        const result = await flow.execute('namespace-test', 'flow-test', { param1: 'value1' });
        assert.equal(result.status, 'SUCCESS');
        assert.equal(server.requests.length, 4);
        const form = await formDataOf(server.requests[0]);
        assert.equal(form.get('param1'), 'value1');
      } finally {
        await server.stop();
      }
    });
  }

  test('polls every pollInterval until a terminal state, then reads the log once', async () => {
    const server = await startMockServer({
      'POST /api/v1/main/executions/ns/f': { json: { id: '9' } },
      'GET /api/v1/main/executions/9': [
        { json: { state: { current: 'CREATED' } } },
        { json: { state: { current: 'RUNNING' } } },
        { json: { state: { current: 'PAUSED' } } },
        { json: { state: { current: 'WARNING' } } },
      ],
      'GET /api/v1/main/logs/9/download': { text: 'a\nb' },
    });
    try {
      const { flow, waits } = recordingFlow(server, { pollInterval: 0.25 });
      const result = await flow.execute('ns', 'f');
      assert.equal(result.status, 'WARNING');
      assert.equal(result.error, null);
      assert.deepEqual(waits, [0.25, 0.25, 0.25]);
      const paths = server.requests.map((request) => request.rawPath);
      assert.equal(paths.filter((path) => path.endsWith('/download')).length, 1);
      assert.equal(paths.filter((path) => path.endsWith('/follow')).length, 1);
      assert.equal(paths.length, 7);
    } finally {
      await server.stop();
    }
  });

  test('file inputs: File, Blob, bytes and [filename, data, contentType]', async () => {
    const server = await startMockServer(executionRoutes('/api/v1/main', 'SUCCESS', ''));
    try {
      const { flow } = recordingFlow(server, { waitForCompletion: false });
      await flow.execute('namespace-test', 'flow-test', {
        file: ['myfile.json', new TextEncoder().encode('{"a":1}'), 'application/json'],
        report: new File(['a,b\n1,2\n'], 'report.csv', { type: 'text/csv' }),
        blob: new Blob(['blob body']),
        bytes: new Uint8Array([0, 1, 2, 255]),
        buffer: new Uint8Array([7, 8]).buffer,
        name: 'Ada',
      });

      const form = await formDataOf(server.requests[0]);
      const file = form.get('file');
      assert.equal(file.name, 'myfile.json');
      assert.equal(file.type, 'application/json');
      assert.equal(await file.text(), '{"a":1}');
      assert.equal(form.get('report').name, 'report.csv');
      assert.equal(await form.get('report').text(), 'a,b\n1,2\n');
      assert.equal(form.get('blob').name, 'blob');
      assert.equal(await form.get('blob').text(), 'blob body');
      assert.deepEqual([...new Uint8Array(await form.get('bytes').arrayBuffer())], [0, 1, 2, 255]);
      assert.deepEqual([...new Uint8Array(await form.get('buffer').arrayBuffer())], [7, 8]);
      assert.equal(form.get('name'), 'Ada');
    } finally {
      await server.stop();
    }
  });

  test('non-string inputs are sent as Kestra parses them', async () => {
    const server = await startMockServer(executionRoutes('/api/v1/main', 'SUCCESS', ''));
    try {
      const { flow } = recordingFlow(server, { waitForCompletion: false });
      await flow.execute('namespace-test', 'flow-test', {
        count: 5,
        ratio: 0.5,
        enabled: true,
        big: 2n ** 64n,
        when: new Date(Date.UTC(2026, 0, 5, 10, 0, 0)),
        config: { a: [1, 2] },
        tags: ['x', 'y'],
        skipped: undefined,
        empty: null,
      });

      const form = await formDataOf(server.requests[0]);
      assert.equal(form.get('count'), '5');
      assert.equal(form.get('ratio'), '0.5');
      assert.equal(form.get('enabled'), 'true');
      assert.equal(form.get('big'), '18446744073709551616');
      assert.equal(form.get('when'), '2026-01-05T10:00:00.000Z');
      assert.equal(form.get('config'), '{"a":[1,2]}');
      assert.equal(form.get('tags'), '["x","y"]');
      assert.equal(form.has('skipped'), false);
      assert.equal(form.has('empty'), false);
    } finally {
      await server.stop();
    }
  });

  test('labelsFromInputs adds one encoded label per non-file input', async () => {
    const server = await startMockServer(executionRoutes('/api/v1/main', 'SUCCESS', ''));
    try {
      const { flow } = recordingFlow(server, { waitForCompletion: false, labelsFromInputs: true });
      await flow.execute('namespace-test', 'flow-test', {
        team: 'data & ml',
        url: 'http://x/?a=1',
        file: new Blob(['x']),
      });

      const labels = ownLabels(server.requests[0]);
      assert.deepEqual(labels, ['team:data & ml', 'url:http://x/?a=1']);
    } finally {
      await server.stop();
    }
  });

  test('an answer without an execution id is an error', async () => {
    const server = await startMockServer({
      'POST /api/v1/main/executions/ns/f': { json: { nope: 1 } },
    });
    try {
      const { flow } = recordingFlow(server);
      await assert.rejects(flow.execute('ns', 'f'), (error) => {
        assert.ok(error instanceof KestraError);
        assert.match(error.message, /Starting execution failed.*nope/);
        return true;
      });
    } finally {
      await server.stop();
    }
  });
});

describe('authentication and settings', () => {
  test('an API token wins over basic auth', async () => {
    const server = await startMockServer({ 'GET /api/v1/main/executions/1': { text: 'OK' } });
    try {
      const { flow } = recordingFlow(server);
      flow.user = 'admin@kestra.io';
      flow.password = 'Secret123';
      flow.apiToken = 'tok';
      await flow.checkStatus('1');
      assert.equal(server.requests[0].headers.authorization, 'Bearer tok');
    } finally {
      await server.stop();
    }
  });

  test('basic credentials are UTF-8 encoded before base64', async () => {
    const server = await startMockServer({ 'GET /api/v1/main/executions/1': { text: 'OK' } });
    try {
      const { flow } = recordingFlow(server);
      flow.user = 'jösé@kestra.io';
      flow.password = 'pässwörd:1';
      await flow.checkStatus('1');
      const header = server.requests[0].headers.authorization;
      assert.match(header, /^Basic /);
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      assert.equal(decoded, 'jösé@kestra.io:pässwörd:1');
    } finally {
      await server.stop();
    }
  });

  test('hostname, user, password and token come from the environment', async () => {
    const server = await startMockServer({ 'GET /api/v1/main/executions/1': { text: 'OK' } });
    try {
      process.env.KESTRA_HOSTNAME = server.url;
      process.env.KESTRA_USER = 'admin@kestra.io';
      process.env.KESTRA_PASSWORD = 'Admin1234';
      const flow = new Flow();
      assert.equal(flow.hostname, server.url);
      assert.equal(flow.user, 'admin@kestra.io');
      assert.equal(flow.password, 'Admin1234');
      assert.equal(flow.apiToken, null);
      await flow.checkStatus('1');
      const header = server.requests[0].headers.authorization;
      assert.equal(Buffer.from(header.slice(6), 'base64').toString(), 'admin@kestra.io:Admin1234');
    } finally {
      await server.stop();
    }
  });

  test('defaults match the reference client, with the tenant main', () => {
    const flow = new Flow();
    assert.equal(flow.hostname, 'http://localhost:8080');
    assert.equal(flow.waitForCompletion, true);
    assert.equal(flow.pollInterval, 1);
    assert.equal(flow.labelsFromInputs, false);
    assert.equal(flow.tenant, 'main');
    assert.equal(new Flow({ tenant: null }).tenant, null);
  });

  test('bad options and arguments are TypeErrors that name the problem', async () => {
    assert.throws(() => new Flow({ pollInterval: -1 }), TypeError);
    assert.throws(() => new Flow({ pollInterval: Number.NaN }), /pollInterval/);
    assert.throws(() => new Flow({ waitForCompletion: 'yes' }), /waitForCompletion/);
    assert.throws(() => new Flow({ tenant: '' }), /tenant/);
    assert.throws(() => new Flow({ sleep: 5 }), /sleep/);
    assert.throws(() => new Flow('fast'), TypeError);

    const flow = new Flow();
    assert.throws(() => {
      flow.pollInterval = Infinity;
    }, TypeError);
    assert.throws(() => {
      flow.user = 42;
    }, /Flow.user/);
    await assert.rejects(flow.execute('', 'f'), /namespace must be a non-empty string/);
    await assert.rejects(flow.execute('ns', 42), /flowId must be a non-empty string/);
    await assert.rejects(flow.execute('ns', 'f', 'inputs'), /inputs must be a plain object/);
    await assert.rejects(flow.execute('ns', 'f', new Map([['a', 'b']])), /plain object/);
    const badTriple = { file: ['a.txt', new Blob(['x']), 5] };
    await assert.rejects(flow.execute('ns', 'f', badTriple), /content type/);
    await assert.rejects(flow.execute('ns', 'f', { when: new Date(Number.NaN) }), /invalid Date/);
    await assert.rejects(flow.execute('ns', 'f', { fn: () => 1 }), /input 'fn'/);
    const circular = {};
    circular.self = circular;
    await assert.rejects(flow.execute('ns', 'f', { circular }), TypeError);
    await assert.rejects(flow.checkStatus(undefined), /executionId/);
  });
});

describe('robustness', () => {
  test('an async callback that rejects rejects the call', async () => {
    const server = await startMockServer(executionRoutes('/api/v1/main', 'SUCCESS', 'log'));
    try {
      const { flow } = recordingFlow(server, { pollInterval: 0 });
      const boom = new RangeError('async callback failed');
      const failing = flow.execute('namespace-test', 'flow-test', {}, {
        onState: async () => {
          throw boom;
        },
      });
      await assert.rejects(failing, (error) => error === boom);
    } finally {
      await server.stop();
    }
  });

  test('a create that hangs gives its TimeoutError on time, without clean-up requests', async () => {
    const { createServer } = await import('node:http');
    const hung = [];
    const server = createServer((request) => hung.push(request));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const flow = new Flow({ hostname: `http://127.0.0.1:${server.address().port}` });
      const started = performance.now();
      await assert.rejects(flow.execute('ns', 'f', {}, { timeout: 0.3 }), (error) => {
        assert.equal(error.name, 'TimeoutError');
        assert.match(error.message, /before the execution was created/);
        return true;
      });
      assert.ok(performance.now() - started < 2000, 'rejected near its timeout');
      assert.equal(hung.length, 1, 'no search after the timeout without killOnAbort');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a refused connection is retried, then reported as such, with no search', async () => {
    const { createServer } = await import('node:http');
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address();
    await new Promise((resolve) => closed.close(resolve));

    const waits = [];
    const flow = new Flow({
      hostname: `http://127.0.0.1:${port}`,
      retries: 2,
      sleep: async (seconds) => waits.push(seconds),
    });
    await assert.rejects(flow.execute('ns', 'f'), (error) => {
      assert.ok(error instanceof FailedExponentialBackoff, error.message);
      assert.match(error.message, /ECONNREFUSED/);
      assert.equal(error.attempts, 3);
      return true;
    });
    assert.deepEqual(waits, [1, 2], 'retried, and no search between the attempts');

    // Port 9 is one fetch refuses to use: nothing can ever be sent, so nothing is retried.
    const barred = new Flow({ hostname: 'http://127.0.0.1:9', sleep: async () => assert.fail() });
    await assert.rejects(barred.execute('ns', 'f'), (error) => {
      assert.ok(error instanceof KestraError);
      assert.match(error.message, /could not be sent: fetch failed \(bad port\)/);
      return true;
    });
  });

  test('labels and inputs that would change or lose data are refused', async () => {
    const server = await startMockServer(executionRoutes('/api/v1/main', 'SUCCESS', ''));
    try {
      const { flow } = recordingFlow(server, { waitForCompletion: false });
      const refused = [
        [{}, { labels: new Map([['a', 'b']]) }],
        [{}, { labels: { 'kestra-wasm.create-id': 'mine' } }],
        [{}, []],
        [new Map([['a', 1]]), {}],
        [{ file: ['a.txt', new Uint8Array(1), 'text/plain\r\nX-Injected: 1'] }, {}],
        [{ config: { ratio: Number.NaN } }, {}],
      ];
      for (const [inputs, options] of refused) {
        await assert.rejects(flow.execute('ns', 'f', inputs, options), TypeError);
      }
      assert.equal(server.requests.length, 0);

      await flow.execute('namespace-test', 'flow-test', {
        config: { byKey: new Map([['a', 1]]), tags: new Set(['x']) },
      });
      const form = await formDataOf(server.requests[0]);
      assert.equal(form.get('config'), '{"byKey":{"a":1},"tags":["x"]}');
    } finally {
      await server.stop();
    }
  });

  test('options may set hostname and credentials; bad values are named', () => {
    const flow = new Flow({
      hostname: 'https://kestra.example/',
      user: 'admin@kestra.io',
      password: 'pw',
      apiToken: 'tok',
    });
    assert.equal(flow.hostname, 'https://kestra.example/');
    assert.equal(flow.user, 'admin@kestra.io');
    assert.equal(flow.password, 'pw');
    assert.equal(flow.apiToken, 'tok');

    for (const hostname of ['not a url', 'ftp://x', 'http://h/?a=1', 'http://h#f', '']) {
      assert.throws(() => new Flow({ hostname }), /hostname must be an http/, hostname);
      assert.throws(() => {
        flow.hostname = hostname;
      }, TypeError);
    }
    assert.equal(flow.hostname, 'https://kestra.example/', 'a refused value changes nothing');
    assert.throws(() => new Flow({ user: 'a:b' }), /user cannot contain ':'/);
    assert.throws(() => new Flow({ apiToken: 'tök€n' }), /apiToken must be visible ASCII/);
    assert.throws(() => new Flow({ pollInterval: 1e7 }), /pollInterval must be a number/);
  });

  test('bad environment values are named; empty ones count as unset', () => {
    process.env.KESTRA_HOSTNAME = 'localhost:8080';
    assert.throws(() => new Flow(), /KESTRA_HOSTNAME: .*hostname must be an http/);
    process.env.KESTRA_HOSTNAME = '';
    process.env.KESTRA_USER = '';
    const flow = new Flow();
    assert.equal(flow.hostname, 'http://localhost:8080');
    assert.equal(flow.user, null);
  });

  test('ids that would change the URL path are refused before any request', async () => {
    const server = await startMockServer({});
    try {
      const { flow } = recordingFlow(server);
      for (const id of ['.', '..', '']) {
        await assert.rejects(flow.checkStatus(id), TypeError);
        await assert.rejects(flow.getLogs(id), TypeError);
        await assert.rejects(flow.execute(id, 'f'), TypeError);
        await assert.rejects(flow.execute('ns', id), TypeError);
      }
      assert.throws(() => new Flow({ tenant: '..' }), /tenant/);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.stop();
    }
  });

  test('an execution id from the server that would change the path is an error', async () => {
    const server = await startMockServer({
      'POST /api/v1/main/executions/ns/f': { json: { id: '..' } },
    });
    try {
      const { flow } = recordingFlow(server);
      await assert.rejects(flow.execute('ns', 'f'), /no usable execution id/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.stop();
    }
  });

  test('a log that cannot be read keeps the id, state and outputs in the error', async () => {
    const routes = executionRoutes('/api/v1/main', 'SUCCESS', '');
    routes['GET /api/v1/main/logs/123/download'] = { status: 404, json: { message: 'gone' } };
    const server = await startMockServer(routes);
    try {
      const { flow } = recordingFlow(server, { pollInterval: 0 });
      await assert.rejects(flow.execute('namespace-test', 'flow-test'), (error) => {
        assert.ok(error instanceof NotFoundError, 'the log request\'s own typed error');
        assert.match(error.message, /ended SUCCESS, but its log could not be read/);
        assert.equal(error.executionId, '123');
        assert.equal(error.state, 'SUCCESS');
        assert.equal(error.status, 404);
        assert.equal(error.serverMessage, 'gone');
        assert.deepEqual(error.outputs, { answer: 42 });
        return true;
      });
    } finally {
      await server.stop();
    }
  });

  test('a body cut off midway is a KestraError', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"id":"E1"');
      setTimeout(() => response.destroy(), 20);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const flow = new Flow({ waitForCompletion: false });
      flow.hostname = `http://127.0.0.1:${server.address().port}`;
      await assert.rejects(flow.execute('ns', 'f'), (error) => {
        assert.ok(error instanceof KestraError);
        assert.match(error.message, /could not be read/);
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a throwing input getter rejects the Promise and leaves the Flow usable', async () => {
    const flow = new Flow({ waitForCompletion: false });
    const hostile = {
      get x() {
        throw new Error('getter boom');
      },
    };
    await assert.rejects(flow.execute('ns', 'f', hostile), /getter boom/);
    flow.hostname = 'http://127.0.0.1:9';
    assert.equal(flow.hostname, 'http://127.0.0.1:9');
  });

  test('labels from inputs skip empty values, which Kestra refuses', async () => {
    const server = await startMockServer(executionRoutes('/api/v1/main', 'SUCCESS', ''));
    try {
      const { flow } = recordingFlow(server, { waitForCompletion: false, labelsFromInputs: true });
      await flow.execute('namespace-test', 'flow-test', { empty: '', team: 'data' });
      assert.deepEqual(ownLabels(server.requests[0]), ['team:data']);
      const form = await formDataOf(server.requests[0]);
      assert.equal(form.get('empty'), '');
    } finally {
      await server.stop();
    }
  });

  test('error fields cannot replace the error class', () => {
    const error = new KestraError('m', JSON.parse('{"__proto__": {}, "url": "u"}'));
    assert.ok(error instanceof KestraError);
    assert.equal(error.url, 'u');
  });
});

