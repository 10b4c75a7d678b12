// The conformance corpus: calls of the package with awkward values, each with the frame it
// must produce. A seed makes it reproducible, so a failure found once can be found again.

/** Seed of the corpus that `make test` runs. */
export const DEFAULT_SEED = 0x6b657374;

/** Number of random cases of the full corpus; the fixed cases come on top. */
export const FULL_SIZE = 12_000;

/** Number of random cases of a quick local run. */
export const QUICK_SIZE = 1_000;

/** mulberry32: a tiny 32-bit PRNG, good enough to spread cases and identical everywhere. */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const C0_CONTROLS = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code));

/** Every line terminator that Java's `.` or `readLine` stops at, and `\r\n` as one. */
export const LINE_TERMINATORS = ['\n', '\r', '\r\n', '\u0085', '\u2028', '\u2029'];

/** Pieces that awkward strings are made of: each one has broken some line protocol. */
const PIECES = [
  ...LINE_TERMINATORS,
  ...C0_CONTROLS,
  '\u007f',
  '\ud800', '\udbff', '\ud83d', // lone high surrogates
  '\udc00', '\udfff', '\ude80', // lone low surrogates
  '🚀', '👩‍👩‍👧', '𝄞', '\u{10ffff}', '\u{1f600}', '🇫🇷',
  '::', '}::', '::{', '::{}::', '::{"outputs":{}}::',
  '"', '\\', '/', '\\u2028', '\\"', '</script>', '%s %d %o', '${x}',
  'ünïcödé', '中文', 'ελληνικά', 'עברית', 'e\u0301', '\u200b', '\ufeff', '\ufffd', '\u00a0',
  'rows', 'orders', ' ', 'a', '0', 'null', 'true',
];

/** Numbers at the edges of what a double, Java's long and JSON printing agree on. */
export const EDGE_NUMBERS = [
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 31, 2 ** 63, 2 ** 64, -(2 ** 63),
  1e21, 1e-7, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 2.2250738585072014e-308,
  -0, 0, 0.1, 0.2 + 0.1, 1 / 3, 1, -1, 42, 1.25, 123456789012345680000, 1e300, 4.35,
];

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];
const METRIC_KINDS = ['counter', 'gauge', 'timer'];

/** JSON's own meaning of a value: what a correct reader must end up with. */
function jsonValue(value) {
  return JSON.parse(JSON.stringify(value));
}

/** Random draws on top of one PRNG. */
class Draw {
  constructor(seed) {
    this.next = mulberry32(seed);
  }

  int(bound) {
    return Math.floor(this.next() * bound);
  }

  chance(probability) {
    return this.next() < probability;
  }

  pick(list) {
    return list[this.int(list.length)];
  }

  /** A string of 0 to `maxPieces` awkward pieces. */
  text(maxPieces = 8) {
    let text = '';
    for (let count = this.int(maxPieces + 1); count > 0; count -= 1) text += this.pick(PIECES);
    return text;
  }

  /** A string that is never empty, for metric names. */
  name() {
    return this.pick(PIECES) + this.text(5);
  }

  /** A finite number: an edge, or a random double of a random magnitude. */
  number() {
    if (this.chance(0.5)) return this.pick(EDGE_NUMBERS);
    const magnitude = 10 ** (this.int(40) - 20);
    const value = this.chance(0.3) ? Math.round(this.next() * 1e6) : this.next() * magnitude;
    return this.chance(0.3) ? -value : value;
  }

  /** Any JSON value, nested at most `depth` more levels. */
  value(depth = 3) {
    const choice = this.int(depth > 0 ? 10 : 6);
    switch (choice) {
      case 0:
      case 1:
        return this.text();
      case 2:
        return this.number();
      case 3:
        return this.chance(0.5);
      case 4:
        return null;
      case 5:
        return this.chance(0.5) ? {} : [];
      case 6:
      case 7:
        return this.object(depth - 1);
      default:
        return Array.from({ length: this.int(5) }, () => this.value(depth - 1));
    }
  }

  /** An object with awkward keys, nested at most `depth` more levels. */
  object(depth = 2, maxKeys = 5) {
    const object = {};
    for (let count = this.int(maxKeys + 1); count > 0; count -= 1) {
      // defineProperty: a `__proto__` key must become a key, as JSON.parse makes it.
      Object.defineProperty(object, this.text(4), {
        value: this.value(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return object;
  }

  /** Tags as the caller passes them: strings, numbers or booleans under awkward keys. */
  tags() {
    const tags = {};
    for (let count = this.int(4); count > 0; count -= 1) {
      const kind = this.int(3);
      const value = [() => this.text(4), () => this.number(), () => this.chance(0.5)][kind];
      tags[this.text(3)] = value();
    }
    return tags;
  }

  /** One asset, in the shape Kestra's `AssetEmit` reads. */
  asset(withDetails) {
    const asset = { id: this.name(), type: this.pick(['TABLE', 'FILE', this.name()]) };
    if (withDetails && this.chance(0.7)) {
      asset.namespace = this.text(3);
      asset.displayName = this.text();
      asset.description = this.text();
      asset.metadata = this.object(2);
    }
    return asset;
  }
}

/** A metric frame entry, with tag values written as the package writes them. */
function metricEntry(name, type, value, tags) {
  const sentTags = Object.fromEntries(Object.entries(tags).map(([key, tag]) => [key, String(tag)]));
  return { name, type, value, tags: sentTags };
}

/** A case: the call to make (`method` of `Kestra`, or `logger.level`) and its frame. */
function call(method, args, frame) {
  return { method, args, expected: jsonValue(frame) };
}

function outputsCase(draw) {
  const outputs = draw.object(3, 8);
  return call('outputs', [outputs], { outputs });
}

function metricCase(draw) {
  const type = draw.pick(METRIC_KINDS);
  const name = draw.name();
  const value = type === 'timer' ? Math.abs(draw.number()) : draw.number();
  const tags = draw.tags();
  const frame = { metrics: [metricEntry(name, type, value, tags)] };
  if (draw.chance(0.2)) return call('_metrics', [name, type, value, tags], frame);
  // Without tags half of the time: the package must still send `tags: {}`.
  const args = draw.chance(0.5) ? [name, value, tags] : [name, value];
  if (args.length === 2) frame.metrics[0].tags = {};
  return call(type, args, frame);
}

/**
 * A logger call. Its message is the same whether the arguments are joined with spaces or
 * formatted as `console.log` formats them: a `%` is left out of a first argument that others
 * follow, and -0 (which `console.log` prints as `-0`) is not passed; a lone argument keeps
 * every awkward character, `%` included.
 */
function logCase(draw) {
  const level = draw.pick(LOG_LEVELS);
  const args = Array.from({ length: 1 + draw.int(3) }, () => {
    if (draw.chance(0.85)) return draw.text(10);
    return draw.pick([draw.number() || 0, true, false, null]);
  });
  if (args.length > 1 && typeof args[0] === 'string') args[0] = args[0].replaceAll('%', '');
  const message = args.map((arg) => String(arg)).join(' ');
  return call(`logger.${level}`, args, { logs: [{ level: level.toUpperCase(), message }] });
}

function assetsCase(draw) {
  const assets = {
    inputs: Array.from({ length: draw.int(3) }, () => draw.asset(false)),
    outputs: Array.from({ length: draw.int(3) }, () => draw.asset(true)),
  };
  return call('assets', [assets], { assets });
}

/** `_send` with several parts in one frame, as a script could write by hand. */
function sendCase(draw) {
  const frame = {};
  if (draw.chance(0.6)) frame.outputs = draw.object(2);
  if (draw.chance(0.5)) {
    frame.metrics = Array.from({ length: 1 + draw.int(3) }, () => {
      const type = draw.pick(METRIC_KINDS);
      const value = type === 'timer' ? Math.abs(draw.number()) : draw.number();
      const tags = Object.fromEntries(Object.entries(draw.tags()).map(([k, v]) => [k, String(v)]));
      return { name: draw.name(), type, value, tags };
    });
  }
  if (draw.chance(0.5)) {
    frame.logs = Array.from({ length: 1 + draw.int(3) }, () => ({
      level: draw.pick(LOG_LEVELS).toUpperCase(),
      message: draw.text(10),
    }));
  }
  if (draw.chance(0.3)) {
    frame.assets = { inputs: [draw.asset(false)], outputs: [draw.asset(true)] };
  }
  return call('_send', [frame], frame);
}

/** Nested objects and arrays, `levels` deep, with a string at the bottom. */
function nested(levels, draw) {
  let value = draw.text(6);
  for (let level = 0; level < levels; level += 1) {
    value = level % 2 === 0 ? { [draw.text(2)]: value } : [value];
  }
  return value;
}

/** A string of about `size` UTF-16 units made of `pieces`, cycled. */
function long(size, pieces) {
  let text = '';
  for (let index = 0; text.length < size; index += 1) text += pieces[index % pieces.length];
  return text;
}

/** Cases every corpus has, so each edge is sent at least once whatever the seed. */
function fixedCases(draw) {
  const cases = [];
  for (const piece of [...PIECES, ...LINE_TERMINATORS.map((t) => `before${t}after`)]) {
    cases.push(call('outputs', [{ [piece]: piece }], { outputs: { [piece]: piece } }));
    for (const level of LOG_LEVELS) {
      cases.push(call(`logger.${level}`, [piece], {
        logs: [{ level: level.toUpperCase(), message: piece }],
      }));
    }
    for (const type of METRIC_KINDS) {
      const tags = { [piece]: piece };
      cases.push(call(type, [`m${piece}`, 1, tags], {
        metrics: [metricEntry(`m${piece}`, type, 1, tags)],
      }));
    }
  }
  for (const number of EDGE_NUMBERS) {
    cases.push(call('outputs', [{ number }], { outputs: { number } }));
    for (const type of METRIC_KINDS) {
      const value = type === 'timer' ? Math.abs(number) : number;
      cases.push(call(type, ['edge', value, { number }], {
        metrics: [metricEntry('edge', type, value, { number })],
      }));
    }
  }
  const plain = { yes: true, no: false, nothing: null, object: {}, array: [], text: '' };
  cases.push(call('outputs', [plain], { outputs: plain }));
  cases.push(call('outputs', [{}], { outputs: {} }));
  cases.push(call('_send', [{}], {}));
  const noAssets = { inputs: [], outputs: [] };
  cases.push(call('assets', [noAssets], { assets: noAssets }));
  for (const levels of [100, 500]) {
    const deep = { deep: nested(levels, draw) };
    cases.push(call('outputs', [deep], { outputs: deep }));
  }
  const megabyte = 1 << 20;
  for (const pieces of [['a'], C0_CONTROLS, ['🚀', '\u2028', '::'], ['\ud800', 'x', '\udfff']]) {
    const text = long(megabyte, pieces);
    cases.push(call('outputs', [{ text }], { outputs: { text } }));
  }
  const message = long(megabyte, ['\u0085', 'log ', '\r\n', '}::']);
  cases.push(call('logger.info', [message], { logs: [{ level: 'INFO', message }] }));
  return cases;
}

/**
 * The corpus for `seed`: the fixed cases, then `size` random ones. Each case is
 * `{ method, args, expected }`, `expected` being the frame in JSON's own terms
 * (`JSON.parse(JSON.stringify(frame))`, so -0 is 0).
 */
export function buildCorpus({ seed = DEFAULT_SEED, size = FULL_SIZE } = {}) {
  const draw = new Draw(seed);
  const cases = fixedCases(draw);
  const kinds = [
    [0.3, outputsCase],
    [0.25, metricCase],
    [0.25, logCase],
    [0.12, sendCase],
    [0.08, assetsCase],
  ];
  for (let index = 0; index < size; index += 1) {
    let roll = draw.next();
    const [, make] = kinds.find(([share]) => (roll -= share) < 0) ?? kinds[0];
    cases.push(make(draw));
  }
  return cases;
}
