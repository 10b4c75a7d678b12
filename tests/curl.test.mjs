// curl against the emulator, used the way Kestra's API documentation uses it: multipart
// inputs with -F, labels and wait as query parameters, the execution read back, its log
// fetched as JSON and downloaded, and its progress followed as server-sent events.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from './support/emulator.mjs';

const CSV = 'order_id,amount\n1,10\n2,20\n';
const USER = 'admin@kestra.io';
const PASSWORD = 'Admin1234';

const FLOWS = {
  'orders.yml': `id: orders
namespace: tests.curl
labels:
  team: ops
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 1
  - id: data
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.scripts.node.Commands
    inputFiles:
      data.csv: "{{ inputs.data }}"
    commands:
      - cat data.csv
  - id: done
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: "{{ inputs.name }} sent {{ inputs.count }} files"
`,
  'slow.yml': `id: slow
namespace: tests.curl
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.node.Commands
    commands:
      - sleep 1
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: awake
`,
};

const missing = spawnSync('curl', ['--version']).error;
const skip = missing ? `curl is not available: ${missing.message}` : false;

let dir;
let server;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kestra-curl-'));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  for (const [name, text] of Object.entries(FLOWS)) writeFileSync(join(flows, name), text);
  writeFileSync(join(dir, 'orders.csv'), CSV);
  server = await startEmulator({ flows });
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs curl in the temp directory; resolves to `{ status, body }` (status from -w). */
function curl(args, { cwd = dir } = {}) {
  const all = ['-sS', '--max-time', '30', '-w', '\n%{http_code}', ...args];
  return new Promise((resolve, reject) => {
    execFile('curl', all, { cwd, timeout: 40000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`curl ${args.join(' ')}: ${error.message}\n${stderr}`));
        return;
      }
      const cut = stdout.lastIndexOf('\n');
      resolve({ body: stdout.slice(0, cut), status: Number(stdout.slice(cut + 1)) });
    });
  });
}

async function curlJson(args) {
  const { status, body } = await curl(args);
  return { status, json: JSON.parse(body) };
}

const api = (path) => `${server.url}/api/v1/main${path}`;

/** Creates an `orders` execution with curl; resolves to the response JSON. */
async function createOrders(query = '') {
  const { status, json } = await curlJson([
    '-F', 'name=Ada', '-F', 'count=2', '-F', 'data=@orders.csv',
    api(`/executions/tests.curl/orders${query}`),
  ]);
  assert.equal(status, 200, JSON.stringify(json));
  return json;
}

test('create with -F inputs, a -F file and labels in the query', { skip }, async () => {
  const created = await createOrders('?labels=team:data&labels=env:prod');
  assert.equal(created.state.current, 'CREATED');
  assert.equal(created.state.histories.length, 1);
  assert.equal(created.namespace, 'tests.curl');
  assert.equal(created.flowId, 'orders');
  assert.equal(created.tenantId, 'main');
  assert.equal(created.inputs.name, 'Ada');
  assert.equal(created.inputs.count, 2);
  const stored = `kestra:///tests/curl/orders/executions/${created.id}/inputs/data/orders.csv`;
  assert.equal(created.inputs.data, stored);
  // The request's `team` replaces the flow's; system.correlationId comes last.
  assert.deepEqual(created.labels, [
    { key: 'team', value: 'data' },
    { key: 'env', value: 'prod' },
    { key: 'system.correlationId', value: created.id },
  ]);
  assert.ok(created.url.endsWith(`/ui/main/executions/tests.curl/orders/${created.id}`));
});

test('?wait=true answers with the ended execution; GET reads it back', { skip }, async () => {
  const ended = await createOrders('?wait=true');
  assert.equal(ended.state.current, 'SUCCESS');
  assert.deepEqual(ended.state.histories.map((entry) => entry.state),
    ['CREATED', 'RUNNING', 'SUCCESS']);
  assert.deepEqual(ended.taskRunList.map((run) => [run.taskId, run.state.current]),
    [['show', 'SUCCESS'], ['done', 'SUCCESS']]);

  const { status, json } = await curlJson([api(`/executions/${ended.id}`)]);
  assert.equal(status, 200);
  assert.equal(json.id, ended.id);
  assert.equal(json.state.current, 'SUCCESS');
  assert.ok(json.state.endDate && json.state.duration);
  assert.equal(json.url, undefined, 'only the create call adds `url`');
});

test('the legacy `files` part with the input id as file name', { skip }, async () => {
  const { status, json } = await curlJson([
    '-F', 'name=Ada', '-F', 'files=@orders.csv;filename=data',
    api('/executions/tests.curl/orders?wait=true'),
  ]);
  assert.equal(status, 200);
  assert.equal(json.state.current, 'SUCCESS');
  assert.equal(json.inputs.count, 1, 'the default applies');
  assert.match(json.inputs.data, /\/inputs\/data\/data$/);
});

test('logs as JSON, filtered with minLevel, and downloaded as text', { skip }, async () => {
  const { id } = await createOrders('?wait=true');

  const all = await curlJson([api(`/logs/${id}`)]);
  assert.equal(all.status, 200);
  assert.deepEqual(all.json.map((entry) => [entry.taskId, entry.level, entry.message]), [
    ['show', 'INFO', 'order_id,amount'],
    ['show', 'INFO', '1,10'],
    ['show', 'INFO', '2,20'],
    ['done', 'WARN', 'Ada sent 2 files'],
  ]);
  for (const entry of all.json) {
    assert.equal(entry.executionId, id);
    assert.equal(entry.namespace, 'tests.curl');
    assert.equal(entry.flowId, 'orders');
  }
  const warnings = await curlJson([api(`/logs/${id}?minLevel=WARN`)]);
  assert.deepEqual(warnings.json.map((entry) => entry.message), ['Ada sent 2 files']);

  // -O -J saves under the name the server gives in Content-Disposition.
  const target = mkdtempSync(join(dir, 'download-'));
  const download = await curl(['-O', '-J', '-D', '-', api(`/logs/${id}/download`)],
    { cwd: target });
  assert.equal(download.status, 200);
  assert.match(download.body, /^content-type: text\/plain/im);
  assert.deepEqual(readdirSync(target), [`${id}.log`]);
  const text = readFileSync(join(target, `${id}.log`), 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.length, 4, 'no trailing newline');
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO order_id,amount$/);
  assert.match(lines[3], /^\S+Z WARN Ada sent 2 files$/);
});

// Kestra 1.x filters the download with the same minLevel, taskRunId, taskId and attempt
// parameters as the JSON route; the emulator's download ignores taskRunId.
test('the log download filters by taskRunId like the JSON route', { skip },
  async () => {
    const ended = await createOrders('?wait=true');
    const done = ended.taskRunList.find((run) => run.taskId === 'done').id;
    const json = await curlJson([api(`/logs/${ended.id}?taskRunId=${done}`)]);
    assert.deepEqual(json.json.map((entry) => entry.message), ['Ada sent 2 files']);
    const text = await curl([api(`/logs/${ended.id}/download?taskRunId=${done}`)]);
    assert.match(text.body, /^\S+Z WARN Ada sent 2 files$/);
  });

test('follow with curl -N until the end event', { skip }, async () => {
  const { status, json } = await curlJson(['-X', 'POST', api('/executions/tests.curl/slow')]);
  assert.equal(status, 200);
  const stream = await curl(['-N', api(`/executions/${json.id}/follow`)]);
  assert.equal(stream.status, 200);
  const events = stream.body.split('\n\n').filter((block) => block.trim()).map((block) => {
    const fields = Object.fromEntries(block.split('\n').map((line) => {
      const colon = line.indexOf(': ');
      return [line.slice(0, colon), line.slice(colon + 2)];
    }));
    return { id: fields.id, event: fields.event, data: JSON.parse(fields.data) };
  });
  const phases = events.map((event) => event.id);
  assert.equal(phases[0], 'start');
  assert.equal(phases.at(-1), 'end');
  assert.ok(phases.slice(1, -1).every((phase) => phase === 'progress'), phases.join());
  assert.ok(phases.length >= 3, 'the slow task shows some progress');
  assert.ok(events.every((event) => event.event === undefined), 'no `event:` field');
  assert.equal(events[0].data.id, json.id);
  assert.equal(events.at(-1).data.state.current, 'SUCCESS');
});

test('kill a running execution with DELETE', { skip }, async () => {
  const { json } = await curlJson(['-X', 'POST', api('/executions/tests.curl/slow')]);
  const killed = await curl(['-X', 'DELETE', api(`/executions/${json.id}/kill`)]);
  assert.equal(killed.status, 202);
  assert.equal(killed.body, '');
  const stream = await curl(['-N', api(`/executions/${json.id}/follow`)]);
  assert.match(stream.body, /id: end\ndata: .*"current":"KILLED"/);
  const { json: ended } = await curlJson([api(`/executions/${json.id}`)]);
  assert.deepEqual(ended.state.histories.map((entry) => entry.state).slice(-2),
    ['KILLING', 'KILLED']);

  const again = await curlJson(['-X', 'DELETE',
    api(`/executions/${json.id}/kill?isOnKillCascade=false`)]);
  assert.equal(again.status, 409);
  assert.equal(again.json.message, "Illegal state: Execution is already finished, can't kill it");
});

test('errors: unknown flow 404, bad input 422, bad label 422', { skip }, async () => {
  const unknown = await curlJson(['-X', 'POST', api('/executions/tests.curl/nope')]);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.message, 'Not Found: Requested Flow is not found.');
  assert.equal(unknown.json._links.self[0].href, '/api/v1/main/executions/tests.curl/nope');

  const bad = await curlJson(['-F', 'name=Ada', '-F', 'count=two', '-F', 'data=@orders.csv',
    api('/executions/tests.curl/orders')]);
  assert.equal(bad.status, 422);
  assert.equal(bad.json.message,
    'Invalid entity: Invalid value for input `count`. Cause: For input string: "two"');

  const label = await curlJson(['-F', 'name=Ada', '-F', 'data=@orders.csv',
    api('/executions/tests.curl/orders?labels=nocolon')]);
  assert.equal(label.status, 422);
  assert.equal(label.json.message, 'Unprocessable Entity: Invalid queryString parameter');

  const gone = await curlJson([api('/executions/doesNotExist')]);
  assert.equal(gone.status, 404);
});

test('basic auth with curl -u', { skip }, async () => {
  const secured = await startEmulator({
    flows: join(dir, 'flows'),
    args: ['--basic-auth', `${USER}:${PASSWORD}`],
  });
  try {
    const url = `${secured.url}/api/v1/main/executions/tests.curl/slow`;
    const denied = await curl(['-X', 'POST', '-D', '-', url]);
    assert.equal(denied.status, 401);
    assert.match(denied.body, /^www-authenticate: Basic\r?$/im);
    const created = await curlJson(['-X', 'POST', '-u', `${USER}:${PASSWORD}`, url]);
    assert.equal(created.status, 200);
    assert.equal(created.json.state.current, 'CREATED');
  } finally {
    await secured.stop();
  }
});
