// The output maps sent by the emission cases, built the same way in every process.

// JSON sizes the `1k` and `100k` maps reach, counting the braces.
const SIZES = { '1k': 1024, '100k': 100 * 1024 };

// One field of a larger map: strings, numbers, booleans and a nested record in turn, so the
// JSON is not one long run of a single kind of value.
function field(i) {
  switch (i % 4) {
    case 0:
      return `row ${i} of the orders table`;
    case 1:
      return i * 1.5;
    case 2:
      return i % 3 === 0;
    default:
      return { id: i, name: `customer-${i}`, tags: ['eu', 'retail'] };
  }
}

/** The map of a case: `small` (3 keys), `1k` or `100k` (about that many bytes of JSON). */
export function makeObject(kind) {
  if (kind === 'small') {
    return { rows: 42, table: 'orders', ok: true };
  }
  const size = SIZES[kind];
  if (size === undefined) {
    throw new Error(`unknown object '${kind}'`);
  }
  const map = {};
  let length = 2;
  for (let i = 0; length < size; i++) {
    const key = `field_${i}`;
    map[key] = field(i);
    // `"key":value` plus the comma before every field but the first.
    length += JSON.stringify(key).length + 1 + JSON.stringify(map[key]).length + (i > 0 ? 1 : 0);
  }
  return map;
}
