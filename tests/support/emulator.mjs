// Starts the local Kestra-compatible server for a test or the demo, and stops it.

import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The emulator binary built by `cargo build -p kestra-emulator`. */
export const EMULATOR = join(ROOT, 'target', 'debug', 'kestra-emulator');

/**
 * A directory whose node_modules holds the packed kestra-wasm package, installed the way a
 * container image for script tasks would ship it.
 */
export function taskWorkDir() {
  const packageDir = join(ROOT, 'target', 'package');
  const tarball = readdirSync(packageDir).find((name) => name.endsWith('.tgz'));
  if (!tarball) {
    throw new Error(`no packed package in ${packageDir}: run scripts/build-package.sh`);
  }

  const workDir = mkdtempSync(join(tmpdir(), 'kestra-wasm-tasks-'));
  // --no-save: no package.json is left behind to change how Node reads the scripts.
  const flags = ['--no-save', '--no-audit', '--no-fund', '--no-package-lock'];
  execFileSync('npm', ['install', ...flags, join(packageDir, tarball)], {
    cwd: workDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return workDir;
}

/**
 * Starts the emulator on a free loopback port. Resolves to `{ url, stop, output }`;
 * `output()` returns what the server wrote on stderr so far.
 *
 * @param {{ flows?: string, args?: string[] }} [options]
 */
export async function startEmulator({ flows = join(ROOT, 'examples', 'flows'), args = [] } = {}) {
  const workDir = taskWorkDir();
  const child = spawn(EMULATOR, ['--flows', flows, '--port', '0', '--work-dir', workDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });

  const url = await new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`emulator did not start:\n${stderr}`)), 20000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code}:\n${stderr}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolvePromise(match[1]);
      else reject(new Error(`unexpected first line from the emulator: ${line}`));
    });
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  return { url, stop, output: () => stderr };
}
