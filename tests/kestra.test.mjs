// Kestra: every method's line matches Kestra's pattern and carries what was meant.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { format } from 'node:util';
import { Kestra } from 'kestra-wasm';

/**
 * Kestra's pattern `^::(\{.*})::$` in Java terms: `.` excludes \n, \r, U+0085, U+2028 and
 * U+2029 (JavaScript's `.` would let U+0085 through, so the class is spelled out).
 */
const KESTRA_PATTERN = /^::(\{[^\n\r\u0085\u2028\u2029]*\})::$/;

/** Runs `action` and returns the lines it printed with console.log. */
function linesOf(action) {
  const lines = [];
  const original = console.log;
  console.log = (...args) => lines.push(args.join(' '));
  try {
    action();
  } finally {
    console.log = original;
  }
  return lines;
}

/** The one frame printed by `action`, checked against the pattern and parsed. */
function frameOf(action) {
  const lines = linesOf(action);
  assert.equal(lines.length, 1, `expected one line, got ${JSON.stringify(lines)}`);
  const match = KESTRA_PATTERN.exec(lines[0]);
  assert.ok(match, `line does not match Kestra's pattern: ${lines[0]}`);
  return { line: lines[0], message: JSON.parse(match[1]) };
}

describe('frames', () => {
  test('format returns the line without printing it', () => {
    const lines = linesOf(() => {
      assert.equal(Kestra.format({ outputs: { a: 1 } }), '::{"outputs":{"a":1}}::');
    });
    assert.deepEqual(lines, []);
  });

  test('_send prints the formatted map', () => {
    const { line } = frameOf(() => Kestra._send({ outputs: { a: 'b' } }));
    assert.equal(line, '::{"outputs":{"a":"b"}}::');
  });

  test('outputs keep every value, numbers printed as JavaScript prints them', () => {
    const outputs = {
      int: 5.0,
      float: 0.1,
      big: 2 ** 53,
      tiny: 1e-7,
      huge: 1e21,
      negativeZero: -0,
      text: 'a "quoted" \\ text\twith\ncontrols\u0000\u001f\u007f',
      nested: { list: [1, 'two', null, true], deep: { deeper: {} } },
      emoji: '🚀 ünïcödé',
      colons: '::{"not":"a frame"}:: and }::',
    };
    const { line, message } = frameOf(() => Kestra.outputs(outputs));
    assert.ok(line.includes('"int":5,'));
    assert.ok(line.includes('"huge":1e+21'));
    assert.deepEqual(message, { outputs: { ...outputs, negativeZero: 0 } });
  });

  test('Java-only line terminators are escaped, so the line still matches', () => {
    const text = 'next\u0085line\u2028separator\u2029paragraph';
    const { line, message } = frameOf(() => Kestra.outputs({ text }));
    assert.ok(!/[\u0085\u2028\u2029]/.test(line));
    assert.ok(line.includes('\\u0085') && line.includes('\\u2028') && line.includes('\\u2029'));
    assert.equal(message.outputs.text, text);
  });

  test('lone surrogates are escaped by JSON.stringify and survive', () => {
    const text = 'a\ud800b\udfffc';
    const { message } = frameOf(() => Kestra.outputs({ text }));
    assert.equal(message.outputs.text, text);
  });

  test('assets are sent under assets', () => {
    const assets = {
      inputs: [{ id: 'orders', type: 'TABLE' }],
      outputs: [{ id: 'report', type: 'FILE', namespace: 'company.team' }],
    };
    const { message } = frameOf(() => Kestra.assets(assets));
    assert.deepEqual(message, { assets });
  });

  test('what is not an object is refused and nothing is printed', () => {
    for (const bad of [null, undefined, 42, 'text', [1, 2], () => 1]) {
      const lines = linesOf(() => {
        assert.throws(() => Kestra.outputs(bad), TypeError);
        assert.throws(() => Kestra.format(bad), TypeError);
        assert.throws(() => Kestra._send(bad), TypeError);
        assert.throws(() => Kestra.assets(bad), TypeError);
      });
      assert.deepEqual(lines, []);
    }
  });

  test('what does not write itself as a JSON object is refused', () => {
    const lines = linesOf(() => {
      for (const bad of [
        new Number(5),
        new String('a'),
        new Date(Number.NaN),
        { toJSON: () => [1] },
        { toJSON: () => 5 },
      ]) {
        assert.throws(() => Kestra._send(bad), TypeError);
        assert.throws(() => Kestra.format(bad), TypeError);
        assert.throws(() => Kestra.outputs(bad), TypeError);
        assert.throws(() => Kestra.assets(bad), TypeError);
      }
    });
    assert.deepEqual(lines, []);
  });

  test('hostile values give TypeErrors, and the logger never throws on them', () => {
    const throwing = {
      get a() {
        throw new Error('getter boom');
      },
    };
    const odd = new Error('m');
    odd.message = 42;
    odd.name = Symbol('name');
    const lines = linesOf(() => {
      assert.throws(() => Kestra.outputs(throwing), TypeError);
      assert.throws(() => Kestra.counter('c', 1, throwing), /tags could not be read/);
      assert.throws(() => Kestra.outputs({ toJSON() { throw odd; } }), TypeError);
      Kestra.logger().error(odd);
      Kestra.logger().info(throwing);
    });
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, KESTRA_PATTERN);
  });

  test('values JSON.stringify would change silently are mapped or refused', () => {
    const mapped = frameOf(() => Kestra.outputs({
      big: 12345678901234567890123n,
      negative: -5n,
      map: new Map([['a', 1], ['b', new Map([['c', true]])]]),
      set: new Set(['x', 'y']),
      bytes: new Uint8Array([1, 2, 255]),
      floats: new Float64Array([0.5, -1]),
      wide: new BigInt64Array([-(2n ** 63n)]),
      when: new Date(Date.UTC(2026, 0, 5)),
      custom: { toJSON: () => ({ kept: 'yes' }) },
      skipped: undefined,
      fn: () => 1,
      holes: [undefined, () => 1, Symbol('s')],
      nothing: null,
      empty: {},
    }));
    assert.ok(mapped.line.includes('"big":12345678901234567890123,'), mapped.line);
    assert.ok(mapped.line.includes('"wide":[-9223372036854775808]'), mapped.line);
    assert.deepEqual(mapped.message.outputs, {
      big: 12345678901234567890123,
      negative: -5,
      map: { a: 1, b: { c: true } },
      set: ['x', 'y'],
      bytes: [1, 2, 255],
      floats: [0.5, -1],
      wide: [-9223372036854775808],
      when: '2026-01-05T00:00:00.000Z',
      custom: { kept: 'yes' },
      holes: [null, null, null],
      nothing: null,
      empty: {},
    });
  });

  test('what JSON cannot carry is refused with the path of the bad value', () => {
    const circular = { rows: [] };
    circular.rows.push({ parent: circular });
    const cases = [
      [
        { rows: [1, 2, 3, { when: new Date(Number.NaN) }] },
        /outputs\.rows\[3\]\.when is an invalid Date/,
      ],
      [{ ratio: Number.NaN }, /outputs\.ratio is NaN, which JSON cannot carry/],
      [{ list: [Infinity] }, /outputs\.list\[0\] is Infinity/],
      [{ 'a key': -Infinity }, /outputs\["a key"\] is -Infinity/],
      [{ floats: new Float32Array([1, Number.NaN]) }, /outputs\.floats\[1\] is NaN/],
      [circular, /outputs\.rows\[0\]\.parent refers back to outputs: a circular structure/],
      [{ map: new Map([[1, 'one']]) }, /outputs\.map is a Map with a key that is not a string/],
      [{ buffer: new ArrayBuffer(4) }, /outputs\.buffer is an ArrayBuffer, which has no JSON form/],
      [{ pattern: /x/ }, /outputs\.pattern is a RegExp/],
      [{ failure: new Error('x') }, /outputs\.failure is an Error/],
      [{ pending: Promise.resolve(1) }, /outputs\.pending is a Promise/],
      [{ nested: { boxed: new Number(Number.NaN) } }, /outputs\.nested\.boxed is NaN/],
      [{ bad: { toJSON() { throw new Error('nope'); } } }, /outputs\.bad: toJSON threw: nope/],
    ];
    for (const [value, expected] of cases) {
      const lines = linesOf(() => {
        assert.throws(() => Kestra.outputs(value), (error) => {
          assert.ok(error instanceof TypeError, String(error));
          assert.match(error.message, expected);
          assert.match(error.message, /^Kestra\.outputs: /);
          return true;
        });
      });
      assert.deepEqual(lines, [], String(expected));
    }
  });

  test('very deep values give a TypeError, and the module keeps working', () => {
    let deep = 1;
    for (let level = 0; level < 100000; level += 1) deep = [deep];
    const lines = linesOf(() => {
      assert.throws(() => Kestra.outputs({ deep }), (error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, /^Kestra\.outputs: outputs\.deep(\[0\])+ is nested deeper/);
        return true;
      });
    });
    assert.deepEqual(lines, []);
    const big = 'y'.repeat(1_000_000);
    const { message } = frameOf(() => Kestra.outputs({ big, separator: '\u2028' }));
    assert.equal(message.outputs.big.length, 1_000_000);
  });

  test('boxed BigInts, empty class instances and detached buffers are handled', () => {
    const { message } = frameOf(() => Kestra.outputs({ d: [{ e: Object(5n) }] }));
    assert.deepEqual(message.outputs, { d: [{ e: 5 }] });

    const generator = (function* numbers() {})();
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    const cases = [
      [{ g: generator }, /outputs\.g is an object of another class with no enumerable/],
      [{ f: new Intl.NumberFormat() }, /outputs\.f is an instance of NumberFormat/],
      [{ t: { toJSON: () => new Date() } }, /outputs\.t is an instance of Date/],
      [{ a: view }, /Kestra\.outputs: outputs\.a could not be read/],
    ];
    for (const [value, expected] of cases) {
      assert.throws(() => linesOf(() => Kestra.outputs(value)), expected);
    }
  });

  test('a legitimate null or empty object is sent as it is', () => {
    const { message } = frameOf(() => Kestra.outputs({ a: null, b: {}, c: 'null {} {"0":' }));
    assert.deepEqual(message.outputs, { a: null, b: {}, c: 'null {} {"0":' });
  });
});

describe('metrics', () => {
  test('_metrics sends one metric with tags always present', () => {
    const { message } = frameOf(() => Kestra._metrics('rows', 'counter', 3));
    assert.deepEqual(message, { metrics: [{ name: 'rows', type: 'counter', value: 3, tags: {} }] });
  });

  test('counter, gauge and timer with tag values sent as strings', () => {
    const tags = { env: 'prod', shard: 7, primary: true };
    const expectedTags = { env: 'prod', shard: '7', primary: 'true' };
    for (const [method, type, value] of [
      ['counter', 'counter', 42],
      ['gauge', 'gauge', -0.5],
      ['timer', 'timer', 1.25],
    ]) {
      const { message } = frameOf(() => Kestra[method]('m', value, tags));
      assert.deepEqual(message, { metrics: [{ name: 'm', type, value, tags: expectedTags }] });
    }
  });

  test('a __proto__ tag stays a tag, on the fast path and the checked one', () => {
    const tags = JSON.parse('{"__proto__": "x", "n": 1}');
    const expected = [['__proto__', 'x'], ['n', '1']];
    const fast = frameOf(() => Kestra.counter('c', 1, tags));
    assert.deepEqual(Object.entries(fast.message.metrics[0].tags), expected);
    const timed = frameOf(() => Kestra.timer('t', () => 0, tags));
    assert.deepEqual(Object.entries(timed.message.metrics[0].tags), expected);
  });

  test('timer with a function returns its result and sends the seconds it took', () => {
    let result;
    const { message } = frameOf(() => {
      result = Kestra.timer('work', () => {
        const until = performance.now() + 30;
        while (performance.now() < until);
        return 'done';
      });
    });
    assert.equal(result, 'done');
    const [metric] = message.metrics;
    assert.equal(metric.type, 'timer');
    assert.ok(metric.value >= 0.03 && metric.value < 5, `seconds: ${metric.value}`);
  });

  test('timer with a throwing function sends the metric, then rethrows', () => {
    const failure = new Error('boom');
    const { message } = frameOf(() => {
      assert.throws(() => Kestra.timer('work', () => {
        throw failure;
      }), (error) => error === failure);
    });
    assert.equal(message.metrics[0].name, 'work');
  });

  test('timer with an async function times until the promise settles', async () => {
    const lines = [];
    const original = console.log;
    console.log = (line) => lines.push(line);
    try {
      const slowSeven = () => new Promise((resolve) => setTimeout(() => resolve(7), 50));
      const pending = Kestra.timer('wait', slowSeven);
      assert.ok(pending instanceof Promise);
      assert.equal(lines.length, 0);
      assert.equal(await pending, 7);

      const rejection = new Error('late');
      await assert.rejects(
        Kestra.timer('fail', async () => {
          throw rejection;
        }),
        (error) => error === rejection,
      );
    } finally {
      console.log = original;
    }

    assert.equal(lines.length, 2);
    const metricOf = (line) => JSON.parse(KESTRA_PATTERN.exec(line)[1]).metrics[0];
    const [waited, failed] = lines.map(metricOf);
    assert.equal(waited.name, 'wait');
    assert.ok(waited.value >= 0.045, `seconds: ${waited.value}`);
    assert.equal(failed.name, 'fail');
  });

  test('bad metrics are refused with a clear TypeError and print nothing', () => {
    const lines = linesOf(() => {
      assert.throws(() => Kestra.counter('', 1), /non-empty/);
      assert.throws(() => Kestra.counter(7, 1), /name must be a string/);
      assert.throws(() => Kestra.counter('c', '1'), /must be a number/);
      assert.throws(() => Kestra.counter('c', Number.NaN), /finite/);
      assert.throws(() => Kestra.gauge('g', Infinity), /finite/);
      assert.throws(() => Kestra.timer('t', -1), /zero or more/);
      assert.throws(() => Kestra.counter('c', 1, { bad: {} }), /tag 'bad'/);
      assert.throws(() => Kestra.counter('c', 1, 'env=prod'), /tags must be a plain object/);
      assert.throws(() => Kestra.counter('c', 1, new Map([['k', 'v']])), /tags must be a plain/);
      assert.throws(() => Kestra._metrics('c', 'histogram', 1), /type must be/);
      let ran = false;
      assert.throws(() => Kestra.timer('t', () => {
        ran = true;
      }, { bad: [] }), TypeError);
      assert.equal(ran, false, 'the function must not run when its timer cannot be sent');
    });
    assert.deepEqual(lines, []);
  });
});

describe('logger', () => {
  test('each level is sent with its own Kestra level', () => {
    const logger = Kestra.logger();
    assert.equal(Kestra.logger(), logger, 'the logger is reused');
    for (const [method, level] of [
      ['trace', 'TRACE'],
      ['debug', 'DEBUG'],
      ['info', 'INFO'],
      ['warn', 'WARN'],
      ['error', 'ERROR'],
    ]) {
      const { message } = frameOf(() => logger[method](`a ${method} message`));
      assert.deepEqual(message, { logs: [{ level, message: `a ${method} message` }] });
    }
  });

  test('arguments are joined like console.log, multi-line messages stay one line', () => {
    const failure = new Error('broken');
    const args = ['rows: %d of %s', 3, 'many', { a: [1] }, null, new Map([['k', 1n]]), failure];
    const { message } = frameOf(() => Kestra.logger().warn(...args));
    const text = message.logs[0].message;
    assert.equal(text, format(...args));
    assert.ok(text.startsWith('rows: 3 of many { a: [ 1 ] } null Map(1) { \'k\' => 1n } Error'));
    assert.ok(text.includes('\n    at '), 'the stack is kept');
  });
});

test('a real script prints every line on stdout and nothing on stderr', () => {
  const script = `
    const { Kestra } = require('kestra-wasm');
    Kestra.outputs({ rows: 3 });
    Kestra.counter('rows', 3);
    Kestra.timer('load', 0.5);
    Kestra.gauge('lag', 1);
    Kestra.assets({ inputs: [], outputs: [] });
    const logger = Kestra.logger();
    logger.trace('t'); logger.debug('d'); logger.info('i'); logger.warn('w'); logger.error('e');
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = run.stdout.split('\n').filter((line) => line.length > 0);
  assert.equal(lines.length, 10);
  for (const line of lines) assert.match(line, KESTRA_PATTERN);
  const levels = lines.slice(5).map((line) => JSON.parse(line.slice(2, -2)).logs[0].level);
  assert.deepEqual(levels, ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);
});
