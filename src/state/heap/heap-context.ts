/**
 * What every heap state table reads on each access: the current key (as its Map identity), the
 * clock, and whether writes must record pre-images for snapshots. Owned by the backend.
 */
import { ByteWriter } from '../byte-writer.js';
import { writeKey } from '../key-codec.js';
import { murmur3 } from '../murmur3.js';
import type { KeyGroupRange } from '../key-groups.js';
import type { Key } from '../types.js';
import { objectKeyId, utf8Identity } from './heap-keys.js';

/** Strings up to this many UTF-16 units cannot exceed the 65,535-byte key limit (3 bytes a unit + tag). */
const MAX_UNCHECKED_STRING_KEY = 21844;

export class KeyContext {
  /** Map identity of the current key; meaningful only while `ok`. */
  cur: unknown = undefined;
  /** The key as given to setCurrentKey. */
  key: Key | undefined = undefined;
  /** Whether the current key is a JSON key (its identity is a byte string; tables keep the original). */
  isObject = false;
  /** A valid current key is set and the backend is not disposed. */
  ok = false;
  /** Key group of the current key, -1 until needed (computed lazily when the range is complete). */
  private kg = -1;
  disposed = false;

  /** Writes record pre-images in the tables' overlays: `(incremental && baseline) || pending > 0`. */
  tracking = false;
  /** Snapshots whose bytes are not produced yet: while > 0, pre-images hold values, not just presence. */
  pending = 0;
  /** A snapshot or restore exists that an incremental snapshot can build on. */
  baseline = false;

  private readonly fullRange: boolean;
  private readonly w = new ByteWriter(64);

  constructor(
    readonly maxParallelism: number,
    readonly range: KeyGroupRange,
    readonly incremental: boolean,
    readonly clock: () => number,
  ) {
    this.fullRange = range.start === 0 && range.end === maxParallelism;
  }

  setKey(key: Key): void {
    if (this.ok && key === this.key && typeof key !== 'object') return;
    if (this.disposed) this.fail();
    this.ok = false;
    let id: unknown = key;
    let kg = -1;
    let isObject = false;
    switch (typeof key) {
      case 'number':
      case 'boolean':
        break;
      case 'string':
        if (key.length > MAX_UNCHECKED_STRING_KEY) kg = this.groupOf(key); // checks the length limit
        id = utf8Identity(key);
        break;
      case 'object': {
        kg = this.groupOf(key); // rejects null and non-JSON objects
        id = objectKeyId(this.w.buf, 0, this.w.pos);
        isObject = true;
        break;
      }
      default:
        kg = this.groupOf(key); // bigint; rejects the rest
    }
    if (kg < 0 && !this.fullRange) kg = this.groupOf(key);
    if (kg >= 0 && (kg < this.range.start || kg >= this.range.end)) {
      throw new RangeError(
        `key ${describe(key)} is in key group ${kg}, outside this backend's range [${this.range.start}, ${this.range.end})`,
      );
    }
    this.cur = id;
    this.key = key;
    this.isObject = isObject;
    this.kg = kg;
    this.ok = true;
  }

  /** Serializes `key` into `w` (left there for the caller) and returns its key group. */
  private groupOf(key: Key): number {
    this.w.reset();
    writeKey(key, this.w);
    return murmur3(this.w.buf, 0, this.w.pos) % this.maxParallelism;
  }

  /** The current key's identity; throws when there is none. */
  id(): unknown {
    if (!this.ok) this.fail();
    return this.cur;
  }

  currentKey(): Key {
    if (!this.ok) this.fail();
    return this.key!;
  }

  currentKeyGroup(): number {
    if (!this.ok) this.fail();
    if (this.kg < 0) this.kg = this.groupOf(this.key!);
    return this.kg;
  }

  unsetKey(): void {
    this.ok = false;
    this.key = undefined;
    this.cur = undefined;
  }

  fail(): never {
    if (this.disposed) throw new Error('the heap state backend was disposed');
    throw new Error('no current key: call setCurrentKey() before accessing keyed state');
  }

  /** A snapshot was taken (its bytes are pending). */
  snapshotTaken(): void {
    this.baseline = true;
    this.pending++;
    this.updateTracking();
  }

  /** A snapshot's bytes were produced, failed, or its handle was dropped unused. */
  release(): void {
    this.pending--;
    this.updateTracking();
  }

  restored(): void {
    this.baseline = true;
    this.unsetKey();
    this.updateTracking();
  }

  private updateTracking(): void {
    this.tracking = (this.incremental && this.baseline) || this.pending > 0;
  }
}

function describe(key: Key): string {
  if (typeof key === 'object') {
    try {
      return JSON.stringify(key);
    } catch {
      return String(key);
    }
  }
  return typeof key === 'string' ? JSON.stringify(key) : String(key);
}
