// Bun: starts examples.hello without waiting, then waits for it with a deadline of its own.
//
//   bun add kestra-wasm
//   KESTRA_HOSTNAME=http://localhost:8080 bun examples/bun/trigger.ts

import { Flow, AbortError, NotFoundError } from 'kestra-wasm';

const flow = new Flow({ retries: 3, backoff: 0.5 });

try {
  // `signal` cancels the wait; `killOnAbort` also kills the execution on the server.
  const result = await flow.execute(
    'examples',
    'hello',
    { name: 'Bun', data: new Blob(['id,amount\n1,10\n'], { type: 'text/csv' }) },
    { signal: AbortSignal.timeout(60_000), killOnAbort: true, labels: { runtime: 'bun' } },
  );
  console.log(result.status, result.labels, result.outputs);
  if (result.error) console.error(result.error);
} catch (error) {
  if (error instanceof AbortError) console.error(`Aborted; killed: ${error.killed}`);
  else if (error instanceof NotFoundError) console.error('No flow examples.hello on this server');
  else throw error;
}
