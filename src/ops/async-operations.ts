/**
 * Flink's asynchronous operations: a POST starts something slow (a savepoint) and answers at once
 * with a request id; the caller polls the id until the operation completed, with its result or its
 * failure. This module keeps those operations for one job.
 */
import { randomBytes } from 'node:crypto';
import type { SavepointInfo } from '../runtime/job-client.js';
import type { OperationStatus } from './control-protocol.js';

/** Completed operations kept for polling; the oldest are forgotten beyond this. */
const MAX_COMPLETED_OPERATIONS = 100;

type Outcome = { readonly ok: true; readonly info: SavepointInfo } | { readonly ok: false; readonly message: string };

interface Operation {
  outcome: Outcome | undefined;
  /** Whether a poll has seen the outcome: until then, a process about to exit waits (see {@link SavepointOperations.collected}). */
  collected: boolean;
}

/** The savepoint and stop operations of one job, by request id. */
export class SavepointOperations {
  private readonly operations = new Map<string, Operation>();
  private readonly waiters = new Set<() => void>();

  /** Tracks `work` (already started) under a new request id, which it returns. */
  start(work: Promise<SavepointInfo>): string {
    const requestId = randomBytes(16).toString('hex');
    const operation: Operation = { outcome: undefined, collected: false };
    this.operations.set(requestId, operation);
    work.then(
      (info) => this.complete(operation, { ok: true, info }),
      (e: unknown) => this.complete(operation, { ok: false, message: e instanceof Error ? e.message : String(e) }),
    );
    return requestId;
  }

  /** The operation's status in Flink's shape; undefined for an unknown (or forgotten) id. */
  poll(requestId: string): OperationStatus | undefined {
    const operation = this.operations.get(requestId);
    if (operation === undefined) return undefined;
    const outcome = operation.outcome;
    if (outcome === undefined) return { status: { id: 'IN_PROGRESS' } };
    operation.collected = true;
    this.wakeWaiters();
    return {
      status: { id: 'COMPLETED' },
      operation: outcome.ok
        ? { location: outcome.info.path, checkpointId: outcome.info.checkpointId, sizeBytes: outcome.info.sizeBytes, durationMs: outcome.info.durationMs }
        : { 'failure-cause': { message: outcome.message } },
    };
  }

  /**
   * Resolves once every operation has completed and been polled, or after `timeoutMs`. A stop ends
   * the job, and with it the process: waiting here lets `weir stop` read the savepoint's path before
   * the server goes away.
   */
  async collected(timeoutMs: number): Promise<void> {
    const done = (): boolean => [...this.operations.values()].every((o) => o.collected);
    if (done()) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(check);
    });
  }

  private complete(operation: Operation, outcome: Outcome): void {
    operation.outcome = outcome;
    this.forgetOldest();
    this.wakeWaiters();
  }

  private forgetOldest(): void {
    const completed = [...this.operations].filter(([, o]) => o.outcome !== undefined);
    for (const [id] of completed.slice(0, Math.max(0, completed.length - MAX_COMPLETED_OPERATIONS))) this.operations.delete(id);
  }

  private wakeWaiters(): void {
    for (const check of [...this.waiters]) check();
  }
}
