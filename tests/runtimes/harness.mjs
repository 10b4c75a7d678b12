// Node-side helpers of the runtime matrix: the project the packed package is installed
// into, the loopback servers the runtimes talk to, and running a runtime to its summary.

import { spawn, execFileSync } from 'node:child_process';
import {
  cpSync, createReadStream, mkdtempSync, readdirSync, statSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockServer } from '../support/mock-server.mjs';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The binaries of the npm packages `deno` and `bun`, dev dependencies of the repository. */
export const DENO = join(ROOT, 'node_modules', '.bin', 'deno');
export const BUN = join(ROOT, 'node_modules', '.bin', 'bun');

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The tarball `scripts/build-package.sh` packed. */
function packedTarball() {
  const dir = join(ROOT, 'target', 'package');
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    // Reported below with the command that makes it.
  }
  const tarball = names.find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`no packed package in ${dir}: run scripts/build-package.sh`);
  return join(dir, tarball);
}

/**
 * A fresh directory holding `project/`, an ES module project with the packed package
 * installed by npm plus the suite and the fixtures, and `deno-local/`, the same app with
 * `kestra-wasm` mapped to the repository's `pkg/index.js` by a deno.json import map.
 */
export function makeProjects() {
  const base = mkdtempSync(join(tmpdir(), 'kestra-wasm-runtimes-'));
  const project = join(base, 'project');
  const denoLocal = join(base, 'deno-local');
  for (const dir of [project, denoLocal]) {
    cpSync(join(HERE, 'fixtures'), dir, { recursive: true });
    cpSync(join(HERE, 'suite.js'), join(dir, 'suite.js'));
  }

  writeFileSync(join(project, 'package.json'), `${JSON.stringify({
    name: 'kestra-wasm-runtime-matrix',
    private: true,
    type: 'module',
  }, null, 2)}\n`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', packedTarball()], {
    cwd: project,
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  const localEntry = new URL('pkg/index.js', `file://${ROOT}/`).href;
  writeFileSync(join(denoLocal, 'deno.json'), `${JSON.stringify({
    imports: { 'kestra-wasm': localEntry },
  }, null, 2)}\n`);
  return { base, project, denoLocal };
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};

/** Serves the files under `root` on a free loopback port; resolves to `{ url, stop }`. */
export async function startStaticServer(root) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://static').pathname);
    const file = resolve(root, `.${path}`);
    let isFile = false;
    try {
      isFile = (file === root || file.startsWith(root + sep)) && statSync(file).isFile();
    } catch {
      // Missing: answered 404 below.
    }
    if (!isFile) {
      response.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
  });
  return listen(server);
}

function listen(server) {
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => {
      resolvePromise({
        url: `http://127.0.0.1:${server.address().port}`,
        stop: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(done);
        }),
      });
    });
  });
}

/**
 * The Kestra mock of the suite's Flow case. It allows any origin and answers preflights,
 * so pages and workers, served from another port, may call it too.
 */
export function startKestraMock() {
  const cors = { 'access-control-allow-origin': '*' };
  const path = '/api/v1/main/executions/company.team/hello';
  return startMockServer({
    [`POST ${path}`]: { json: { id: 'matrix-1' }, headers: cors },
    [`OPTIONS ${path}`]: {
      status: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': '*',
      },
    },
  });
}

/** The environment of a runtime: this one without Kestra's variables, plus `extra`. */
export function runtimeEnv(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('KESTRA_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Runs `command` with `args` in `cwd` and resolves to `{ code, signal, stdout, stderr }`
 * once it ends; stdout goes to `stdout` when that is a file descriptor, else to a pipe.
 */
export function run(command, args, { cwd, env, stdout = 'pipe', timeout = 60000 }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', stdout, 'pipe'] });
    const out = [];
    const err = [];
    child.stdout?.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The summary in the `RESULT {...}` line among `lines`, or undefined. */
export function summaryIn(lines) {
  const line = lines.find((text) => text.startsWith('RESULT '));
  return line === undefined ? undefined : JSON.parse(line.slice('RESULT '.length));
}

/**
 * A fresh directory holding `project/`, the project of `makeProjects` with the flow suite
 * (flow-suite.js) beside the script suite, for the flow matrix.
 */
export function makeFlowProject() {
  const dirs = makeProjects();
  cpSync(join(HERE, 'flow-suite.js'), join(dirs.project, 'flow-suite.js'));
  return dirs;
}

/**
 * Runs `command` like `run`, but once a `RESULT ` line has been printed the process has
 * `grace` milliseconds to exit by itself before it is killed, so that a client leaving a
 * connection open shows as `lingered: true` instead of a long wait for `timeout`.
 */
export function runToExit(command, args, { cwd, env, timeout = 60000, grace = 3000 }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let lingered = false;
    let graceTimer;
    child.stdout.on('data', (chunk) => {
      out.push(chunk);
      if (graceTimer === undefined && /^RESULT /m.test(Buffer.concat(out).toString('utf8'))) {
        graceTimer = setTimeout(() => {
          lingered = true;
          child.kill('SIGKILL');
        }, grace);
      }
    });
    child.stderr.on('data', (chunk) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    const stopTimers = () => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
    };
    child.once('error', (error) => {
      stopTimers();
      reject(error);
    });
    child.once('close', (code, signal) => {
      stopTimers();
      resolvePromise({
        code,
        signal,
        lingered,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
