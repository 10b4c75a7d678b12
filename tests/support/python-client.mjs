// Kestra's official Python client (the `kestra` package of PyPI, pinned below) in a
// virtualenv under target/, shared by the client tests and the Flow benchmarks.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './emulator.mjs';

/** The client version under test (`pip index versions kestra`). */
export const KESTRA_PY = '2.0.0';

/** The virtualenv holding the client. */
export const VENV = join(ROOT, 'target', 'python-client', 'venv');

/** The virtualenv's interpreter. */
export const PYTHON = join(VENV, 'bin', 'python');

/** The installed client version, or null. */
function installedVersion() {
  if (!existsSync(PYTHON)) return null;
  const code = 'import importlib.metadata as m; print(m.version("kestra"))';
  const probe = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/** Creates the virtualenv with the pinned client; returns why it could not, or null. */
export function prepareVenv() {
  if (installedVersion() === KESTRA_PY) return null;
  const steps = [
    ['python3', ['-m', 'venv', '--clear', VENV]],
    [PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
      `kestra==${KESTRA_PY}`]],
  ];
  for (const [command, args] of steps) {
    const run = spawnSync(command, args, { encoding: 'utf8', timeout: 300000 });
    if (run.error || run.status !== 0) {
      const detail = (run.error?.message ?? run.stderr).trim().split('\n').pop();
      return `cannot install the Python client: ${command} ${args.join(' ')}: ${detail}`;
    }
  }
  return installedVersion() === KESTRA_PY ? null : `kestra ${KESTRA_PY} did not install`;
}
