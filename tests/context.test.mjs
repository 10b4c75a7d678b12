// Kestra.context(): where the execution context comes from, in the order Kestra's
// clients look for it. Each case runs in its own process, since the context is read once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONTEXT = { inputs: { name: 'Ada', emoji: '🚀' }, labels: { team: 'data' } };

/**
 * Runs `script` (which may use `Kestra`) with `env`, after moving to `cwd`; returns its
 * parsed stdout. The process starts in the repository, where the package resolves.
 */
function run(script, { cwd = process.cwd(), env = {} } = {}) {
  const source = [
    "import { Kestra, KestraError } from 'kestra-wasm';",
    `process.chdir(${JSON.stringify(cwd)});`,
    script,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

function withDirectory(action) {
  const dir = mkdtempSync(join(tmpdir(), 'kestra-context-'));
  try {
    return action(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PRINT = 'process.stdout.write(JSON.stringify(Kestra.context()));';

test('the file named by KESTRA_EXECUTION_CONTEXT_FILE comes first', () => {
  withDirectory((dir) => {
    writeFileSync(join(dir, 'named.json'), JSON.stringify(CONTEXT));
    writeFileSync(join(dir, '.kestra-execution-context.json'), '{"other":true}');
    const env = {
      KESTRA_EXECUTION_CONTEXT_FILE: join(dir, 'named.json'),
      KESTRA_CONTEXT: Buffer.from('{"other":true}').toString('base64'),
    };
    assert.deepEqual(run(PRINT, { env }), CONTEXT);
  });
});

test('then .kestra-execution-context.json in the working directory', () => {
  withDirectory((dir) => {
    writeFileSync(join(dir, '.kestra-execution-context.json'), JSON.stringify(CONTEXT));
    const env = { KESTRA_CONTEXT: Buffer.from('{"other":true}').toString('base64') };
    assert.deepEqual(run(PRINT, { cwd: dir, env }), CONTEXT);
  });
});

test('then base64 JSON in KESTRA_CONTEXT', () => {
  const env = { KESTRA_CONTEXT: Buffer.from(JSON.stringify(CONTEXT)).toString('base64') };
  assert.deepEqual(run(PRINT, { env }), CONTEXT);
});

test('the context is read once', () => {
  withDirectory((dir) => {
    const file = join(dir, 'context.json');
    writeFileSync(file, JSON.stringify(CONTEXT));
    const script = `
      const first = Kestra.context();
      (await import('node:fs')).writeFileSync(${JSON.stringify(file)}, '{"changed":true}');
      process.stdout.write(JSON.stringify([first === Kestra.context(), Kestra.context()]));
    `;
    const [same, context] = run(script, { env: { KESTRA_EXECUTION_CONTEXT_FILE: file } });
    assert.equal(same, true);
    assert.deepEqual(context, CONTEXT);
  });
});

test('outside a task, and for broken sources, a KestraError says what is wrong', () => {
  const describe = `
    try { Kestra.context(); process.stdout.write('null'); }
    catch (error) {
      process.stdout.write(JSON.stringify([error instanceof KestraError, error.message]));
    }
  `;
  withDirectory((dir) => {
    const outside = run(describe, { cwd: dir });
    assert.equal(outside[0], true);
    assert.match(outside[1], /No Kestra execution context found/);

    const missing = run(describe, {
      cwd: dir,
      env: { KESTRA_EXECUTION_CONTEXT_FILE: join(dir, 'nope.json') },
    });
    assert.match(missing[1], /nope\.json \(KESTRA_EXECUTION_CONTEXT_FILE\) does not exist/);

    const notJson = run(describe, { cwd: dir, env: { KESTRA_CONTEXT: 'e30K!!' } });
    assert.match(notJson[1], /KESTRA_CONTEXT is not valid base64/);

    const array = run(describe, { cwd: dir, env: { KESTRA_CONTEXT: btoa('[1,2]') } });
    assert.match(array[1], /KESTRA_CONTEXT is not a JSON object/);

    writeFileSync(join(dir, 'bad.json'), '{"a":');
    const broken = run(describe, {
      cwd: dir,
      env: { KESTRA_EXECUTION_CONTEXT_FILE: join(dir, 'bad.json') },
    });
    assert.match(broken[1], /bad\.json \(KESTRA_EXECUTION_CONTEXT_FILE\) is not JSON/);
  });
});
