/**
 * The live state of one registered state, with its copy-on-write overlay. Keys are Map identities
 * (heap-keys.ts); values are the JS values the user gave, serialized only by snapshots.
 */
import { ByteWriter } from '../byte-writer.js';
import { murmur3 } from '../murmur3.js';
import { RecordSerializer } from '../record-serializer.js';
import { assertJsonLike, Serializers, type Serializer } from '../serializers.js';
import { compareEntries } from '../snapshot-format.js';
import type { Key } from '../types.js';
import type { KeyContext } from './heap-context.js';
import type { EntrySink } from './heap-entry-list.js';
import { writeKeyOfId } from './heap-keys.js';
import { Overlay } from './heap-overlay.js';
import type { Pacer } from './heap-pacer.js';

/**
 * Scratch for pre-images, type errors and canonical key ordering; used synchronously only (the
 * asynchronous snapshot path writes into its own lists).
 */
export const scratch = new ByteWriter(256);

/** Error for a value that is neither the serializer's type nor writable by it. */
export function rejectValue(ser: Serializer<any>, v: unknown): void {
  scratch.reset();
  ser.write(v, scratch); // built-in serializers throw their TypeError for a wrong type
}

/**
 * Rejects at the write a value the serializer could not write at snapshot time: a wrong primitive
 * type, for json values anything but plain data, for records also an undeclared field. (Custom
 * serializers are trusted.)
 */
export function checkValue(ser: Serializer<any>, type: string | undefined, v: unknown): void {
  if (type !== undefined) {
    if (typeof v !== type) rejectValue(ser, v);
  } else if (ser === Serializers.json) {
    if (typeof v === 'object' && v !== null) assertJsonLike(v);
  } else if (ser instanceof RecordSerializer) {
    ser.check(v);
  }
}

/** The key object kept for keys(): a copy, so a caller mutating its key object later changes nothing. */
export function keptKey(key: Key): Key {
  return structuredClone(key);
}

export abstract class Table {
  /** Key identity → the key's state (shape per subclass). No entry for a key without state. */
  readonly live = new Map<unknown, any>();
  /** Original key objects of JSON keys, whose identities are byte strings (for keys()). */
  readonly objectKeys = new Map<unknown, Key>();
  /** Pre-images of what was written since the latest snapshot (see heap-overlay.ts). */
  overlay = new Overlay<any>();

  constructor(
    protected readonly ctx: KeyContext,
    /** State id: the u16 that starts this state's composite keys. */
    readonly sid: number,
    readonly name: string,
  ) {}

  /** Entries this table contributes to a snapshot (a map entry each, one per key otherwise). */
  abstract entryCount(): number;

  /**
   * Loads one restored entry: `id`/`key` come from the composite's key bytes; the user key and the
   * value are `buf[ukAt, ukAt + ukLen)` and `buf[vAt, vAt + vLen)`.
   */
  abstract load(id: unknown, key: Key, isObject: boolean, buf: Uint8Array, ukAt: number, ukLen: number, vAt: number, vLen: number): void;

  /**
   * Records every entry as written in this interval, so the next incremental snapshot carries them
   * all: after a migration rewrote the restored entries, none may stay in the old format.
   */
  abstract markAllWritten(): void;

  /** Adds the entries of the state as of the snapshot whose first overlay is `since`. */
  abstract collectFull(since: Overlay<any>, puts: EntrySink, pace: Pacer): Promise<void>;

  /** Adds the changes recorded in `changes` (the sealed interval), valued as of `since`'s snapshot. */
  abstract collectIncremental(
    since: Overlay<any>,
    changes: Overlay<any>,
    puts: EntrySink,
    deletes: EntrySink,
    pace: Pacer,
  ): Promise<void>;

  /** Ends the overlay's interval (a snapshot was taken); returns the sealed overlay. */
  seal(): Overlay<any> {
    const sealed = this.overlay;
    this.overlay = sealed.next = new Overlay<any>();
    return sealed;
  }

  /** Adds state for the current key (absent until now). */
  protected insertKey(id: unknown, state: unknown): void {
    this.live.set(id, state);
    if (this.ctx.isObject) this.objectKeys.set(id, keptKey(this.ctx.key!));
  }

  /** Drops the current key's state. */
  protected dropKey(id: unknown): void {
    this.live.delete(id);
    if (this.ctx.isObject) this.objectKeys.delete(id);
  }

  protected loadKey(id: unknown, key: Key, isObject: boolean, state: unknown): void {
    this.live.set(id, state);
    if (isObject) this.objectKeys.set(id, key);
  }

  /** Keys with state here, in canonical order (key group, hash, composite bytes). */
  keysInOrder(): Key[] {
    const items: Array<{ kg: number; hash: number; composite: Uint8Array; id: unknown }> = [];
    const mp = this.ctx.maxParallelism;
    for (const id of this.live.keys()) {
      const w = scratch;
      w.reset();
      w.u16(this.sid);
      w.u16(0);
      writeKeyOfId(id, w);
      const len = w.pos - 4;
      w.buf[2] = len & 0xff;
      w.buf[3] = len >>> 8;
      const hash = murmur3(w.buf, 4, w.pos);
      items.push({ kg: hash % mp, hash, composite: w.bytes().slice(), id });
    }
    items.sort((a, b) => a.kg - b.kg || compareEntries(a, b));
    return items.map((it) => this.objectKeys.get(it.id) ?? (it.id as Key));
  }
}
