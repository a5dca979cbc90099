/**
 * A deterministic mixed workload over every state kind: puts, updates (also with equal values),
 * deletes, re-inserts after deletes, map-entry removals, list replacements, TTL reads and clock
 * moves. Driven with the same step number, any two backends see exactly the same operations.
 */
import type { Key, KeyedStateBackend } from '../../src/state/types.js';
import type { ManualClock } from './backends.js';
import { openAll, prng, type Handles, type StateSpec } from './observe.js';
import { DRIVERS, driver } from './state-drivers.js';

export const WORKLOAD_KEYS: readonly Key[] = [
  ...Array.from({ length: 10 }, (_, i) => `user-${i}`),
  ...[0, 1, 2.5, -7, 1e12],
  { tenant: 'a', id: 1 },
  { tenant: 'b', id: 1 },
  ['composite', 3],
  true,
  99n,
  'ключ-🙂',
];

/** Every driver (kind × serializer), without TTL. */
export const PLAIN_SCHEMA: readonly StateSpec[] = DRIVERS.map((d, n) => ({ name: `plain-${n}-${d.label}`, driver: d }));

/** TTL states: every kind, both visibilities, both update types. */
export const TTL_SCHEMA: readonly StateSpec[] = [
  { name: 'ttl-value', driver: driver('value<string>'), ttl: { ttlMs: 250 } },
  { name: 'ttl-list', driver: driver('list<number>'), ttl: { ttlMs: 250, updateType: 'OnReadAndWrite' } },
  {
    name: 'ttl-map',
    driver: driver('map<string,number>'),
    ttl: { ttlMs: 250, visibility: 'ReturnExpiredIfNotCleanedUp' },
  },
  {
    name: 'ttl-reducing',
    driver: driver('reducing<number sum>'),
    ttl: { ttlMs: 250, visibility: 'ReturnExpiredIfNotCleanedUp', updateType: 'OnReadAndWrite' },
  },
  { name: 'ttl-aggregating', driver: driver('aggregating<average>'), ttl: { ttlMs: 250, updateType: 'OnReadAndWrite' } },
  { name: 'ttl-map-read', driver: driver('map<json,string>'), ttl: { ttlMs: 250, updateType: 'OnReadAndWrite' } },
  { name: 'ttl-list-stale', driver: driver('list<json>'), ttl: { ttlMs: 250, visibility: 'ReturnExpiredIfNotCleanedUp' } },
  {
    name: 'ttl-value-stale',
    driver: driver('value<number>'),
    ttl: { ttlMs: 250, visibility: 'ReturnExpiredIfNotCleanedUp', updateType: 'OnReadAndWrite' },
  },
];

export const FULL_SCHEMA: readonly StateSpec[] = [...PLAIN_SCHEMA, ...TTL_SCHEMA];

export interface WorkloadOptions {
  /** Operations per step. */
  readonly ops?: number;
  /** Moved forward between operations, when the schema has TTL states. */
  readonly clock?: ManualClock;
  /** Keys to draw from (default {@link WORKLOAD_KEYS}). */
  readonly keys?: readonly Key[];
}

/** Applies step `step` of the workload to `b`. */
export function runStep(b: KeyedStateBackend, handles: Handles, step: number, options: WorkloadOptions = {}): void {
  const rand = prng(0x5eed + step * 7919);
  const keys = options.keys ?? WORKLOAD_KEYS;
  const specs = [...handles.values()];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const ops = options.ops ?? 60;
  for (let n = 0; n < ops; n++) {
    const { spec, state } = pick(specs);
    const d = spec.driver;
    b.setCurrentKey(pick(keys));
    const i = step * 1000 + n;
    const r = rand();
    if (r < 0.5) {
      d.write(state, i);
    } else if (r < 0.62) {
      d.clear(state);
    } else if (r < 0.77) {
      d.alter(state, i);
    } else if (r < 0.85) {
      d.clear(state); // delete, then re-insert within the step
      d.write(state, i);
    } else if (r < 0.9) {
      d.write(state, i); // insert, then delete within the step
      d.clear(state);
    } else {
      d.read(state); // TTL: may refresh (OnReadAndWrite) or clean up (NeverReturnExpired)
    }
    if (options.clock) options.clock.advance(Math.floor(rand() * 12));
  }
}

/** Opens `schema` on `b` and runs steps [0, steps). */
export function runSteps(
  b: KeyedStateBackend,
  schema: readonly StateSpec[],
  steps: number,
  options: WorkloadOptions = {},
): Handles {
  const handles = openAll(b, schema);
  for (let s = 0; s < steps; s++) runStep(b, handles, s, options);
  return handles;
}
