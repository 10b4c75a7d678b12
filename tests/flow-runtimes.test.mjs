// The flow matrix: the packed package, installed into a fresh project, runs the same flow
// suite (tests/runtimes/flow-suite.js) against the local server in Node (import and require),
// Deno (the npm package), Bun (import and require) and a Chromium page, once with the server
// in Kestra 1.3 mode and once in 2.1 mode. The page is served from another loopback port than
// the server, so every request it makes is cross-origin and needs the server's CORS answers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startEmulator } from './support/emulator.mjs';
import {
  BUN, DENO, makeFlowProject, runToExit, runtimeEnv, startStaticServer, summaryIn,
} from './runtimes/harness.mjs';
import { CREDENTIALS, flowCases } from './runtimes/flow-suite.js';

const MODES = ['1.3', '2.1'];
const CASES = Object.keys(flowCases);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Chromium's console note on the error statuses the suite provokes on purpose. */
const PROVOKED = /^Failed to load resource: the server responded with a status of (401|404|422) /;

/** How long one runtime may take for the whole suite, in milliseconds. */
const RUN_LIMIT_MS = 90000;

let dirs;
let pages;
let browser;
let userDataDir;
const servers = {};

before(async () => {
  dirs = makeFlowProject();
  pages = await startStaticServer(dirs.project);
  const flows = join(ROOT, 'tests', 'flows', 'runtimes');
  await Promise.all(MODES.map(async (mode) => {
    servers[mode] = await startEmulator({
      flows,
      args: [
        '--test-controls',
        '--kestra-version', mode,
        '--cors-origin', pages.url,
        '--basic-auth', `${CREDENTIALS.user}:${CREDENTIALS.password}`,
      ],
    });
  }));
  userDataDir = mkdtempSync(join(dirs.base, 'chromium-profile-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close();
  await pages?.stop();
  await Promise.all(Object.values(servers).map((server) => server.stop()));
  if (dirs) rmSync(dirs.base, { recursive: true, force: true });
});

/** The environment of a runtime: the server to use, nothing of Kestra's own variables. */
function envFor(mode) {
  return runtimeEnv({
    FLOW_MATRIX_URL: servers[mode].url,
    FLOW_MATRIX_MODE: mode,
    DENO_DIR: join(dirs.base, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
    NO_COLOR: '1',
  });
}

/** Node, Deno and Bun: the command running the app, and the problems seen on the way. */
async function runProcess(mode, command, args) {
  const result = await runToExit(command, args, {
    cwd: dirs.project,
    env: envFor(mode),
    timeout: RUN_LIMIT_MS,
  });
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  const problems = [];
  if (result.lingered) problems.push('the process did not exit within 3 s of its summary');
  else if (result.code !== 0) problems.push(`exit ${result.code} ${result.signal}`);
  if (result.stderr !== '') problems.push(`stderr:\n${result.stderr}`);
  const other = lines.filter((line) => !line.startsWith('RESULT '));
  if (other.length > 0) problems.push(`other output:\n${other.join('\n')}`);
  return { summary: summaryIn(lines), problems };
}

/** Chromium: opens the page against the server of `mode` and reads its console. */
async function runPage(mode) {
  const page = await browser.newPage();
  const lines = [];
  const problems = [];
  let done;
  const finished = new Promise((resolvePromise) => {
    done = resolvePromise;
  });
  page.on('console', (message) => {
    if (message.type() === 'log') lines.push(message.text());
    else if (!PROVOKED.test(message.text())) {
      problems.push(`${message.type()}: ${message.text()}`);
    }
    if (message.text().startsWith('RESULT ')) done();
  });
  // The Origin header of every request to the server, as the browser sent it.
  const origins = new Set();
  page.on('request', (request) => {
    if (request.url().startsWith(servers[mode].url)) {
      request.allHeaders().then(
        (headers) => origins.add(headers.origin ?? 'no Origin header'),
        () => {}, // The page closed first: the other requests tell.
      );
    }
  });
  page.on('pageerror', (error) => {
    problems.push(`page error: ${error.message}`);
    done();
  });
  let timer;
  try {
    const query = new URLSearchParams({
      FLOW_MATRIX_URL: servers[mode].url,
      FLOW_MATRIX_MODE: mode,
    });
    await page.goto(`${pages.url}/flow-page.html?${query}`);
    const expired = new Promise((resolvePromise) => {
      timer = setTimeout(() => {
        problems.push(`no summary after ${RUN_LIMIT_MS} ms`);
        resolvePromise();
      }, RUN_LIMIT_MS);
    });
    await Promise.race([finished, expired]);
  } finally {
    clearTimeout(timer);
    await page.close();
  }
  const other = lines.filter((line) => !line.startsWith('RESULT '));
  if (other.length > 0) problems.push(`other output:\n${other.join('\n')}`);

  // The page must have called the server from its own origin, not through another route.
  const server = new URL(servers[mode].url).origin;
  if (!origins.has(pages.url) || new URL(pages.url).origin === server) {
    problems.push(`requests to ${server} came from ${[...origins].join(', ') || 'nowhere'}`);
  }
  return { summary: summaryIn(lines), problems };
}

const RUNTIMES = [
  ['Node: import', (mode) => runProcess(mode, process.execPath, ['flow-entry.mjs'])],
  ['Node: require', (mode) => runProcess(mode, process.execPath, ['flow-entry.cjs'])],
  ['Deno: npm package', (mode) => runProcess(mode, DENO, [
    'run', '--allow-env', '--allow-read', '--no-lock', '--no-prompt',
    `--allow-net=${new URL(servers[mode].url).host}`, 'flow-entry.mjs',
  ])],
  ['Bun: import', (mode) => runProcess(mode, BUN, ['--no-install', 'flow-entry.mjs'])],
  ['Bun: require', (mode) => runProcess(mode, BUN, ['--no-install', 'flow-entry.cjs'])],
  ['Chromium: cross-origin page', (mode) => runPage(mode)],
];

// The two modes use two servers and run side by side; within a mode the runtimes take turns,
// since the suite reads the server's request counts.
describe('flow matrix', { concurrency: true }, () => {
  for (const mode of MODES) {
    describe(`Kestra ${mode}`, { concurrency: 1 }, () => {
      for (const [name, runIn] of RUNTIMES) {
        test(name, async (t) => {
          const started = Date.now();
          const { summary, problems } = await runIn(mode);
          t.diagnostic(`${name}, ${mode}: ${((Date.now() - started) / 1000).toFixed(1)} s`);

          // One subtest per case, so that the report shows which case fails where.
          for (const caseName of CASES) {
            await t.test(caseName, () => {
              assert.ok(summary, `no summary; ${problems.join('\n')}`);
              const outcome = summary.cases.find((entry) => entry.name === caseName);
              assert.ok(outcome, 'the case did not run');
              assert.ok(outcome.ok, outcome.error);
            });
          }
          assert.ok(summary, `no summary; ${problems.join('\n')}`);
          assert.deepEqual(summary.cases.map((entry) => entry.name), CASES, 'cases run');
          assert.deepEqual(problems, [], `${name} in ${mode} mode`);
        });
      }
    });
  }
});
