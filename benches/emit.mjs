// One emission measurement, run by run.mjs as a child process whose stdout is a file:
//   node emit.mjs <contender> <case> <warm-up lines> <measured lines> <result file>
// Prints the lines, then writes {"seconds": ...} for the measured loop to the result file.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { makeObject } from './objects.mjs';

const [contender, caseName, warmArg, linesArg, resultFile] = process.argv.slice(2);
const warm = Number(warmArg);
const lines = Number(linesArg);

// Each contender gets the same three calls; `bare` writes the very line the libraries write,
// with nothing else around console.log.
async function load(name) {
  if (name === 'kestra-wasm') {
    const { Kestra } = await import('kestra-wasm');
    return Kestra;
  }
  if (name === 'libs') {
    return (await import('@kestra-io/libs')).default;
  }
  if (name === 'bare') {
    const send = (message) => console.log('::' + JSON.stringify(message) + '::');
    return {
      outputs: (map) => send({ outputs: map }),
      counter: (name, value, tags) =>
        send({ metrics: [{ name, type: 'counter', value, tags: tags || {} }] }),
      logger: () => ({ info: (message) => send({ logs: [{ level: 'INFO', message }] }) }),
    };
  }
  throw new Error(`unknown contender '${name}'`);
}

// A case turns the client into a function that sends line number `i`.
const cases = {
  'outputs-small': (kestra) => {
    const map = makeObject('small');
    return () => kestra.outputs(map);
  },
  'outputs-1k': (kestra) => {
    const map = makeObject('1k');
    return () => kestra.outputs(map);
  },
  'outputs-100k': (kestra) => {
    const map = makeObject('100k');
    return () => kestra.outputs(map);
  },
  counter: (kestra) => (i) => kestra.counter('rows', i, { env: 'prod' }),
  'logger-info': (kestra) => {
    const logger = kestra.logger();
    return (i) => logger.info('message ' + i);
  },
};

if (!(caseName in cases)) {
  throw new Error(`unknown case '${caseName}'`);
}
const send = cases[caseName](await load(contender));

for (let i = 0; i < warm; i++) {
  send(i);
}
const started = performance.now();
for (let i = warm; i < warm + lines; i++) {
  send(i);
}
const seconds = (performance.now() - started) / 1000;

writeFileSync(resultFile, JSON.stringify({ seconds }));
