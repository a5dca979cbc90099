/**
 * The JSON bodies of the control channel (see control-server.ts), shared by the server and the CLI's
 * client so both sides spell them alike. Paths and shapes follow Flink's REST API where it has one:
 * async operations (savepoint, stop) answer `{ "request-id" }` and are polled for
 * `{ status: { id }, operation }`; errors are `{ errors: [message] }`.
 */

/** A job as `GET /jobs` and `GET /jobs/:jobId` report it. */
export interface JobOverview {
  readonly id: string;
  /** The job client's status, upper-cased as Flink spells job states: RUNNING, STOPPING, FINISHED, FAILED. */
  readonly status: string;
  /** Since the job was handed to the control server, ms. */
  readonly uptimeMs: number;
}

/** `GET /jobs`. */
export interface JobsOverview {
  readonly jobs: readonly JobOverview[];
}

/** Body of `POST /jobs/:jobId/savepoints` and `POST /jobs/:jobId/stop`; empty means `{}`. */
export interface SavepointRequest {
  /** Absolute path of the directory the savepoint is created in. Default: the job's savepoint directory. */
  readonly targetDirectory?: string;
}

/** 202 answer of the two POSTs: poll `GET /jobs/:jobId/savepoints/:requestId` with it. */
export interface TriggerResponse {
  readonly 'request-id': string;
}

/** A completed savepoint, as the operation's result. */
export interface SavepointLocation {
  readonly location: string;
  readonly checkpointId: number;
  readonly sizeBytes: number;
  readonly durationMs: number;
}

/** A savepoint or stop that failed. */
export interface OperationFailure {
  readonly 'failure-cause': { readonly message: string };
}

/** `GET /jobs/:jobId/savepoints/:requestId`: no `operation` while IN_PROGRESS. */
export interface OperationStatus {
  readonly status: { readonly id: 'IN_PROGRESS' | 'COMPLETED' };
  readonly operation?: SavepointLocation | OperationFailure;
}

/** Any non-2xx answer. */
export interface ErrorResponse {
  readonly errors: readonly string[];
}

export function isFailure(operation: SavepointLocation | OperationFailure): operation is OperationFailure {
  return 'failure-cause' in operation;
}
