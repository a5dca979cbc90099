/**
 * Event timestamps travel beside records, not inside them: one mutable cell per subtask holds the
 * timestamp of the record being pushed through the chain (Flink's reused `StreamRecord`). A source
 * (or a channel read) sets it before pushing a record; map, filter and flatMap leave it, so their
 * outputs keep the input's timestamp; a keyed function's timer sets it to the timer's timestamp; an
 * output gate reads it when it batches the record. No allocation per record.
 *
 * Between subtasks, a job that carries timestamps ({@link TIMESTAMP_STRIDE}) stores each record and
 * its timestamp in two consecutive batch slots.
 */

/** The timestamp cell of one subtask. `ts` is NaN when the record has none (a number field stays unboxed). */
export interface RecordTimestamp {
  ts: number;
}

/** `ts` of a record without a timestamp. */
export const NO_TIMESTAMP = Number.NaN;

/** Batch slots per record in a job whose records carry timestamps: the record, then its timestamp. */
export const TIMESTAMP_STRIDE = 2;

/** A fresh cell, holding no timestamp. */
export function recordTimestamp(): RecordTimestamp {
  return { ts: NO_TIMESTAMP };
}

/** The public view of a cell's value: undefined for none. */
export function timestampOf(cell: RecordTimestamp): number | undefined {
  const ts = cell.ts;
  return ts === ts ? ts : undefined;
}
