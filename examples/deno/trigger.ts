// Deno: runs examples.hello and prints its state changes and live logs.
//
//   deno add npm:kestra-wasm
//   KESTRA_HOSTNAME=http://localhost:8080 deno run --allow-env --allow-net --allow-read \
//     examples/deno/trigger.ts
//
// --allow-env lets the client read KESTRA_HOSTNAME and the credentials, --allow-read lets
// fileFromPath stream the CSV from disk.

import { Flow, KestraError, TimeoutError, fileFromPath } from 'kestra-wasm';

const flow = new Flow();
const csvPath = new URL('../orders.csv', import.meta.url).pathname;

try {
  const result = await flow.execute(
    'examples',
    'hello',
    { name: 'Deno', data: await fileFromPath(csvPath, { contentType: 'text/csv' }) },
    {
      timeout: 60,
      onState: (state) => console.log(`state: ${state}`),
      onLog: (entry) => console.log(`log: ${entry.level} ${entry.message}`),
    },
  );
  console.log(`${result.executionId} ended ${result.status}; outputs:`, result.outputs);
  console.log(`See it in Kestra: ${result.url}`);
} catch (error) {
  if (error instanceof TimeoutError) {
    console.error(`Still ${error.state} after ${error.timeout} s: ${error.executionId}`);
  } else if (error instanceof KestraError) {
    console.error(`${error.name}: ${error.message}`);
  } else {
    throw error;
  }
}
