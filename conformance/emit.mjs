// Emits the conformance corpus through the package, the way a script task would.
//
//   node conformance/emit.mjs EXPECTATIONS [SIZE] [SEED]
//
// Writes the expected frame of each call to EXPECTATIONS (one JSON text a line), then makes
// the calls in the same order, so stdout carries exactly one protocol line per call.

import { writeFileSync } from 'node:fs';
import { Kestra } from 'kestra-wasm';
import { buildCorpus, DEFAULT_SEED, FULL_SIZE } from './corpus.mjs';

const [expectationsPath, size = FULL_SIZE, seed = DEFAULT_SEED] = process.argv.slice(2);
if (!expectationsPath) {
  console.error('usage: node conformance/emit.mjs EXPECTATIONS [SIZE] [SEED]');
  process.exit(2);
}

const corpus = buildCorpus({ seed: Number(seed), size: Number(size) });

// JSON.stringify escapes lone surrogates, so the file is valid UTF-8 whatever the corpus holds.
const expectations = corpus.map(({ method, expected }) => JSON.stringify({ method, expected }));
writeFileSync(expectationsPath, `${expectations.join('\n')}\n`);

const logger = Kestra.logger();
for (const { method, args } of corpus) {
  if (method.startsWith('logger.')) {
    logger[method.slice('logger.'.length)](...args);
  } else {
    Kestra[method](...args);
  }
}
