// Benchmarks of the packed kestra-wasm against @kestra-io/libs 2.0.0 and bare console.log:
// emission throughput, cold start, package size, and the Flow client against the local server
// (flow.mjs), printed as Markdown tables.
//
//   node benches/run.mjs            full run; exits 1 when a target is missed
//   node benches/run.mjs --quick    tiny counts, only checks that every case runs
//
// Exits 2 when something could not run: a missing tarball, a crashed child, contenders that
// printed different lines. The package must be built first: `make package`.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowSection } from './flow.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = join(HERE, '..', 'target', 'package');
const TIME = '/usr/bin/time';
const KIB = 1024;
const MIB = 1024 * 1024;

const CONTENDERS = ['kestra-wasm', 'libs', 'bare'];

const FULL = {
  rounds: 5,
  coldRuns: 30,
  // Measured lines per case, chosen so one child of @kestra-io/libs measures about 0.5 s here.
  lines: {
    'outputs-small': 150_000,
    'outputs-1k': 50_000,
    'outputs-100k': 1_000,
    counter: 100_000,
    'logger-info': 150_000,
  },
};

const QUICK = {
  rounds: 1,
  coldRuns: 2,
  lines: {
    'outputs-small': 200,
    'outputs-1k': 200,
    'outputs-100k': 20,
    counter: 200,
    'logger-info': 200,
  },
};

// Row names; README.md says what each case sends.
const CASE_LABELS = {
  'outputs-small': 'outputs 3 keys, lines/s',
  'outputs-1k': 'outputs 1 KB, lines/s',
  'outputs-100k': 'outputs 100 KB, lines/s',
  counter: 'counter, lines/s',
  'logger-info': 'logger().info, lines/s',
};

// The one line each cold-start process prints, and the code that prints it.
const COLD_LINE = '::{"outputs":{"rows":42}}::';
const COLD_CODE = {
  'kestra-wasm': "import { Kestra } from 'kestra-wasm'; Kestra.outputs({ rows: 42 });",
  libs: "import Kestra from '@kestra-io/libs'; Kestra.outputs({ rows: 42 });",
  bare: "console.log('::' + JSON.stringify({ outputs: { rows: 42 } }) + '::');",
};

/** Something that stops the run before any target can be judged. */
class BenchError extends Error {}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The contenders in a different order each round, so none always runs first. */
function rotated(round) {
  const shift = round % CONTENDERS.length;
  return [...CONTENDERS.slice(shift), ...CONTENDERS.slice(0, shift)];
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) {
    throw new BenchError(`${command}: ${result.error.message}`);
  }
  return result;
}

function packedTarball() {
  const found = existsSync(PACKAGE_DIR)
    ? readdirSync(PACKAGE_DIR).filter((name) => /^kestra-wasm-.*\.tgz$/.test(name))
    : [];
  if (found.length !== 1) {
    throw new BenchError(
      `expected one kestra-wasm-*.tgz in target/package, found ${found.length}: ` +
        'build it with `make package`',
    );
  }
  return join(PACKAGE_DIR, found[0]);
}

// @kestra-io/libs comes from package-lock.json. The tarball is installed on every run, without
// saving: a `file:` dependency on it would pin its integrity in the lock, and `npm ci` then
// serves the cached old build after every rebuild.
function install(tarball) {
  const npm = (args) => {
    const result = run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: HERE,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) {
      throw new BenchError(`npm ${args[0]} failed with status ${result.status}`);
    }
  };
  const installed = join(HERE, 'node_modules', '.package-lock.json');
  const lock = join(HERE, 'package-lock.json');
  if (
    !existsSync(join(HERE, 'node_modules', '@kestra-io', 'libs', 'package.json')) ||
    !existsSync(installed) ||
    statSync(lock).mtimeMs > statSync(installed).mtimeMs
  ) {
    npm(['ci']);
  }
  rmSync(join(HERE, 'node_modules', 'kestra-wasm'), { recursive: true, force: true });
  npm(['install', '--no-save', tarball]);
}

/** The first line of a file, read without loading the whole file. */
function firstLine(path) {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(256 * KIB);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('utf8', 0, read);
    const end = text.indexOf('\n');
    return end < 0 ? text : text.slice(0, end);
  } finally {
    closeSync(fd);
  }
}

/** Lines per second of one contender on one case, measured in a child writing to a file. */
function emitOnce(dir, contender, caseName, lines) {
  const out = join(dir, `${contender}-${caseName}.out`);
  const resultFile = join(dir, `${contender}-${caseName}.json`);
  const warm = Math.max(10, Math.floor(lines / 10));
  const fd = openSync(out, 'w');
  let result;
  try {
    result = run(
      process.execPath,
      [join(HERE, 'emit.mjs'), contender, caseName, String(warm), String(lines), resultFile],
      { cwd: HERE, stdio: ['ignore', fd, 'pipe'] },
    );
  } finally {
    closeSync(fd);
  }
  if (result.status !== 0 || !existsSync(resultFile)) {
    throw new BenchError(
      `${contender} ${caseName}: child exited with ${result.status ?? result.signal}\n` +
        result.stderr,
    );
  }
  const { seconds } = JSON.parse(readFileSync(resultFile, 'utf8'));
  const printed = { size: statSync(out).size, first: firstLine(out) };
  rmSync(out);
  rmSync(resultFile);
  return { perSecond: lines / seconds, printed };
}

function emission(settings) {
  const dir = mkdtempSync(join(tmpdir(), 'kestra-wasm-bench-'));
  const rates = {};
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const [caseName, lines] of Object.entries(settings.lines)) {
        const printed = [];
        for (const contender of rotated(round)) {
          const measured = emitOnce(dir, contender, caseName, lines);
          rates[caseName] ??= {};
          (rates[caseName][contender] ??= []).push(measured.perSecond);
          printed.push({ contender, ...measured.printed });
        }
        // The contenders must do the same work: byte for byte the same output.
        const [reference, ...others] = printed;
        for (const other of others) {
          if (other.size !== reference.size || other.first !== reference.first) {
            throw new BenchError(
              `${caseName}: ${other.contender} printed other lines than ${reference.contender}` +
                ` (${other.size} bytes, first line ${JSON.stringify(other.first.slice(0, 80))};` +
                ` ${reference.size} bytes, ${JSON.stringify(reference.first.slice(0, 80))})`,
            );
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const medians = {};
  for (const [caseName, byContender] of Object.entries(rates)) {
    medians[caseName] = Object.fromEntries(
      Object.entries(byContender).map(([contender, values]) => [contender, median(values)]),
    );
  }
  return medians;
}

/** Wall seconds and peak RSS in bytes of one node process that prints one output line. */
function coldOnce(contender, useTime) {
  const nodeArgs = ['--input-type=module', '-e', COLD_CODE[contender]];
  if (!useTime) {
    nodeArgs[2] +=
      " process.on('exit', () => process.stderr.write(" +
      "'maxrss ' + process.resourceUsage().maxRSS + '\\n'));";
  }
  const [command, args] = useTime
    ? [TIME, ['-v', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const started = process.hrtime.bigint();
  const result = run(command, args, { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 || result.stdout !== COLD_LINE + '\n') {
    throw new BenchError(
      `cold start of ${contender}: status ${result.status}, printed ` +
        `${JSON.stringify(result.stdout)}\n${result.stderr}`,
    );
  }
  // Both report kilobytes: GNU time's "Maximum resident set size (kbytes)" and maxRSS.
  const pattern = useTime ? /Maximum resident set size \(kbytes\): (\d+)/ : /^maxrss (\d+)$/m;
  const match = pattern.exec(result.stderr);
  if (!match) {
    throw new BenchError(`cold start of ${contender}: no peak RSS in\n${result.stderr}`);
  }
  return { seconds, rss: Number(match[1]) * KIB };
}

function coldStart(settings) {
  const useTime = existsSync(TIME);
  const samples = Object.fromEntries(CONTENDERS.map((c) => [c, { seconds: [], rss: [] }]));
  for (let i = 0; i < settings.coldRuns; i++) {
    for (const contender of rotated(i)) {
      const { seconds, rss } = coldOnce(contender, useTime);
      samples[contender].seconds.push(seconds);
      samples[contender].rss.push(rss);
    }
  }
  const result = { rssSource: useTime ? `${TIME} -v` : 'process.resourceUsage().maxRSS' };
  for (const contender of CONTENDERS) {
    result[contender] = {
      seconds: median(samples[contender].seconds),
      rss: median(samples[contender].rss),
    };
  }
  return result;
}

/** Bytes of the packed tarball and of the WebAssembly module the installed package compiles. */
function sizes(tarball) {
  const result = run(process.execPath, [join(HERE, 'wasm-size.mjs')], { cwd: HERE });
  const lines = result.stdout.trim().split('\n');
  const modules = result.status === 0 ? JSON.parse(lines[lines.length - 1]) : [];
  if (modules.length === 0) {
    throw new BenchError(
      `importing kestra-wasm compiled no WebAssembly module (status ${result.status})\n` +
        result.stderr,
    );
  }
  return { tarball: statSync(tarball).size, wasm: modules.reduce((a, b) => a + b, 0) };
}

const number = (value, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value) => `${number(value, 2)}×`;

/** Table rows: measure, the three contenders, two comparisons, target and whether it is met. */
function rows(results, quick) {
  const judged = (met) => (quick ? 'n/a (quick)' : met ? 'met' : '**missed**');
  const missed = [];
  const table = [];
  const target = (name, met) => {
    if (!met) {
      missed.push(name);
    }
    return judged(met);
  };

  for (const [caseName, rate] of Object.entries(results.emission)) {
    const vsLibs = rate['kestra-wasm'] / rate.libs;
    const label = CASE_LABELS[caseName];
    table.push([
      label,
      number(rate['kestra-wasm']),
      number(rate.libs),
      number(rate.bare),
      ratio(vsLibs),
      ratio(rate['kestra-wasm'] / rate.bare),
      '≥ 1.00×',
      target(label, vsLibs >= 1),
    ]);
  }

  const cold = results.cold;
  const ms = (contender) => number(cold[contender].seconds * 1000, 1);
  const wallRatio = cold['kestra-wasm'].seconds / cold.libs.seconds;
  table.push([
    'cold start wall, ms',
    ms('kestra-wasm'),
    ms('libs'),
    ms('bare'),
    ratio(wallRatio),
    ratio(cold['kestra-wasm'].seconds / cold.bare.seconds),
    '≤ 1.10×',
    target('cold start wall', wallRatio <= 1.1),
  ]);
  const mib = (contender) => number(cold[contender].rss / MIB, 1);
  const delta = (other) => {
    const difference = (cold['kestra-wasm'].rss - cold[other].rss) / MIB;
    return `${difference < 0 ? '−' : '+'}${number(Math.abs(difference), 1)} MiB`;
  };
  const rssOver = (cold['kestra-wasm'].rss - cold.libs.rss) / MIB;
  table.push([
    'cold start peak RSS, MiB',
    mib('kestra-wasm'),
    mib('libs'),
    mib('bare'),
    delta('libs'),
    delta('bare'),
    '≤ +8 MiB',
    target('cold start peak RSS', rssOver <= 8),
  ]);

  // Sizes are exact even in quick mode, so they are always judged, but only a full run fails.
  const size = (label, bytes, limit) => {
    const met = bytes <= limit;
    if (!met) {
      missed.push(label);
    }
    return [
      `${label}, KiB`,
      number(bytes / KIB, 1),
      '—',
      '—',
      '—',
      '—',
      `≤ ${limit / KIB} KiB`,
      met ? 'met' : '**missed**',
    ];
  };
  table.push(size('packed tarball', results.sizes.tarball, 64 * KIB));
  table.push(size('.wasm module', results.sizes.wasm, 96 * KIB));
  return { table, missed };
}

function markdown(table) {
  const header = [
    'Measure',
    'kestra-wasm',
    'libs',
    'bare',
    'vs libs',
    'vs bare',
    'Target',
    'Result',
  ];
  const align = ['---', '---:', '---:', '---:', '---:', '---:', '---', '---'];
  return [header, align, ...table].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function main() {
  const quick = process.argv.includes('--quick');
  const settings = quick ? QUICK : FULL;
  const started = process.hrtime.bigint();
  // Other work on the machine skews every number; the load at the start tells how busy it was.
  const load = loadavg()[0];

  // A copy: a rebuild during the run must not change what is installed and measured.
  const copyDir = mkdtempSync(join(tmpdir(), 'kestra-wasm-package-'));
  let results;
  try {
    const packed = packedTarball();
    const tarball = join(copyDir, basename(packed));
    copyFileSync(packed, tarball);
    install(tarball);
    results = {
      sizes: sizes(tarball),
      emission: emission(settings),
      cold: coldStart(settings),
      // The Flow client against the local server, in a table of its own (flow.mjs).
      flow: flowSection(quick),
    };
  } finally {
    rmSync(copyDir, { recursive: true, force: true });
  }
  const { table, missed } = rows(results, quick);
  missed.push(...results.flow.missed);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  console.log(markdown(table));
  console.log();
  console.log("libs: @kestra-io/libs 2.0.0. bare: console.log('::' + JSON.stringify(x) + '::').");
  const machine =
    `Node ${process.version}, ${availableParallelism()} cores, ` +
    `load average ${number(load, 2)} at the start`;
  console.log(`Targets apply to the vs libs column. ${machine}.`);
  console.log(
    `Emission: median of ${settings.rounds} round${settings.rounds > 1 ? 's' : ''}. ` +
      `Cold start: median of ${settings.coldRuns} runs each; peak RSS: ${results.cold.rssSource}.`,
  );
  console.log();
  console.log(results.flow.text);
  console.log(`Took ${number(seconds, 0)} s.`);
  if (quick) {
    console.log('Quick mode: counts too small to measure; targets are not enforced.');
    return 0;
  }
  if (missed.length > 0) {
    console.log(`Missed targets:\n${missed.map((name) => `- ${name}`).join('\n')}`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  // An unexpected error keeps its stack; either way the run is broken, not a missed target.
  console.error(`bench: ${error instanceof BenchError ? error.message : error.stack}`);
  process.exitCode = 2;
}
