// Kestra.read: Kestra's internal-storage files (Ion text) as plain values, from a path or
// from bytes, converted as the Python client converts them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kestra, KestraError } from 'kestra-wasm';

const fixture = (name) => fileURLToPath(new URL(`data/ion/${name}`, import.meta.url));

/** Reads a fixture both ways and checks that they agree. */
function readBothWays(name) {
  const fromPath = Kestra.read(fixture(name));
  const bytes = readFileSync(fixture(name));
  assert.deepEqual(Kestra.read(new Uint8Array(bytes)), fromPath);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  assert.deepEqual(Kestra.read(copy), fromPath);
  return fromPath;
}

test('a struct with a list', () => {
  assert.deepEqual(readBothWays('basic.ion'), [{ key: 'value', list: [1, 2, 3] }]);
});

test('LocalDateTime values become Dates (a date-time without offset is read as UTC)', () => {
  const [row] = readBothWays('datetime.ion');
  assert.ok(row.start_date instanceof Date);
  assert.equal(row.start_date.toISOString(), '2024-04-21T13:43:24.340Z');
  assert.equal(row.end_date.toISOString(), '2024-04-21T13:43:33.992Z');
});

test('ISO-8601 strings with offsets become Dates at the right instant', () => {
  const rows = readBothWays('iso_8601.ion').map((row) => row.iso_8601_column.toISOString());
  assert.deepEqual(rows, [
    '2023-12-31T23:59:59.000Z',
    '2023-10-04T13:30:00.000Z',
    '2023-10-04T13:30:00.123Z',
  ]);
});

test('decimals are numbers, nulls null, Ion dates Dates, digit strings stay strings', () => {
  const [steven, neena] = readBothWays('employees.ion');
  assert.equal(steven.employee_id, 100);
  assert.equal(steven.salary, 24000);
  assert.equal(steven.commission_pct, null);
  assert.equal(steven.hire_date.toISOString(), '1987-06-17T00:00:00.000Z');
  assert.equal(neena.manager_id, 100);
  assert.deepEqual(readBothWays('not_datetime.ion'), [{ not_datetime_column: '931811085135341' }]);
});

test('an empty file gives an empty array', () => {
  assert.deepEqual(readBothWays('empty.ion'), []);
});

test('a corrupted file raises a SyntaxError with the position', () => {
  assert.throws(() => Kestra.read(fixture('corrupted.ion')), (error) => {
    assert.ok(error instanceof SyntaxError);
    assert.match(error.message, /corrupted\.ion: .*line 1, column \d+/);
    return true;
  });
});

test('bad arguments and missing files are named', () => {
  assert.throws(() => Kestra.read(42), /expects a file path, or the file's bytes/);
  assert.throws(() => Kestra.read(fixture('nope.ion')), (error) => {
    assert.ok(error instanceof KestraError);
    assert.match(error.message, /nope\.ion does not exist/);
    return true;
  });
  assert.throws(() => Kestra.read(new Uint8Array([0xff, 0xfe])), /not UTF-8 text/);
});

test('big integers become BigInts, blobs bytes', () => {
  const bytes = new TextEncoder().encode('{n: 123456789012345678901, b: {{aGk=}}, s: sym}');
  const [row] = Kestra.read(bytes);
  assert.equal(row.n, 123456789012345678901n);
  assert.deepEqual([...row.b], [104, 105]);
  assert.equal(row.s, 'sym');
});

test('a __proto__ field stays an own field', () => {
  const bytes = new TextEncoder().encode('{__proto__: {polluted: 1}, b: 2}\n{"__proto__": 5}');
  const [first, second] = Kestra.read(bytes);
  assert.equal(Object.getPrototypeOf(first), Object.prototype);
  assert.equal(first.polluted, undefined);
  assert.deepEqual(Object.keys(first), ['__proto__', 'b']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(second, '__proto__').value, 5);
});
