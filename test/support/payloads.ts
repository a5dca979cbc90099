/** Payloads for storage tests: incompressible noise and snapshot-shaped records, deterministic. */
import { ByteWriter } from '../../src/state/byte-writer.js';

/** Deterministic noise (xorshift32): incompressible, and the same on every run. */
export function randomBytes(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Key/value records shaped like a state snapshot section: repetitive keys, small numeric values. */
export function snapshotLikeBytes(n: number): Uint8Array {
  const w = new ByteWriter(n + 64);
  for (let i = 0; w.pos < n; i++) {
    w.varint(i % 4);
    w.string(`user-${i % 100_000}`);
    w.f64(i % 1000);
  }
  return w.bytes().slice(0, n);
}
