// Runs the flow examples.hello with a name and a CSV file, waits for its end, and prints
// the final state, the flow's outputs and the execution's log.
//
// The server comes from KESTRA_HOSTNAME (default http://localhost:8080), credentials from
// KESTRA_USER / KESTRA_PASSWORD or KESTRA_API_TOKEN.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Flow, KestraError, fileFromPath } from 'kestra-wasm';

const csvPath = new URL('../orders.csv', import.meta.url);
const csv = await readFile(csvPath);
const csvLines = csv.toString('utf8').split(/\r?\n/).filter((line) => line.length > 0);
const expectedRows = csvLines.length - 1;

const flow = new Flow({ pollInterval: 0.2 });
console.log(`Kestra server: ${flow.hostname}`);

let execution;
try {
  // The file is streamed from disk as the request is sent, whatever its size.
  const data = await fileFromPath(fileURLToPath(csvPath), { contentType: 'text/csv' });
  execution = await flow.execute('examples', 'hello', { name: 'Ada', data }, {
    labels: { source: 'demo' },
    timeout: 120,
    onState: (state) => console.log(`state: ${state}`),
  });
} catch (error) {
  const kind = error instanceof KestraError ? error.name : 'unexpected error';
  const message = error instanceof Error ? error.message : String(error);
  console.error(`The execution could not be run (${kind}): ${message}`);
  process.exit(1);
}

console.log(`Execution ${execution.executionId} ended ${execution.status}`);
console.log('Outputs:', JSON.stringify(execution.outputs, null, 2));
console.log('Logs:');
console.log(execution.log);

const problems = [];
if (execution.status !== 'SUCCESS') {
  problems.push(`the execution ended ${execution.status}: ${execution.error}`);
}
if (execution.outputs?.rows !== expectedRows) {
  problems.push(`outputs.rows is ${execution.outputs?.rows}, the CSV has ${expectedRows} rows`);
}
if (execution.outputs?.greeting !== 'Hello, Ada!') {
  problems.push(`outputs.greeting is ${JSON.stringify(execution.outputs?.greeting)}`);
}

if (problems.length > 0) {
  console.error(`Demo failed: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`Demo succeeded: the script counted ${expectedRows} rows.`);
