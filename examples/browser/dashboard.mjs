// Browser: a button that runs a flow and shows its state live. The Kestra server must allow
// this page's origin (micronaut.server.cors in Kestra's configuration).
//
// <script type="module" src="dashboard.mjs"></script> in a page with #run, #state and #log,
// the package served from node_modules or bundled (Vite, esbuild, webpack).

import { Flow, AuthenticationError, KestraError } from 'kestra-wasm';

const flow = new Flow({ hostname: 'http://localhost:8080', user: 'admin@kestra.io' });

/** Runs the flow with the password typed on the page and shows what happens. */
async function run() {
  const state = /** @type {HTMLElement} */ (document.querySelector('#state'));
  const log = /** @type {HTMLElement} */ (document.querySelector('#log'));
  const password = /** @type {HTMLInputElement} */ (document.querySelector('#password'));
  flow.password = password.value;
  log.textContent = '';

  try {
    const result = await flow.execute('examples', 'hello', { name: 'Browser' }, {
      timeout: 300,
      onState: (current) => {
        state.textContent = current;
      },
      onLog: (entry) => {
        log.textContent += `${entry.timestamp} ${entry.level} ${entry.message}\n`;
      },
    });
    state.textContent = `${result.status}: ${JSON.stringify(result.outputs)}`;
  } catch (error) {
    if (error instanceof AuthenticationError) state.textContent = 'Wrong user or password';
    else if (error instanceof KestraError) state.textContent = error.message;
    else throw error;
  }
}

document.querySelector('#run')?.addEventListener('click', () => void run());
