/**
 * Reading a backend's whole observable state, and the canonical key order to check it against.
 */
import { compareBytes, compositeKey } from '../../src/state/snapshot-format.js';
import { keyBytes, keyHash } from '../../src/state/key-codec.js';
import type { Key, KeyedStateBackend, StateTtlConfig } from '../../src/state/types.js';
import type { StateDriver } from './state-drivers.js';
import { mulberry32 } from '../../src/random/mulberry32.js';

/** A state a test registers: its name, driver and optional TTL. */
export interface StateSpec {
  readonly name: string;
  readonly driver: StateDriver;
  readonly ttl?: StateTtlConfig;
}

export type Handles = ReadonlyMap<string, { spec: StateSpec; state: unknown }>;

/** Registers every state of `schema`; returns their handles by name. */
export function openAll(b: KeyedStateBackend, schema: readonly StateSpec[]): Handles {
  return new Map(schema.map((spec) => [spec.name, { spec, state: spec.driver.open(b, spec.name, spec.ttl) }]));
}

/**
 * Everything the backend shows: per state, its keys (as `keys(name)` lists them) and what the
 * driver reads for each. Reading TTL state may clean up expired entries.
 */
export function observe(b: KeyedStateBackend, handles: Handles): Record<string, Array<[Key, unknown]>> {
  const out: Record<string, Array<[Key, unknown]>> = {};
  for (const [name, { spec, state }] of handles) {
    out[name] = b.keys(name).map((k) => {
      b.setCurrentKey(k);
      return [k, spec.driver.read(state)];
    });
  }
  return out;
}

/** `keys` of one state in canonical order: key group, then murmur3 hash, then composite-key bytes. */
export function canonicalKeyOrder(keys: readonly Key[], maxParallelism: number): Key[] {
  const decorated = keys.map((k) => {
    const h = keyHash(k);
    return { k, kg: h % maxParallelism, h, bytes: compositeKey(0, keyBytes(k)) };
  });
  decorated.sort((a, b) => a.kg - b.kg || a.h - b.h || compareBytes(a.bytes, b.bytes));
  return decorated.map((d) => d.k);
}

/** A deterministic PRNG (mulberry32), so heap and wasm see the same "random" operations. */
export const prng = mulberry32;
