/**
 * The one error a job definition fails with, at `build()`. A reason enum rather than an error class per
 * problem (STYLE.md), and a `subject` naming the setting or operator so tools can point at it.
 */

/** What was wrong with the job; stable strings that callers and tests match on. */
export type JobBuildErrorReason =
  | 'invalid-parallelism' // env or operator parallelism < 1, not an integer, or > maxParallelism
  | 'invalid-max-parallelism' // maxParallelism outside [1, 32768]
  | 'unknown-backend' // a state backend name that is not heap or wasm
  | 'invalid-checkpoint-settings' // rejected by resolveCheckpointSettings
  | 'invalid-restart-strategy' // rejected by resolveRestartConfig
  | 'missing-uid' // a stateful operator (source, keyed process, sink) without a uid
  | 'invalid-uid' // a uid that is not a non-empty string
  | 'duplicate-uid' // two operators with one uid: savepoint state could not be matched
  | 'no-sink' // nothing consumes the job's output, so nothing would run
  | 'foreign-stream' // union with a stream of another environment
  | 'invalid-name' // an operator name that is not a non-empty string
  | 'invalid-dead-letters' // deadLetters() on an operator that runs no user function per record
  | 'invalid-watermarks'; // a source's watermarks option that is not a WatermarkStrategy with a timestamp assigner

/** Thrown by the job builder; `subject` is the setting (`parallelism`) or operator (`Map#3`) at fault. */
export class JobBuildError extends Error {
  constructor(
    readonly reason: JobBuildErrorReason,
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JobBuildError';
  }
}
