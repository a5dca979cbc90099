/**
 * The other end of the control channel: finds a running job in the runtime directory and calls its
 * control server (control-server.ts). Used by `weir savepoint`, `weir stop` and `weir list`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ErrorResponse,
  JobOverview,
  OperationStatus,
  SavepointLocation,
  SavepointRequest,
  TriggerResponse,
} from './control-protocol.js';
import { isFailure } from './control-protocol.js';
import { CONTROL_HOST } from './control-server.js';
import { findRunningJob, type JobRegistration } from './job-registration.js';

/** One request gets this long; a savepoint itself may take longer, which polling covers. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The job is not registered as running (or its process is gone). */
export class JobNotRunningError extends Error {
  constructor(jobId: string, runtimeDir: string) {
    super(`job '${jobId}' is not running (no live registration in ${runtimeDir}; weir list shows the running jobs)`);
    this.name = 'JobNotRunningError';
  }
}

/** The job's control server answered with an error, or did not answer. */
export class ControlRequestError extends Error {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlRequestError';
  }
}

/** A savepoint or stop that the job reports as failed. */
export class SavepointFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SavepointFailedError';
  }
}

/** Talks to one job's control server. */
export class ControlClient {
  constructor(readonly registration: JobRegistration) {}

  /** The client of the running job `jobId`, found in `runtimeDir`; {@link JobNotRunningError} if none. */
  static async forJob(jobId: string, runtimeDir: string): Promise<ControlClient> {
    const registration = await findRunningJob(runtimeDir, jobId);
    if (registration === undefined) throw new JobNotRunningError(jobId, runtimeDir);
    return new ControlClient(registration);
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://${CONTROL_HOST}:${this.registration.port}`;
  }

  job(): Promise<JobOverview> {
    return this.request<JobOverview>('GET', this.jobPath());
  }

  /** Starts a savepoint; resolves with the request id to {@link awaitSavepoint}. */
  async triggerSavepoint(request: SavepointRequest = {}): Promise<string> {
    return (await this.request<TriggerResponse>('POST', `${this.jobPath()}/savepoints`, request))['request-id'];
  }

  /** Starts stop-with-savepoint; resolves with the request id to {@link awaitSavepoint}. */
  async stopWithSavepoint(request: SavepointRequest = {}): Promise<string> {
    return (await this.request<TriggerResponse>('POST', `${this.jobPath()}/stop`, request))['request-id'];
  }

  savepointStatus(requestId: string): Promise<OperationStatus> {
    return this.request<OperationStatus>('GET', `${this.jobPath()}/savepoints/${encodeURIComponent(requestId)}`);
  }

  /**
   * Polls until the savepoint (or stop) `requestId` completed: resolves with where it is, or rejects
   * with {@link SavepointFailedError} carrying the job's reason.
   */
  async awaitSavepoint(requestId: string, pollIntervalMs = 100): Promise<SavepointLocation> {
    for (;;) {
      const { operation } = await this.savepointStatus(requestId);
      if (operation !== undefined) {
        if (isFailure(operation)) throw new SavepointFailedError(operation['failure-cause'].message);
        return operation;
      }
      await sleep(pollIntervalMs);
    }
  }

  private jobPath(): string {
    return `/jobs/${encodeURIComponent(this.registration.jobId)}`;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const where = `job '${this.registration.jobId}' (pid ${this.registration.pid}, ${this.url})`;
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.registration.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : (e as Error).message;
      throw new ControlRequestError(`${where} did not answer ${method} ${path}: ${cause}`, undefined, { cause: e });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ControlRequestError(`${where} answered ${method} ${path} with ${response.status} and no JSON: ${text.slice(0, 200)}`, response.status);
    }
    if (!response.ok) {
      const errors = (json as Partial<ErrorResponse>).errors ?? [text];
      throw new ControlRequestError(`${where}: ${errors.join('; ')}`, response.status);
    }
    return json as T;
  }
}
