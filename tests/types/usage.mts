// Compiled by the typings test: the README's examples must type-check, misuse must not.

import {
  Kestra,
  Flow,
  KestraError,
  HttpError,
  AuthenticationError,
  FailedExponentialBackoff,
  ForbiddenError,
  NotFoundError,
  InputValidationError,
  TimeoutError,
  AbortError,
  fileFromPath,
  type FlowExecution,
  type LogEntry,
} from 'kestra-wasm';

Kestra.outputs({ rows: 42, table: { name: 'orders' } });
Kestra.counter('rows', 42, { env: 'prod' });
Kestra.counter('rows', 42);
Kestra.gauge('lag', 0.5);
Kestra.timer('load', 1.25);
const parsed: string[] = Kestra.timer('parse', () => ['a', 'b']);
const uploaded: Promise<number> = Kestra.timer('upload', async () => 3);
Kestra.assets({ inputs: [{ id: 'orders', type: 'TABLE' }], outputs: [] });
Kestra._metrics('rows', 'counter', 1);
const line: string = Kestra.format({ outputs: { a: 1 } });
const rows: unknown[] = Kestra.read(new Uint8Array());
const context: Record<string, unknown> = Kestra.context();
void [rows, context];

const logger = Kestra.logger();
logger.info('counted', parsed.length, 'rows');
logger.warn(new Error('slow source'));

// @ts-expect-error: counter values are numbers
Kestra.counter('rows', '42');
// @ts-expect-error: tag values are strings, numbers or booleans
Kestra.counter('rows', 1, { nested: {} });
// @ts-expect-error: there is no such logger method
logger.fatal('x');
// @ts-expect-error: metric types are counter, timer or gauge
Kestra._metrics('rows', 'histogram', 1);

async function run(): Promise<void> {
  const flow = new Flow();
  flow.user = 'admin@kestra.io';
  flow.password = 'Admin1234';
  flow.apiToken = null;
  const configured = new Flow({ pollInterval: 0.5, tenant: null, hostname: 'http://h:8080' });
  // @ts-expect-error: the hostname is a string
  configured.hostname = 42;

  const execution: FlowExecution = await flow.execute('company.team', 'hello', {
    name: 'World',
    count: 3,
    when: new Date(),
    data: new File(['a,b'], 'orders.csv', { type: 'text/csv' }),
    bytes: new Uint8Array([1]),
    triple: ['a.json', new Blob(['{}']), 'application/json'],
  });
  const status: string = execution.status;
  const log: string | null = execution.log;
  const response: Response = await flow.checkStatus(execution.executionId);
  await flow.getLogs(execution.executionId);
  await flow._makeRequest('GET', 'http://h/api/v1/main/executions/1');
  void [status, log, response, line, uploaded];

  const controller = new AbortController();
  const watched = await new Flow({ retries: 2, backoff: 0.5, timeout: 600 }).execute(
    'company.team',
    'hello',
    { report: await fileFromPath('/data/report.csv', { contentType: 'text/csv' }) },
    {
      labels: { team: 'data', attempt: 2, dry: false },
      revision: 3,
      scheduleDate: new Date(),
      wait: true,
      timeout: 30,
      signal: controller.signal,
      killOnAbort: true,
      onState: (state: string, json) => console.log(state, json.id),
      onLog: (entry: LogEntry) => console.log(entry.level, entry.message, entry.taskId),
    },
  );
  const labels: Record<string, string> = watched.labels;
  const page: string = watched.url;
  const state: string | undefined = watched.execution.state?.current;
  void [labels, page, state];
  // @ts-expect-error: label values are strings, numbers or booleans
  await flow.execute('ns', 'f', {}, { labels: { team: ['a'] } });
  // @ts-expect-error: the signal is an AbortSignal
  await flow.execute('ns', 'f', {}, { signal: controller });
  // @ts-expect-error: fileFromPath takes a path
  await fileFromPath(new Uint8Array([1]));

  try {
    await flow.execute('ns', 'f');
  } catch (error) {
    if (error instanceof TimeoutError) console.log(error.executionId, error.state, error.timeout);
    else if (error instanceof AbortError) console.log(error.executionId, error.killed);
    else if (error instanceof InputValidationError) console.log(error.serverMessage);
    else if (error instanceof NotFoundError) console.log(error.url);
    else if (error instanceof ForbiddenError) console.log(error.method);
    else if (error instanceof AuthenticationError) console.log(error.status, error.body);
    else if (error instanceof HttpError) console.log(error.status, error.url);
    else if (error instanceof FailedExponentialBackoff) console.log(error.attempts);
    else if (error instanceof KestraError) console.log(error.message);
  }
}

void run;
