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
  /** Seconds between two status reads when the follow stream is unavailable (default `1`). */
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
  /** Retries of a failed idempotent request, 0 to 100 (default `5`). */
  retries?: number;
  /** Seconds before the first retry; each next wait doubles (default `1`: 1, 2, 4, 8, 16). */
  backoff?: number;
  /** Default `timeout` of `execute`, in seconds (default `null`: no limit). */
  timeout?: number | null;
  /** Replaces the timer used between retries and polls. */
  sleep?: (seconds: number) => Promise<void> | void;
}

/** A log entry of an execution, as Kestra stores it. */
export interface LogEntry {
  /** `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`. */
  level: string;
  /** The message. */
  message: string;
  /** ISO-8601 instant. */
  timestamp: string;
  /** Id of the task that logged it, when a task did. */
  taskId?: string;
  /** Id of the task run that logged it, when a task did. */
  taskRunId?: string;
  executionId?: string;
  namespace?: string;
  flowId?: string;
  [field: string]: unknown;
}

/** Kestra's execution JSON, as the server sent it. */
export interface ExecutionJson {
  id: string;
  namespace?: string;
  flowId?: string;
  state?: { current: string; histories?: { state: string; date: string }[] };
  labels?: { key: string; value: string }[];
  outputs?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Options of one `Flow.execute` call. */
export interface ExecuteOptions {
  /** Execution labels; keys must match Kestra's `^[\p{Ll}][\p{L}0-9._-]*$`. */
  labels?: Record<string, string | number | boolean>;
  /** Flow revision to run (default: the latest). */
  revision?: number;
  /** When to start the execution: a `Date` or an ISO date-time with a zone. */
  scheduleDate?: Date | string;
  /** Wait for the end; overrides the Flow's `waitForCompletion`. */
  wait?: boolean;
  /** Seconds to wait for the end before rejecting with `TimeoutError` (`null`: no limit). */
  timeout?: number | null;
  /** Rejects with `AbortError` when aborted. */
  signal?: AbortSignal;
  /** Kill the execution on the server when the call times out or is aborted. */
  killOnAbort?: boolean;
  /** Called with each new state seen while waiting, and the execution JSON. */
  onState?: (state: string, execution: ExecutionJson) => void | Promise<unknown>;
  /** Called with each log entry as the execution writes it. */
  onLog?: (entry: LogEntry) => void | Promise<unknown>;
}

/** Options of `fileFromPath`. */
export interface FileFromPathOptions {
  /** File name sent to Kestra (default: the path's last part). */
  filename?: string;
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
}

/** A file input: uploaded as a file part named after the input. */
export type FileInput =
  | PathFile
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
  /** Final state (`SUCCESS`, `FAILED`, ...), or the created state when not waiting. */
  status: string;
  /** The execution's log as plain text once it has ended, else `null`. */
  log: string | null;
  /**
   * Why the execution did not succeed (`FAILED`, `KILLED`, `CANCELLED`): the failing task
   * ids and their last ERROR messages; else `null`.
   */
  error: string | null;
  /** The flow's outputs once it has ended, else `null`. */
  outputs: Record<string, unknown> | null;
  /** The execution's labels, key to value. */
  labels: Record<string, string>;
  /** The execution's page in Kestra's UI. */
  url: string;
  /** The last execution JSON the server sent. */
  execution: ExecutionJson;
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
  get retries(): number;
  set retries(value: number);
  get backoff(): number;
  set backoff(value: number);
  get timeout(): number | null;
  set timeout(value: number | null);
  /** One request with credentials (retried when idempotent); resolves to the `Response`. */
  _makeRequest(method: string, url: string, init?: RequestInit): Promise<Response>;
  /** `GET` of the execution; resolves to the host's `Response` (JSON body). */
  checkStatus(executionId: string): Promise<Response>;
  /** `GET` of the execution's plain-text log; resolves to the host's `Response`. */
  getLogs(executionId: string): Promise<Response>;
  /** Creates an execution and, unless told not to, waits for its end. */
  execute(
    namespace: string,
    flowId: string,
    inputs?: Record<string, InputValue>,
    options?: ExecuteOptions,
  ): Promise<FlowExecution>;
  /** Releases the WebAssembly memory of this object at once (it is also garbage-collected). */
  free(): void;
}

/**
 * A local file as an input of `Flow.execute` (Node, Deno and Bun). Its bytes are read from
 * disk as the request is sent, once per attempt, so a large input is streamed.
 */
export declare function fileFromPath(
  path: string,
  options?: FileFromPathOptions,
): Promise<PathFile>;

/** A file input read from disk when sent; made by `fileFromPath`. */
export declare class PathFile {
  private constructor();
  /** The local path. */
  readonly path: string;
  /** The file name sent to Kestra. */
  readonly name: string;
  /** The content type sent to Kestra. */
  readonly type: string;
  /** The size in bytes when `fileFromPath` looked at it. */
  readonly size: number;
}

/** Base class of every error this package throws about a Kestra request. */
export declare class KestraError extends Error {
  constructor(message?: string, fields?: Record<string, unknown>);
  /** The method of the request, when there was one. */
  method?: string;
  /** The URL of the request (never with credentials), when there was one. */
  url?: string;
  /** The body of the answer, when it was read. */
  body?: string;
  /** The server's message, from either of Kestra's error formats. */
  serverMessage?: string;
  /** The execution concerned, when one was created. */
  executionId?: string;
  /** The HTTP status of the answer, when there was one. */
  status?: number;
  /** The execution's last known state (an ended execution whose log could not be read). */
  state?: string;
  /** The flow outputs of an ended execution whose log could not be read. */
  outputs?: Record<string, unknown> | null;
}

/** Kestra answered with an error status. */
export declare class HttpError extends KestraError {
  /** The HTTP status. */
  status: number;
  /** The body of the answer, as text. */
  body: string;
  method: string;
  url: string;
}

/** Kestra answered 401: the credentials are missing or wrong. */
export declare class AuthenticationError extends HttpError {}

/** Kestra answered 403: the credentials may not do this. */
export declare class ForbiddenError extends HttpError {}

/** Kestra answered 404: no such flow, revision or execution. */
export declare class NotFoundError extends HttpError {}

/** Kestra answered 422: the inputs or labels were refused; `serverMessage` says why. */
export declare class InputValidationError extends HttpError {}

/** Every attempt of a request failed with a retryable status or a network error. */
export declare class FailedExponentialBackoff extends KestraError {
  /** The status of the last attempt; `undefined` when it got no answer. */
  status: number | undefined;
  /** How many attempts were made. */
  attempts: number;
  url: string;
}

/** The execution did not end within the `timeout`. */
export declare class TimeoutError extends KestraError {
  /** The timeout, in seconds. */
  timeout: number;
  /** The last state seen, when the execution was created. */
  state?: string;
  /** With `killOnAbort`: whether the kill was accepted. */
  killed?: boolean;
  /** With `killOnAbort`: why the kill failed. */
  killError?: unknown;
}

/** The `signal` given to `execute` was aborted; `cause` is the signal's reason. */
export declare class AbortError extends KestraError {
  /** The last state seen, when the execution was created. */
  state?: string;
  /** With `killOnAbort`: whether the kill was accepted. */
  killed?: boolean;
  /** With `killOnAbort`: why the kill failed. */
  killError?: unknown;
}
