// The demo: starts the local Kestra-compatible server with the flows of examples/flows/,
// runs examples/node/trigger.mjs against it, and stops the server.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startEmulator } from '../tests/support/emulator.mjs';

const server = await startEmulator();
console.log(`Local Kestra-compatible server on ${server.url}`);

const trigger = spawn(process.execPath, [join(ROOT, 'examples', 'node', 'trigger.mjs')], {
  env: { ...process.env, KESTRA_HOSTNAME: server.url },
  stdio: 'inherit',
});
const code = await new Promise((resolve) => {
  trigger.once('exit', (exitCode) => resolve(exitCode ?? 1));
});

await server.stop();
process.exit(code);
