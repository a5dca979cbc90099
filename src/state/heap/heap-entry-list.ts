/**
 * Snapshot entries under construction, one list per key group: composite keys and values
 * serialized back to back into the group's arena, located by a flat metadata array. Grouping at
 * collection time keeps each group's bytes together, so sorting and writing a group (whose order is
 * random relative to collection order) stays within a cache-sized region; and no per-entry objects
 * are allocated.
 */
import { ByteWriter } from '../byte-writer.js';
import type { KeyGroupRange } from '../key-groups.js';
import { murmur3 } from '../murmur3.js';
import { writeKeyOfId } from './heap-keys.js';

/** u32 slots per entry in {@link EntryList.meta}. */
export const META = 4;

/** The entries of one key group. */
export class EntryList {
  readonly w = new ByteWriter(256);
  /** Entry i: `meta[4i]` offset in `w.buf`, `[4i+1]` composite length, `[4i+2]` value length, `[4i+3]` hash. */
  meta = new Uint32Array(16 * META);
  length = 0;

  /** Starts entry `length`: `u16 stateId | u16 keyLen | key bytes`. */
  begin(stateId: number, key: Uint8Array, keyAt: number, keyLen: number, hash: number): void {
    const i = this.length++ * META;
    if (i + META > this.meta.length) {
      const grown = new Uint32Array(this.meta.length * 2);
      grown.set(this.meta);
      this.meta = grown;
    }
    const w = this.w;
    this.meta[i] = w.pos;
    this.meta[i + 3] = hash;
    w.ensure(4 + keyLen);
    const buf = w.buf;
    let p = w.pos;
    buf[p++] = stateId & 0xff;
    buf[p++] = stateId >>> 8;
    buf[p++] = keyLen & 0xff;
    buf[p++] = keyLen >>> 8;
    for (let k = 0; k < keyLen; k++) buf[p + k] = key[keyAt + k]!;
    w.pos = p + keyLen;
  }

  /** Ends the composite key of the entry being built (user-key bytes were written after begin). */
  endKey(): void {
    const i = (this.length - 1) * META;
    this.meta[i + 1] = this.w.pos - this.meta[i]!;
  }

  endValue(): void {
    const i = (this.length - 1) * META;
    this.meta[i + 2] = this.w.pos - this.meta[i]! - this.meta[i + 1]!;
  }

  /** Order of the composites of entries i and j (bytes, a shorter prefix first). */
  compareComposites(i: number, j: number): number {
    const meta = this.meta;
    const buf = this.w.buf;
    const a = meta[i * META]!;
    const b = meta[j * META]!;
    const la = meta[i * META + 1]!;
    const lb = meta[j * META + 1]!;
    const n = la < lb ? la : lb;
    for (let k = 0; k < n; k++) {
      const d = buf[a + k]! - buf[b + k]!;
      if (d !== 0) return d;
    }
    return la - lb;
  }
}

/** Never a key identity, so the first `begin` computes the key's bytes. */
const NO_KEY = Symbol('no key');

/**
 * Where tables put snapshot entries: `begin(stateId, keyId)`, then user-key bytes into `w`, `endKey()`,
 * then (puts) value bytes into `w` and `endValue()`.
 */
export class EntrySink {
  private readonly lists: (EntryList | undefined)[];
  private cur: EntryList | undefined;
  /** The previous entry's key: map entries of one key (and one key's states) come in a row. */
  private readonly key = new ByteWriter(64);
  private lastId: unknown = NO_KEY;
  private lastHash = 0;

  constructor(
    private readonly maxParallelism: number,
    private readonly range: KeyGroupRange,
  ) {
    this.lists = new Array<EntryList | undefined>(range.end - range.start);
  }

  /** The writer of the entry being built. */
  get w(): ByteWriter {
    return this.cur!.w;
  }

  begin(stateId: number, keyId: unknown): void {
    const key = this.key;
    if (keyId !== this.lastId) {
      key.reset();
      writeKeyOfId(keyId, key);
      this.lastId = keyId;
      this.lastHash = murmur3(key.buf, 0, key.pos);
    }
    const list = (this.cur = this.listFor(this.lastHash));
    list.begin(stateId, key.buf, 0, key.pos, this.lastHash);
  }

  endKey(): void {
    this.cur!.endKey();
  }

  endValue(): void {
    this.cur!.endValue();
  }

  /** Adds a ready-made entry (restored, still in serialized form): composite and value in `buf`. */
  addRaw(hash: number, buf: Uint8Array, cAt: number, cLen: number, vAt: number, vLen: number): void {
    const list = this.listFor(hash);
    const keyLen = buf[cAt + 2]! | (buf[cAt + 3]! << 8);
    list.begin(buf[cAt]! | (buf[cAt + 1]! << 8), buf, cAt + 4, keyLen, hash);
    list.w.raw(buf.subarray(cAt + 4 + keyLen, cAt + cLen));
    list.endKey();
    list.w.raw(buf.subarray(vAt, vAt + vLen));
    list.endValue();
  }

  /** The entries of key group `kg`, if any. */
  group(kg: number): EntryList | undefined {
    return this.lists[kg - this.range.start];
  }

  private listFor(hash: number): EntryList {
    const i = (hash % this.maxParallelism) - this.range.start;
    if (i < 0 || i >= this.lists.length) throw new Error(`internal: snapshot entry in key group ${i + this.range.start}, outside the backend's range`);
    return (this.lists[i] ??= new EntryList());
  }
}
