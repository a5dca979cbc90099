/**
 * What travels through a {@link Channel} besides records: in-band control events (DESIGN.md point 1).
 * Barriers flow in order with records, which is what makes an aligned snapshot consistent.
 *
 * Every event is a plain frozen object with a string `kind`, no classes or functions, so it survives
 * structured cloning unchanged when a channel is later backed by a `MessagePort` between workers.
 * Consumers `switch` on `kind`; new kinds join {@link ControlEvent} and the compiler then points at
 * every switch that must handle them.
 */

/** A checkpoint barrier: everything before it on its channel belongs to checkpoint `checkpointId`. */
export interface BarrierEvent {
  readonly kind: 'barrier';
  /** Positive, and strictly increasing along any one channel. */
  readonly checkpointId: number;
  /** A user-triggered savepoint rather than a periodic checkpoint: written in the canonical format, never auto-deleted. */
  readonly isSavepoint: boolean;
}

/** The producer of this channel finished; nothing follows it. */
export interface EndOfStreamEvent {
  readonly kind: 'end-of-stream';
}

/**
 * Event time has reached `timestamp` on this channel: no record with a smaller timestamp follows
 * (records that do are late). Strictly increasing along a channel; `Infinity` when a bounded input ended.
 */
export interface WatermarkEvent {
  readonly kind: 'watermark';
  readonly timestamp: number;
}

/**
 * The producer went idle (no records for its idle timeout: it must not hold back downstream
 * watermarks) or active again; sent before its first record after being idle.
 */
export interface WatermarkStatusEvent {
  readonly kind: 'watermark-status';
  readonly idle: boolean;
}

/** Every in-band control event. */
export type ControlEvent = BarrierEvent | EndOfStreamEvent | WatermarkEvent | WatermarkStatusEvent;

/** A watermark event; the timestamp is a number or ±Infinity, never NaN. */
export function watermark(timestamp: number): WatermarkEvent {
  if (Number.isNaN(timestamp)) throw new RangeError('a watermark needs a timestamp, got NaN');
  return Object.freeze({ kind: 'watermark', timestamp });
}

/** The two status events; shared because they carry no data. */
export const WATERMARK_IDLE: WatermarkStatusEvent = Object.freeze({ kind: 'watermark-status', idle: true });
export const WATERMARK_ACTIVE: WatermarkStatusEvent = Object.freeze({ kind: 'watermark-status', idle: false });

/**
 * Builds a barrier, validating the id here so a bad id fails at the source, not in a downstream aligner.
 *
 * @example
 * channel.offerEvent(barrier(7)); // periodic checkpoint 7
 * channel.offerEvent(barrier(8, true)); // savepoint 8
 */
export function barrier(checkpointId: number, isSavepoint = false): BarrierEvent {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 1) {
    throw new RangeError(`checkpoint id must be a positive integer, got ${checkpointId}`);
  }
  return Object.freeze({ kind: 'barrier', checkpointId, isSavepoint });
}

/** The one end-of-stream event; shared because it carries no data. */
export const END_OF_STREAM: EndOfStreamEvent = Object.freeze({ kind: 'end-of-stream' });
