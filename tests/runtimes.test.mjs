// The runtime matrix: the packed package, installed into a fresh project, runs the same
// suite (tests/runtimes/suite.js) in Node (import and require), Deno (npm package and local
// path), Bun (import and require), an esbuild bundle in Node, and in headless Chromium as a
// page, a bundle and a module worker. Every case must pass everywhere.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import {
  BUN, DENO, makeProjects, run, runtimeEnv, startKestraMock, startStaticServer, summaryIn,
} from './runtimes/harness.mjs';
import { KESTRA_PATTERN, cases } from './runtimes/suite.js';

/** The line each app prints on the real console after its suite. */
const FINAL_LINE = '::{"outputs":{"matrix":"done","text":"a\\u2028b"}}::';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

let dirs;
let mock;

before(async () => {
  dirs = makeProjects();
  mock = await startKestraMock();
  // The same app bundled twice, as a bundler resolves the package for each platform: the
  // `default` entry (synchronous compile) for Node, the `browser` one for pages.
  for (const [platform, outfile, entry] of [
    ['node', 'node.mjs', 'index.js'],
    ['browser', 'browser.js', 'browser.js'],
  ]) {
    const { metafile } = await esbuild.build({
      absWorkingDir: dirs.project,
      entryPoints: ['entry.mjs'],
      bundle: true,
      format: 'esm',
      platform,
      outfile: join('bundle', outfile),
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(metafile.inputs);
    assert.ok(inputs.includes(`node_modules/kestra-wasm/${entry}`), inputs.join('\n'));
  }
});

after(async () => {
  await mock?.stop();
  if (dirs) rmSync(dirs.base, { recursive: true, force: true });
});

/** Deno's flags: no lock file, no update check, loopback access to the mock only. */
function denoRun(script, { net = true } = {}) {
  const flags = ['run', '--allow-env', '--allow-read', '--no-lock', '--no-prompt'];
  if (net) flags.push(`--allow-net=${new URL(mock.url).host}`);
  return [...flags, script];
}

function envFor(extra = {}) {
  return runtimeEnv({
    DENO_DIR: join(dirs.base, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
    NO_COLOR: '1',
    ...extra,
  });
}

/** Checks what one app printed: its summary, the final line, nothing but Kestra lines. */
function checkLines(lines, where) {
  const summary = summaryIn(lines);
  assert.ok(summary, `${where}: no summary among:\n${lines.join('\n')}`);
  assert.deepEqual(summary.failures, [], `${where}: failing cases`);
  assert.deepEqual(summary.skipped, [], `${where}: skipped cases`);
  assert.equal(summary.passed, Object.keys(cases).length, `${where}: cases passed`);
  assert.ok(lines.includes(FINAL_LINE), `${where}: the final line is missing or changed`);
  for (const line of lines) {
    assert.ok(KESTRA_PATTERN.test(line) || line.startsWith('RESULT '), `${where}: ${line}`);
  }
}

/** The number of executions the mock has been asked for so far. */
const executions = () => mock.requests.filter(({ method }) => method === 'POST').length;

describe('Node, Deno and Bun', () => {
  const apps = [
    ['Node: import', () => [process.execPath, ['entry.mjs']]],
    ['Node: require', () => [process.execPath, ['entry.cjs']]],
    ['Node: esbuild bundle', () => [process.execPath, [join('bundle', 'node.mjs')]]],
    ['Deno: npm package from node_modules', () => [DENO, denoRun('entry.mjs')]],
    ['Deno: local path to pkg/index.js', () => [DENO, denoRun('entry.mjs'), 'denoLocal']],
    ['Bun: import', () => [BUN, ['--no-install', 'entry.mjs']]],
    ['Bun: require', () => [BUN, ['--no-install', 'entry.cjs']]],
  ];
  for (const [name, commandOf] of apps) {
    test(name, async () => {
      const [command, args, dir = 'project'] = commandOf();
      const asked = executions();
      const result = await run(command, args, {
        cwd: dirs[dir],
        env: envFor({ KESTRA_MOCK_URL: mock.url }),
      });
      assert.equal(result.code, 0, `exit ${result.code} ${result.signal}\n${result.stderr}`);
      assert.equal(result.stderr, '');
      checkLines(result.stdout.split('\n').filter((line) => line !== ''), name);
      assert.equal(executions(), asked + 1, 'the mock was asked for one execution');
    });
  }
});

describe('an exit right after printing loses nothing', () => {
  const SIZE = 1024 * 1024;
  const expected = [
    `::{"outputs":{"blob":"${'x'.repeat(SIZE)}"}}::`,
    '::{"metrics":[{"name":"lines","type":"counter","value":2,"tags":{}}]}::',
    '',
  ].join('\n');
  const runtimes = [
    ['Node', () => [process.execPath, ['exit.mjs']]],
    ['Deno', () => [DENO, denoRun('exit.mjs', { net: false })]],
    ['Bun', () => [BUN, ['--no-install', 'exit.mjs']]],
  ];
  for (const [name, commandOf] of runtimes) {
    for (const target of ['pipe', 'file']) {
      test(`${name}, stdout a ${target}`, async () => {
        const [command, args] = commandOf();
        const options = { cwd: dirs.project, env: envFor({ KESTRA_EXIT_SIZE: String(SIZE) }) };
        let stdout;
        if (target === 'pipe') {
          const result = await run(command, args, options);
          assert.equal(result.code, 0, result.stderr);
          stdout = result.stdout;
        } else {
          const file = join(mkdtempSync(join(dirs.base, 'stdout-')), 'stdout.txt');
          const fd = openSync(file, 'w');
          try {
            const result = await run(command, args, { ...options, stdout: fd });
            assert.equal(result.code, 0, result.stderr);
          } finally {
            closeSync(fd);
          }
          stdout = readFileSync(file, 'utf8');
        }
        // Compared by length first: a diff of two 1 MB strings is unreadable.
        assert.equal(stdout.length, expected.length, 'characters on stdout');
        assert.ok(stdout === expected, 'stdout differs from what was printed');
      });
    }
  }
});

describe('Chromium', () => {
  let userDataDir;
  let context;
  let server;

  before(async () => {
    server = await startStaticServer(dirs.project);
    userDataDir = mkdtempSync(join(dirs.base, 'chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  /** Opens page.html with `app`, collects the console until the summary, and checks it. */
  async function runPage(app) {
    const page = await context.newPage();
    const lines = [];
    const errors = [];
    let done;
    const finished = new Promise((resolvePromise) => {
      done = resolvePromise;
    });
    page.on('console', (message) => {
      if (message.type() === 'log') lines.push(message.text());
      else errors.push(`${message.type()}: ${message.text()}`);
      if (message.text().startsWith('RESULT ') || message.type() === 'error') done();
    });
    page.on('pageerror', (error) => {
      errors.push(`page error: ${error.message}`);
      done();
    });
    const asked = executions();
    try {
      const query = new URLSearchParams({ app, KESTRA_MOCK_URL: mock.url });
      await page.goto(`${server.url}/page.html?${query}`);
      let timer;
      const timeout = new Promise((resolvePromise) => {
        timer = setTimeout(resolvePromise, 30000);
      });
      await Promise.race([finished, timeout]);
      clearTimeout(timer);
    } finally {
      await page.close();
    }
    assert.deepEqual(errors, [], `${app}: errors in the browser`);
    checkLines(lines, app);
    assert.equal(executions(), asked + 1, 'the mock was asked for one execution');
  }

  test('a page importing the package through an import map', () => runPage('module'));
  test('a page running the esbuild browser bundle', () => runPage('bundle'));
  test('a module worker importing the package', () => runPage('worker'));
});
