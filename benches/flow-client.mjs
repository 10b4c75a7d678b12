// One kestra-wasm client process of the Flow benchmarks, driven by flow.mjs. The package is
// the one run.mjs installed in benches/node_modules; the Flow keeps its default settings but
// for the server's address.
//
//   node flow-client.mjs run <url> <flow id> <count>   sequential executions, a JSON line each
//   node flow-client.mjs concurrent <url> <count>      that many execute() calls at once
//   node flow-client.mjs bare <url> <count>            the same requests with bare fetch
//   node flow-client.mjs file <url> <path>             one FILE input from a path; RSS figures
import { openAsBlob } from 'node:fs';

const NAMESPACE = 'benches.flow';
const TERMINAL = new Set(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED']);

/** Wall-clock milliseconds with a fraction, comparable with the server's timestamps. */
const now = () => performance.timeOrigin + performance.now();

const print = (value) => console.log(JSON.stringify(value));

/** Peak RSS of this process so far, in bytes (Node reports KiB). */
const maxRss = () => process.resourceUsage().maxRSS * 1024;

async function run(url, flowId, count) {
  const flow = new kestra.Flow({ hostname: url });
  for (let i = 0; i < count; i++) {
    const name = `js${i}`;
    // When the client first learnt of the end, to tell that wait from the work after it.
    let endSeenAt = null;
    const onState = (state) => {
      if (TERMINAL.has(state)) endSeenAt ??= now();
    };
    const result = await flow.execute(NAMESPACE, flowId, { name }, { onState });
    const resolvedAt = now();
    const { executionId: id, status, log } = result;
    print({ id, status, log, name, resolvedAt, endSeenAt });
  }
}

async function concurrent(url, count) {
  const flow = new kestra.Flow({ hostname: url });
  const started = performance.now();
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => flow.execute(NAMESPACE, 'hello', { name: `c${i}` })),
  );
  const seconds = (performance.now() - started) / 1000;

  // Right means: SUCCESS, the log of its own execution (its own name), and an id of its own.
  const wrong = [];
  const ids = new Set();
  settled.forEach((outcome, i) => {
    if (outcome.status === 'rejected') {
      wrong.push(`#${i}: ${outcome.reason?.name}: ${outcome.reason?.message}`);
      return;
    }
    const { executionId, status, log } = outcome.value;
    ids.add(executionId);
    if (status !== 'SUCCESS' || !new RegExp(` INFO Hello c${i}$`, 'm').test(log ?? '')) {
      wrong.push(`#${i}: ${status}, log ${JSON.stringify(log)}`);
    }
  });
  if (ids.size !== count - settled.filter((o) => o.status === 'rejected').length) {
    wrong.push(`${ids.size} distinct execution ids`);
  }
  print({ count, right: count - wrong.length, wrong: wrong.slice(0, 5), seconds, peak: maxRss() });
}

/**
 * What the HTTP stack alone costs: each execution's create, follow and log download made
 * with bare fetch, `count` executions at once, without the package.
 */
async function bare(url, count) {
  const api = `${url}/api/v1/main`;
  const one = async (i) => {
    const form = new FormData();
    form.append('name', `c${i}`);
    const created = await fetch(`${api}/executions/${NAMESPACE}/hello`, {
      method: 'POST',
      body: form,
    });
    const { id } = await created.json();
    const events = await (await fetch(`${api}/executions/${id}/follow`)).text();
    const log = await (await fetch(`${api}/logs/${id}/download`)).text();
    return events.includes('id: end') && new RegExp(` INFO Hello c${i}$`, 'm').test(log);
  };
  const started = performance.now();
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  const seconds = (performance.now() - started) / 1000;
  print({ count, right: outcomes.filter(Boolean).length, seconds, peak: maxRss() });
}

async function file(url, path) {
  const flow = new kestra.Flow({ hostname: url });
  // fileFromPath is the package's way; until it exists a file-backed Blob is the same input.
  const input =
    typeof kestra.fileFromPath === 'function'
      ? await kestra.fileFromPath(path)
      : await openAsBlob(path);
  // A first execution loads the code every request needs (fetch itself is loaded lazily), so
  // the growth below is what the file costs.
  await flow.execute(NAMESPACE, 'hello', { name: 'warm-up' });
  globalThis.gc?.();

  const baseline = process.memoryUsage().rss;
  const peakBefore = maxRss();
  let sampledPeak = baseline;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  let result;
  try {
    result = await flow.execute(NAMESPACE, 'file', { file: input });
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  print({
    id: result.executionId,
    status: result.status,
    log: result.log,
    source: typeof kestra.fileFromPath === 'function' ? 'fileFromPath' : 'fs.openAsBlob',
    baseline,
    peakBefore,
    peakAfter: maxRss(),
    sampledPeak,
    seconds,
  });
}

const [mode, url, ...rest] = process.argv.slice(2);
// The bare mode measures Node without the package, so the package is loaded only here.
const kestra = mode === 'bare' ? null : await import('kestra-wasm');
if (mode === 'run') {
  await run(url, rest[0], Number(rest[1]));
} else if (mode === 'concurrent') {
  await concurrent(url, Number(rest[0]));
} else if (mode === 'bare') {
  await bare(url, Number(rest[0]));
} else if (mode === 'file') {
  await file(url, rest[0]);
} else {
  throw new Error(`unknown mode ${mode}`);
}
