// Public typings of kestra-wasm, written to match the runtime checks of the package.

/** Tag values; numbers and booleans are sent as strings. */
export type MetricTags = Record<string, string | number | boolean>;

/** The logger of `Kestra.logger()`: arguments are joined as `console.log` joins them. */
export interface KestraLogger {
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Assets a task read and wrote. */
export interface KestraAssets {
  inputs?: Array<{ id: string; type: string }>;
  outputs?: Array<{
    id: string;
    type: string;
    namespace?: string;
    displayName?: string;
    description?: string;
    metadata?: Record<string, unknown>;
  }>;
}

/** Sends outputs, metrics, logs and assets from a script task to Kestra (one stdout line each). */
export declare class Kestra {
  private constructor();
  /** Formats `map` as one protocol line, `::{json}::`, without printing it. */
  static format(map: object): string;
  /** Prints `map` as one protocol line. */
  static _send(map: object): void;
  /** Sends one metric. */
  static _metrics(
    name: string,
    type: 'counter' | 'timer' | 'gauge',
    value: number,
    tags?: MetricTags,
  ): void;
  /** Sends outputs: the keys become the task's `outputs.vars`. */
  static outputs(map: Record<string, unknown>): void;
  /** Sends a counter; the counters of a task add up. */
  static counter(name: string, value: number, tags?: MetricTags): void;
  /** Sends a timer of `seconds`. */
  static timer(name: string, seconds: number, tags?: MetricTags): void;
  /** Times `fn` until its Promise settles, sends the timer, and returns what `fn` returned. */
  static timer<T>(name: string, fn: () => PromiseLike<T>, tags?: MetricTags): Promise<T>;
  /** Times `fn`, sends the timer (also when `fn` throws) and returns its result. */
  static timer<T>(name: string, fn: () => T, tags?: MetricTags): T;
  /** Sends a gauge; the last value of a task wins. */
  static gauge(name: string, value: number, tags?: MetricTags): void;
  /** Sends assets. */
  static assets(map: KestraAssets): void;
  /** The logger, one protocol line per call. */
  static logger(): KestraLogger;
  /**
   * The task's execution context (inputs, outputs of earlier tasks, labels, flow, execution,
   * task run...), read once; throws a `KestraError` outside a task with `executionContext`.
   */
  static context(): Record<string, unknown>;
  /**
   * Reads a Kestra internal-storage file (Ion text, one value per line): a path in Node,
   * Deno and Bun, or the file's bytes anywhere. Date-times become `Date`s (UTC when the file
   * gives no offset), integers beyond 2^53 `BigInt`s, blobs `Uint8Array`s.
   */
  static read(pathOrBytes: string | Uint8Array | ArrayBuffer): unknown[];
}

/** Options of `new Flow(options)`. */
export interface FlowOptions {
  /** Wait for the execution to end (default `true`). */
  waitForCompletion?: boolean;
  /** Seconds between two status checks while waiting (default `1`). */
  pollInterval?: number;
  /** Add one `key:value` label per non-file input (default `false`). */
  labelsFromInputs?: boolean;
  /** Tenant id (default `"main"`); `null` selects the tenant-less routes of Kestra ≤ 0.22. */
  tenant?: string | null;
  /** Base URL of the server (default `KESTRA_HOSTNAME`, else `http://localhost:8080`). */
  hostname?: string;
  /** Basic-auth user (default `KESTRA_USER`). */
  user?: string | null;
  /** Basic-auth password (default `KESTRA_PASSWORD`). */
  password?: string | null;
  /** API token sent as `Bearer`, winning over basic auth (default `KESTRA_API_TOKEN`). */
  apiToken?: string | null;
  /** Replaces the timer used between retries and polls. */
  sleep?: (seconds: number) => Promise<void> | void;
}

/** A file input: uploaded as a file part named after the input. */
export type FileInput =
  | Blob
  | ArrayBuffer
  | ArrayBufferView
  | [filename: string, data: Blob | ArrayBuffer | ArrayBufferView, contentType: string];

/** A value of `Flow.execute` inputs; `null` and `undefined` are left out. */
export type InputValue =
  | string
  | number
  | boolean
  | bigint
  | Date
  | FileInput
  | null
  | undefined
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** What `Flow.execute` resolves to. */
export interface FlowExecution {
  /** Id of the created execution. */
  executionId: string;
  /** Final state (`SUCCESS`, `FAILED`, ...), or `STARTED` when not waiting. */
  status: string;
  /** The execution's log as plain text once it has ended, else `null`. */
  log: string | null;
  /** Why the execution did not succeed (`FAILED`, `KILLED`, `CANCELLED`), or `null`. */
  error: string | null;
  /** The flow's outputs once it has ended, else `null`. */
  outputs: Record<string, unknown> | null;
}

/** Triggers executions of Kestra flows and reads their status and logs. */
export declare class Flow {
  constructor(options?: FlowOptions);
  /** Base URL of the Kestra server. */
  get hostname(): string;
  set hostname(value: string);
  /** Basic-auth user, or `null`. */
  get user(): string | null;
  set user(value: string | null);
  /** Basic-auth password, or `null`. */
  get password(): string | null;
  set password(value: string | null);
  /** API token, or `null`. */
  get apiToken(): string | null;
  set apiToken(value: string | null);
  get waitForCompletion(): boolean;
  set waitForCompletion(value: boolean);
  get pollInterval(): number;
  set pollInterval(value: number);
  get labelsFromInputs(): boolean;
  set labelsFromInputs(value: boolean);
  /** The tenant, or `null` for the tenant-less routes. */
  get tenant(): string | null;
  set tenant(value: string | null | undefined);
  /** One request with credentials and retries; resolves to the host's `Response`. */
  _makeRequest(method: string, url: string, init?: RequestInit): Promise<Response>;
  /** `GET` of the execution; resolves to the host's `Response` (JSON body). */
  checkStatus(executionId: string): Promise<Response>;
  /** `GET` of the execution's plain-text log; resolves to the host's `Response`. */
  getLogs(executionId: string): Promise<Response>;
  /** Creates an execution and, unless `waitForCompletion` is false, waits for its end. */
  execute(
    namespace: string,
    flowId: string,
    inputs?: Record<string, InputValue>,
  ): Promise<FlowExecution>;
  /** Releases the WebAssembly memory of this object at once (it is also garbage-collected). */
  free(): void;
}

/** Base class of every error this package throws about a Kestra request. */
export declare class KestraError extends Error {
  constructor(message?: string, fields?: Record<string, unknown>);
  /** The URL of the request, when there was one. */
  url?: string;
  /** The body of the answer, when it was read. */
  body?: string;
  /** Set when an execution ended but its log could not be read. */
  executionId?: string;
  /** The status of the answer, or the execution's state when its log could not be read. */
  status?: number | string;
  /** The flow outputs of an ended execution whose log could not be read. */
  outputs?: Record<string, unknown> | null;
}

/** Kestra answered with an error status. */
export declare class HttpError extends KestraError {
  /** The HTTP status. */
  status: number;
  /** The body of the answer, as text. */
  body: string;
  url: string;
}

/** Kestra answered 401: the credentials are missing or wrong. */
export declare class AuthenticationError extends HttpError {}

/** Every attempt of a request was answered with a retryable status. */
export declare class FailedExponentialBackoff extends KestraError {
  /** The status of the last attempt. */
  status: number;
  /** How many attempts were made. */
  attempts: number;
  url: string;
}
