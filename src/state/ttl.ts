/** TTL bookkeeping both backends share: a value's timestamp prefix and when it counts as expired. */
import type { StateTtlConfig } from './types.js';

/** Bytes of the f64 timestamp that prefixes a TTL value. */
export const TTL_PREFIX_BYTES = 8;

export function isExpired(ttl: StateTtlConfig, writtenAt: number, now: number): boolean {
  return now - writtenAt >= ttl.ttlMs;
}

/** Whether a read should treat an expired value as absent. */
export function hidesExpired(ttl: StateTtlConfig): boolean {
  return (ttl.visibility ?? 'NeverReturnExpired') === 'NeverReturnExpired';
}

export function refreshesOnRead(ttl: StateTtlConfig): boolean {
  return ttl.updateType === 'OnReadAndWrite';
}
