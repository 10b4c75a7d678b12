// The package's typings: README-style usage compiles, misuse marked @ts-expect-error fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support/emulator.mjs';

test('typings accept documented usage and reject misuse', () => {
  const compiler = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [compiler, '-p', join(ROOT, 'tests', 'types')], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test('the examples for Node, Deno, Bun and the browser type-check against the typings', () => {
  const compiler = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [compiler, '-p', join(ROOT, 'examples')], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
