export { Kestra, Flow, FlowOptions, FlowExecution } from './dist/node/kestra_wasm';

/** Base class of every error this package throws about a Kestra request. */
export declare class KestraError extends Error {
  /** The URL of the request, when there was one. */
  url?: string;
}

/** Kestra answered with an error status. */
export declare class HttpError extends KestraError {
  /** The HTTP status. */
  status: number;
  /** The body of the answer, as text. */
  body: string;
}

/** Kestra answered 401: the credentials are missing or wrong. */
export declare class AuthenticationError extends HttpError {}

/** Every attempt of a request was answered with a retryable status. */
export declare class FailedExponentialBackoff extends KestraError {
  /** The status of the last attempt. */
  status: number;
  /** How many attempts were made. */
  attempts: number;
}
