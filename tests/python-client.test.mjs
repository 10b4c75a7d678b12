// Kestra's official Python client (the `kestra` package of PyPI, pinned in
// support/python-client.mjs) against the emulator. Small scripts in tests/python/ call the
// client as its documentation shows; each test then reads the execution back with fetch and
// checks what the server stored. Where the client sends something odd, the test asserts what
// a real Kestra 1.3 makes of that request.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR, ROOT, startEmulator } from './support/emulator.mjs';
import { PYTHON, prepareVenv } from './support/python-client.mjs';

const SCRIPTS = join(ROOT, 'tests', 'python');
const USER = 'admin@kestra.io';
const PASSWORD = 'Admin1234';
const NOTES = 'first line\nsecond line\n';

const FLOWS = {
  'greet.yml': `id: greet
namespace: tests.clients
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
  - id: flag
    type: BOOL
    required: false
  - id: ratio
    type: FLOAT
    required: false
  - id: note
    type: STRING
    required: false
  - id: when
    type: DATETIME
    required: false
  - id: cfg
    type: JSON
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }}, {{ inputs.count }} times"
`,
  'upload.yml': `id: upload
namespace: tests.clients
inputs:
  - id: myfile
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.scripts.node.Commands
    inputFiles:
      notes.txt: "{{ inputs.myfile }}"
    commands:
      - cat notes.txt
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "stored {{ inputs.myfile }}"
`,
};

const skip = prepareVenv() ?? false;

let flowsDir;
let server;

before(async () => {
  if (skip) return;
  flowsDir = mkdtempSync(join(tmpdir(), 'kestra-python-client-'));
  for (const [name, text] of Object.entries(FLOWS)) writeFileSync(join(flowsDir, name), text);
  writeFileSync(join(flowsDir, 'notes.txt'), NOTES);
  server = await startEmulator({ flows: flowsDir });
});

after(async () => {
  await server?.stop();
  if (flowsDir) rmSync(flowsDir, { recursive: true, force: true });
});

/**
 * Runs a script of tests/python against `url`; resolves to the JSON of its last line.
 * `tenant: ''` makes the client use its tenant-less routes.
 */
function python(url, script, args = [], { tenant = 'main' } = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('KESTRA_')),
  );
  Object.assign(env, {
    KESTRA_HOSTNAME: url,
    TEST_TENANT: tenant,
    PYTHONDONTWRITEBYTECODE: '1',
  });
  return new Promise((resolve, reject) => {
    const options = { env, cwd: flowsDir, timeout: 60000 };
    execFile(PYTHON, [join(SCRIPTS, script), ...args], options, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${script} failed: ${error.message}\n${stdout}${stderr}`));
        return;
      }
      const last = stdout.trim().split('\n').pop();
      resolve(JSON.parse(last));
    });
  });
}

function authHeaders(auth) {
  if (!auth) return {};
  return { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` };
}

/** The execution as the server stores it. */
async function execution(url, id, auth) {
  const response = await fetch(`${url}/api/v1/main/executions/${id}`, {
    headers: authHeaders(auth),
  });
  assert.equal(response.status, 200, `GET execution ${id}`);
  return response.json();
}

/** Log lines of an execution, as JSON entries. */
async function logs(url, id) {
  const response = await fetch(`${url}/api/v1/main/logs/${id}`);
  assert.equal(response.status, 200);
  return response.json();
}

/** Polls until the execution has ended. */
async function finished(url, id) {
  for (let i = 0; i < 200; i += 1) {
    const current = await execution(url, id);
    if (['SUCCESS', 'WARNING', 'FAILED', 'KILLED'].includes(current.state.current)) return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`execution ${id} did not end`);
}

/** User labels of an execution, without the system ones. */
function userLabels(details) {
  return details.labels.filter((label) => !label.key.startsWith('system.'));
}

const storedUri = (id, name) =>
  new RegExp(`^kestra:///tests/clients/upload/executions/${id}/inputs/myfile/${name}$`);

test('execute with inputs waits for SUCCESS and stores typed inputs', { skip }, async () => {
  const result = await python(server.url, 'execute.py');
  assert.equal(result.status, 'SUCCESS');
  assert.equal(result.error, null);
  assert.match(result.log, /^\S+Z INFO Hello Ada, 3 times$/m);

  const details = await execution(server.url, result.execution_id);
  assert.equal(details.state.current, 'SUCCESS');
  assert.equal(details.namespace, 'tests.clients');
  assert.equal(details.flowId, 'greet');
  assert.equal(details.inputs.name, 'Ada');
  assert.equal(details.inputs.count, 3);
  assert.deepEqual(details.labels, [
    { key: 'system.correlationId', value: result.execution_id },
  ]);
});

test('non-string inputs arrive as their str() and Kestra parses that', { skip }, async () => {
  const result = await python(server.url, 'non_strings.py');
  assert.equal(result.status, 'SUCCESS');
  const { inputs } = await execution(server.url, result.execution_id);
  assert.equal(inputs.count, 7);
  // "True": Boolean.valueOf ignores case.
  assert.equal(inputs.flag, true);
  assert.equal(inputs.ratio, 0.25);
  // None is sent as the text "None", which a STRING input keeps.
  assert.equal(inputs.note, 'None');
});

test('a datetime is sent as str(), which Instant.parse refuses with a 422', { skip }, async () => {
  const failure = await python(server.url, 'rejected.py', ['datetime']);
  assert.equal(failure.error, 'HTTPError');
  assert.equal(failure.status, 422);
  const { message } = JSON.parse(failure.body);
  assert.match(message, /^Invalid entity: Invalid value for input `when`\. Cause: /);
  assert.match(message, /Text '2026-01-05 10:00:00\+00:00' could not be parsed at index 10/);
});

test('a dict is sent as its repr, which a JSON input refuses with a 422', { skip }, async () => {
  const failure = await python(server.url, 'rejected.py', ['json']);
  assert.equal(failure.status, 422);
  assert.match(JSON.parse(failure.body).message,
    /^Invalid entity: Invalid value for input `cfg`\. Cause: /);
});

test('a missing input and an unknown flow surface as HTTPErrors', { skip }, async () => {
  const missing = await python(server.url, 'rejected.py', ['missing']);
  assert.equal(missing.status, 422);
  assert.equal(JSON.parse(missing.body).message, 'Invalid entity: Missing required input:count');

  const unknown = await python(server.url, 'rejected.py', ['unknown-flow']);
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).message, 'Not Found: Requested Flow is not found.');
});

test('a file in the documented `files` form is read as the input it names', { skip }, async () => {
  const result = await python(server.url, 'upload.py', ['files', join(flowsDir, 'notes.txt')]);
  assert.equal(result.status, 'SUCCESS', result.log);
  const id = result.execution_id;
  const details = await execution(server.url, id);
  // The file name is the input id, so the stored file is named after the input.
  assert.match(details.inputs.myfile, storedUri(id, 'myfile'));
  assert.equal(details.inputs.files, undefined);
  const entries = await logs(server.url, id);
  assert.ok(entries.some((entry) => entry.level === 'WARN'
    && /deprecated way to upload a FILE input/.test(entry.message)));
  const show = entries.filter((entry) => entry.taskId === 'show').map((entry) => entry.message);
  assert.deepEqual(show, ['first line', 'second line']);
});

test('a file tuple under the input id keeps its file name', { skip }, async () => {
  const result = await python(server.url, 'upload.py', ['tuple', join(flowsDir, 'notes.txt')]);
  assert.equal(result.status, 'SUCCESS', result.log);
  const id = result.execution_id;
  const details = await execution(server.url, id);
  assert.match(details.inputs.myfile, storedUri(id, 'notes\\.txt'));
  assert.match(result.log, /INFO first line\n\S+Z INFO second line\n/);
  assert.doesNotMatch(result.log, /deprecated/);
});

test('fire and forget answers STARTED and the execution runs on', { skip }, async () => {
  const result = await python(server.url, 'fire_and_forget.py');
  assert.equal(result.status, 'STARTED');
  assert.equal(result.log, null);
  const details = await finished(server.url, result.execution_id);
  assert.equal(details.state.current, 'SUCCESS');
  assert.equal(details.inputs.name, 'Grace');
});

test('labels from inputs: one per input, spaces encoded, `&` cuts a value', { skip }, async () => {
  const result = await python(server.url, 'labels.py', ['plain']);
  assert.equal(result.status, 'SUCCESS');
  const details = await execution(server.url, result.execution_id);
  // The query is `labels=name:Ada Lovelace&labels=count:2&labels=note:R&D`: requests encodes
  // the space; the `&` starts a parameter `D`, which Kestra ignores.
  assert.deepEqual(userLabels(details), [
    { key: 'name', value: 'Ada Lovelace' },
    { key: 'count', value: '2' },
    { key: 'note', value: 'R' },
  ]);
  assert.equal(details.inputs.note, 'R&D');
});

test('labels from inputs: a `#` in a value turns the rest into a fragment', { skip }, async () => {
  const result = await python(server.url, 'labels.py', ['hash']);
  assert.equal(result.status, 'SUCCESS');
  const details = await execution(server.url, result.execution_id);
  // The fragment is never sent, so the `count` label is lost and `note` is cut.
  assert.deepEqual(userLabels(details), [
    { key: 'name', value: 'Ada' },
    { key: 'note', value: 'C' },
  ]);
  assert.equal(details.inputs.note, 'C#');
  assert.equal(details.inputs.count, 2);
});

test('labels from inputs: a file input gives a label holding its repr', { skip }, async () => {
  const result = await python(server.url, 'labels.py', ['file', join(flowsDir, 'notes.txt')]);
  assert.equal(result.status, 'SUCCESS');
  const details = await execution(server.url, result.execution_id);
  const [label] = userLabels(details);
  assert.equal(label.key, 'myfile');
  const repr = /^\('notes\.txt', <_io\.BufferedReader name='.*notes\.txt'>, 'text\/plain'\)$/;
  assert.match(label.value, repr);
  assert.match(details.inputs.myfile, storedUri(result.execution_id, 'notes\\.txt'));
});

test('without a tenant the client calls tenant-less routes: 404', { skip }, async () => {
  // Kestra 1.x maps every execution route under /api/v1/{tenant}/ (read in source, not seen
  // on a live server); the emulator serves the old paths only with --legacy-routes.
  const failure = await python(server.url, 'execute.py', [], { tenant: '' });
  assert.equal(failure.error, 'HTTPError');
  assert.equal(failure.status, 404);
  assert.match(failure.message, /\/api\/v1\/executions\/tests\.clients\/greet$/);
});

/** Why the legacy-route case cannot run, or false. */
function legacySkip() {
  if (skip) return skip;
  const help = spawnSync(EMULATOR, ['--help'], { encoding: 'utf8' });
  if (help.status !== 0) return `kestra-emulator --help failed: ${help.stderr}`;
  return help.stdout.includes('--legacy-routes')
    ? false
    : 'this kestra-emulator build has no --legacy-routes flag';
}

test('without a tenant the client works with --legacy-routes', { skip: legacySkip() }, async () => {
  const legacy = await startEmulator({ flows: flowsDir, args: ['--legacy-routes'] });
  try {
    const result = await python(legacy.url, 'execute.py', [], { tenant: '' });
    assert.equal(result.status, 'SUCCESS', JSON.stringify(result));
    assert.match(result.log, /INFO Hello Ada, 3 times/);
    const details = await execution(legacy.url, result.execution_id);
    assert.equal(details.state.current, 'SUCCESS');
    assert.equal(details.inputs.count, 3);
  } finally {
    await legacy.stop();
  }
});

test('basic auth through flow.user and flow.password', { skip }, async () => {
  const args = ['--basic-auth', `${USER}:${PASSWORD}`];
  const secured = await startEmulator({ flows: flowsDir, args });
  try {
    const result = await python(secured.url, 'basic_auth.py', [USER, PASSWORD]);
    assert.equal(result.status, 'SUCCESS', JSON.stringify(result));
    const auth = `${USER}:${PASSWORD}`;
    const details = await execution(secured.url, result.execution_id, auth);
    assert.equal(details.state.current, 'SUCCESS');

    // The client turns every 401 into a plain Exception.
    for (const args of [[USER, 'wrong'], ['', '']]) {
      const failure = await python(secured.url, 'basic_auth.py', args);
      assert.equal(failure.error, 'Exception');
      assert.match(failure.message, /^Authentication required/);
    }
    const bare = await fetch(`${secured.url}/api/v1/main/executions/${result.execution_id}`);
    assert.equal(bare.status, 401);
    assert.equal(bare.headers.get('www-authenticate'), 'Basic');
  } finally {
    await secured.stop();
  }
});
