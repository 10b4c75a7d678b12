// Conformance: every line the package prints reaches Kestra intact. The lines are read by
// the JVM as Kestra's Process runner reads them (java.util.regex, Jackson databind), so
// this checks Java's line and regex semantics, not a JavaScript imitation of them.
//
// The full corpus runs by default; CONFORMANCE_QUICK=1 shrinks it for a quick local run,
// CONFORMANCE_SEED=N draws another one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_SEED, FULL_SIZE, QUICK_SIZE } from '../conformance/corpus.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SOURCES = join(ROOT, 'conformance', 'src', 'conformance');
const CLASSES = join(ROOT, 'target', 'conformance');
const EMITTER = join(ROOT, 'conformance', 'emit.mjs');

/** Debian's libjackson2-databind-java and the two jars it depends on. */
const JACKSON = ['jackson-databind', 'jackson-core', 'jackson-annotations']
  .map((name) => `/usr/share/java/${name}.jar`);
const CLASS_PATH = [CLASSES, ...JACKSON].join(':');

/** The parts of a frame Kestra's `TaskLogMatch` has; it ignores every other key. */
const MODEL_KEYS = ['outputs', 'metrics', 'logs', 'assets'];

/** How many failures a report details. */
const SHOWN_FAILURES = 5;

const QUICK = process.env.CONFORMANCE_QUICK === '1';
const SIZE = QUICK ? QUICK_SIZE : FULL_SIZE;
const SEED = Number(process.env.CONFORMANCE_SEED ?? DEFAULT_SEED);

let scratch;

/** Compiles the Java reader unless its classes are newer than every source. */
function compileReader() {
  const missing = JACKSON.filter((jar) => !existsSync(jar));
  assert.deepEqual(missing, [], 'Jackson jars missing: run scripts/install-tools.sh');

  const sources = readdirSync(SOURCES).filter((name) => name.endsWith('.java'));
  const stamp = join(CLASSES, '.compiled');
  const newest = Math.max(...sources.map((name) => statSync(join(SOURCES, name)).mtimeMs));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest) return;

  rmSync(CLASSES, { recursive: true, force: true });
  mkdirSync(CLASSES, { recursive: true });
  execFileSync('javac', [
    '-Xlint:all', '-d', CLASSES, '-cp', JACKSON.join(':'),
    ...sources.map((name) => join(SOURCES, name)),
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(stamp, '');
}

/**
 * Runs `command` under the Java reader. Returns the records of each stream, the exit code of
 * the command and what the JVM itself wrote on stderr.
 */
function readAsKestra(command, resultsName) {
  const results = join(scratch, resultsName);
  const run = spawnSync('java', ['-cp', CLASS_PATH, 'conformance.ProtocolReader', results,
    ...command], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(run.status, 0, `the Java reader failed: ${run.stderr}`);

  const records = readFileSync(results, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
  const { exit } = records.pop();
  return {
    stdout: records.filter((record) => record.stream === 'stdout'),
    stderr: records.filter((record) => record.stream === 'stderr'),
    exit,
    jvmErrors: run.stderr,
  };
}

/** The frame as Kestra's model holds it: the keys it does not know are dropped. */
function modelView(frame) {
  return Object.fromEntries(MODEL_KEYS.filter((key) => key in frame).map((key) => [key,
    frame[key]]));
}

/** Where `actual` and `expected` first differ, as a path and the two values there. */
function firstDifference(actual, expected, path = '$') {
  if (isDeepStrictEqual(actual, expected)) return null;
  const bothObjects = actual && expected && typeof actual === 'object'
    && typeof expected === 'object' && Array.isArray(actual) === Array.isArray(expected);
  if (bothObjects) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    for (const key of keys) {
      const found = firstDifference(actual[key], expected[key], `${path}[${JSON.stringify(key)}]`);
      if (found) return found;
    }
  }
  const show = (value) => JSON.stringify(value)?.slice(0, 200);
  return `${path}: got ${show(actual)}, expected ${show(expected)}`;
}

/**
 * Checks what the Java reader made of each stdout line against the expected frames, in
 * order. Returns `{ intact, total, failures }`, each failure naming the call and the cause.
 */
function compare(expectations, run) {
  const failures = [];
  const fail = (index, cause) => {
    failures.push(`#${index} ${expectations[index]?.method ?? '(no call)'}: ${cause}`);
  };

  let intact = 0;
  const count = Math.max(expectations.length, run.stdout.length);
  for (let index = 0; index < count; index += 1) {
    const record = run.stdout[index];
    const expectation = expectations[index];
    if (!record) {
      fail(index, 'no line was printed');
    } else if (!expectation) {
      fail(index, `a line no call accounts for: ${record.line ?? record.value}`);
    } else if (!record.matched) {
      fail(index, `not matched by Kestra's pattern: ${JSON.stringify(record.line)}`);
    } else if (record.error) {
      fail(index, `refused by Jackson: ${record.error}`);
    } else {
      const difference = firstDifference(JSON.parse(record.value),
        modelView(expectation.expected));
      if (difference) fail(index, `read differently: ${difference}`);
      else intact += 1;
    }
  }
  for (const record of run.stderr) {
    failures.push(`stderr line ${record.index}: ${JSON.stringify(record.line ?? record.value)}`);
  }
  if (run.exit !== 0) failures.push(`the emitter exited with ${run.exit}`);
  return { intact, total: expectations.length, failures };
}

/** `intact/total`, then the first few failures. */
function report({ intact, total, failures }) {
  const shown = failures.slice(0, SHOWN_FAILURES).map((failure) => `  ${failure}`);
  if (failures.length > SHOWN_FAILURES) {
    shown.push(`  … and ${failures.length - SHOWN_FAILURES} more`);
  }
  return [`${intact}/${total} intact, ${failures.length} failures`, ...shown].join('\n');
}

/** Runs a small script of `source`, printing lines without the package, under the reader. */
function readScript(name, source) {
  const script = join(scratch, `${name}.mjs`);
  writeFileSync(script, source);
  return readAsKestra([process.execPath, script], `${name}.jsonl`);
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'kestra-wasm-conformance-'));
  compileReader();
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test(`every line of the corpus reaches Kestra intact (seed ${SEED}, ${SIZE} random calls)`,
  () => {
    const expectationsPath = join(scratch, 'expectations.jsonl');
    const run = readAsKestra([process.execPath, EMITTER, expectationsPath, String(SIZE),
      String(SEED)], 'corpus.jsonl');
    const expectations = readFileSync(expectationsPath, 'utf8').split('\n').filter(Boolean)
      .map(JSON.parse);
    const outcome = compare(expectations, run);

    console.log(`conformance: ${report(outcome)}`);
    assert.equal(run.jvmErrors, '');
    assert.ok(QUICK || expectations.length >= 10_000, `only ${expectations.length} calls`);
    assert.equal(outcome.failures.length, 0, report(outcome));
    assert.equal(outcome.intact, outcome.total);
  });

test('negative controls: the checker sees lines Kestra would not take', () => {
  const run = readScript('controls', [
    "const write = (text) => process.stdout.write(text + '\\n');",
    "write('::{\"outputs\":{\"a\":\"x\\u2028y\"}}::');",
    "write('::{\"outputs\":{\"a\":\"x\\u0085y\"}}::');",
    "write('Trace: ::{}::');",
    "write(' ::{}::');",
    "write('::{\"logs\":[{\"level\":\"info\",\"message\":\"x\"}]}::');",
    "write('::{\"metrics\":[{\"name\":\"m\",\"type\":\"histogram\",\"value\":1}]}::');",
    "write('::{\"outputs\":{\"a\":1}}::::{\"outputs\":{\"b\":2}}::');",
    "write('::{\"outputs\":{\"a\":\"x\\ry\"}}::');",
    "write('::{\"outputs\":{\"a\":2}}::');",
    "process.stderr.write('::{}::\\n');",
  ].join('\n'));

  const verdicts = run.stdout.map((record) => (!record.matched ? 'unmatched'
    : record.error ? 'refused' : 'parsed'));
  assert.deepEqual(verdicts, [
    'unmatched', // a raw U+2028 ends a line for Java's `.`
    'unmatched', // so does a raw U+0085
    'unmatched', // a prefix before the frame
    'unmatched', // a leading space
    'refused', // levels are case-sensitive
    'refused', // an unknown metric type
    'parsed', // two frames on one line: Jackson reads the first, ignores the rest
    'unmatched', // a raw CR splits the frame in two lines, neither of them a frame
    'unmatched',
    'parsed',
  ]);
  assert.match(run.stdout[4].error, /Level/);
  assert.match(run.stdout[5].error, /histogram/);
  assert.deepEqual(JSON.parse(run.stdout[6].value), { outputs: { a: 1 } });
  assert.equal(run.stderr.length, 1);

  // The comparison flags a frame read differently from its call, and stderr output.
  const expectations = verdicts.map(() => ({ method: 'outputs', expected: { outputs: {} } }));
  expectations[9] = { method: 'outputs', expected: { outputs: { a: 1 } } };
  expectations[6] = { method: '_send', expected: { outputs: { a: 1 } } };
  const { intact, failures } = compare(expectations, run);
  assert.equal(intact, 1, 'only the first of two frames on one line is intact');
  assert.match(failures[8], /read differently: \$\["outputs"\]\["a"\]: got 2, expected 1/);
  assert.match(failures.at(-1), /^stderr line 0/);
  assert.equal(failures.length, verdicts.length);
});

test('negative controls: a missing or extra line is counted', () => {
  const run = readScript('counts', "console.log('::{\"outputs\":{}}::');");
  const one = { method: 'outputs', expected: { outputs: {} } };
  const failuresOf = (expectations) => compare(expectations, run).failures;
  assert.deepEqual(failuresOf([one]), []);
  assert.match(failuresOf([one, one])[0], /^#1 outputs: no line was printed/);
  assert.match(failuresOf([])[0], /^#0 \(no call\): a line no call accounts for/);
});

test('controls: lone surrogates survive the reader, and their loss is seen', () => {
  const run = readScript('surrogates', [
    "const write = (text) => process.stdout.write(text + '\\n');",
    "write('::{\"logs\":[{\"level\":\"INFO\",\"message\":\"a\\\\udfff\\\\ud800b\"}]}::');",
    "write('::{\"logs\":[{\"level\":\"INFO\",\"message\":\"a\\ufffd\\ufffdb\"}]}::');",
  ].join('\n'));
  const frame = { logs: [{ level: 'INFO', message: 'a\udfff\ud800b' }] };
  const expectations = [{ method: 'logger.info', expected: frame }];
  const { intact, failures } = compare([...expectations, ...expectations], run);
  assert.equal(intact, 1);
  assert.match(failures[0], /^#1 logger.info: read differently: .*message/);
});
