// End to end: the package drives the local Kestra-compatible server, whose script tasks
// themselves import the package.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flow, HttpError, AuthenticationError } from 'kestra-wasm';
import { ROOT, startEmulator } from './support/emulator.mjs';

const ORDERS = readFileSync(join(ROOT, 'examples', 'orders.csv'));

let server;

before(async () => {
  server = await startEmulator({ flows: join(ROOT, 'examples', 'flows') });
});

after(async () => {
  await server?.stop();
});

function localFlow(options = {}) {
  const flow = new Flow({ pollInterval: 0.05, ...options });
  flow.hostname = server.url;
  return flow;
}

test('the demo flow runs end to end and its script reports through the package', async () => {
  const flow = localFlow();
  const execution = await flow.execute('examples', 'hello', {
    name: 'Ada',
    data: new File([ORDERS], 'orders.csv', { type: 'text/csv' }),
  });

  assert.equal(execution.status, 'SUCCESS', execution.log);
  assert.equal(execution.error, null);
  assert.deepEqual(execution.outputs, { rows: 4, greeting: 'Hello, Ada!' });
  assert.match(execution.log, /^\S+Z INFO counted 4 rows$/m);
  assert.match(execution.log, /^\S+Z WARN only 4 rows: is this a sample\?$/m);
  assert.match(execution.log, /^\S+Z INFO Ada, your file has 4 rows$/m);

  const details = await (await flow.checkStatus(execution.executionId)).json();
  assert.equal(details.state.current, 'SUCCESS');
  assert.equal(details.inputs.name, 'Ada');
  assert.match(details.inputs.data, /^kestra:\/\/\/examples\/hello\/executions\/.+\/orders\.csv$/);
  const count = details.taskRunList.find((taskRun) => taskRun.taskId === 'count');
  assert.equal(count.outputs.vars.rows, 4);
  assert.equal(count.outputs.vars.header, 'order_id,customer,amount');
});

test('the demo command succeeds and prints the outputs', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'examples', 'demo.mjs')], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /ended SUCCESS/);
  assert.match(run.stdout, /"greeting": "Hello, Ada!"/);
  assert.match(run.stdout, /Demo succeeded: the script counted 4 rows\./);
});

test('a missing required input is a 422 HttpError with Kestra message', async () => {
  const flow = localFlow();
  await assert.rejects(flow.execute('examples', 'hello', { name: 'Ada' }), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 422);
    assert.match(error.message, /Missing required input:data/);
    return true;
  });
});

test('an unknown flow is a 404 HttpError', async () => {
  const flow = localFlow();
  await assert.rejects(flow.execute('examples', 'nope'), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 404);
    assert.match(error.message, /Requested Flow is not found/);
    return true;
  });
});

test('labels from inputs reach the execution', async () => {
  const flow = localFlow({ labelsFromInputs: true, waitForCompletion: false });
  const execution = await flow.execute('examples', 'hello', {
    name: 'Grace Hopper',
    data: new Blob([ORDERS]),
  });
  const details = await (await flow.checkStatus(execution.executionId)).json();
  assert.deepEqual(
    details.labels.find((label) => label.key === 'name'),
    { key: 'name', value: 'Grace Hopper' },
  );
});

test('no protocol line is lost between the package and the server', async () => {
  const protocolServer = await startEmulator({ flows: join(ROOT, 'tests', 'flows') });
  try {
    const flow = new Flow({ pollInterval: 0.05 });
    flow.hostname = protocolServer.url;
    const execution = await flow.execute('tests', 'protocol');
    assert.equal(execution.status, 'SUCCESS', execution.log);

    const details = await (await flow.checkStatus(execution.executionId)).json();
    const vars = details.taskRunList[0].outputs.vars;
    assert.deepEqual(vars, {
      separators: 'a\u0085b\u2028c\u2029d',
      newline: 'x\ny\r\nz',
      frame: '::{"fake":1}:: }::',
      emoji: '🚀',
      int: 5,
      big: 2 ** 53,
      // Kestra's Jackson reads the lone surrogate; the local server stores U+FFFD for it.
      lone: 'a\ufffdb',
    });

    const lines = execution.log.split('\n');
    for (const [level, text] of [
      ['TRACE', 'a trace'],
      ['DEBUG', 'a debug'],
      ['INFO', 'first line'],
      ['WARN', 'a warning'],
      ['ERROR', 'an error'],
      ['INFO', 'plain stdout'],
    ]) {
      assert.ok(
        lines.some((line) => line.endsWith(` ${level} ${text}`)),
        `no ${level} ${text} in:\n${execution.log}`,
      );
    }
    assert.ok(lines.includes('second line'), 'a multi-line message stays one entry');
    assert.doesNotMatch(execution.log, /Invalid outputs/);
  } finally {
    await protocolServer.stop();
  }
});

test('basic auth: no credentials is an AuthenticationError, the right ones work', async () => {
  const secured = await startEmulator({
    flows: join(ROOT, 'tests', 'flows'),
    args: ['--basic-auth', 'admin@kestra.io:Admin1234'],
  });
  try {
    const flow = new Flow({ waitForCompletion: false });
    flow.hostname = secured.url;
    await assert.rejects(flow.execute('tests', 'protocol'), AuthenticationError);

    flow.user = 'admin@kestra.io';
    flow.password = 'Admin1234';
    const execution = await flow.execute('tests', 'protocol');
    assert.equal(execution.status, 'CREATED');
  } finally {
    await secured.stop();
  }
});
