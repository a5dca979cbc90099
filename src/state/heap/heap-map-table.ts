/**
 * MapState: per key a Map from user-key identity to {@link UserEntry}. Every user entry is its own
 * snapshot entry, so TTL, dirty tracking and pre-images are per user entry; the overlay maps a key
 * identity to (user-key identity → pre-image).
 */
import { ByteReader } from '../byte-reader.js';
import type { ByteWriter } from '../byte-writer.js';
import type { Serializer } from '../serializers.js';
import { compareBytes } from '../snapshot-format.js';
import { hidesExpired, isExpired, refreshesOnRead, TTL_PREFIX_BYTES } from '../ttl.js';
import type { Key, StateTtlConfig } from '../types.js';
import type { KeyContext } from './heap-context.js';
import type { EntrySink } from './heap-entry-list.js';
import { isMutable, primitiveTypeOf, UserKeyCodec } from './heap-keys.js';
import { ABSENT, entryPreAt, entryShadowed, Frozen, isWrite, PRESENT, type Overlay, type Pre } from './heap-overlay.js';
import type { Pacer } from './heap-pacer.js';
import { checkValue, scratch, Table } from './heap-table.js';

/** One user entry. Mutated in place by writes, after its pre-image is recorded. */
export class UserEntry {
  /** Serialized user key, computed when first needed (ordering, snapshots). */
  b: Uint8Array | undefined = undefined;
  constructor(
    readonly id: unknown,
    readonly k: unknown,
    public v: unknown,
    /** Last write (or read under OnReadAndWrite); 0 without TTL. */
    public t: number,
  ) {}
}

/** A key's user entries (never empty), with their canonical order cached until one is added or removed. */
class MapSlot {
  readonly m = new Map<unknown, UserEntry>();
  sorted: UserEntry[] | null = null;
}

type MapOverlay = Overlay<Map<unknown, Pre>>;

const NONE: readonly UserEntry[] = Object.freeze([]);

export class MapTable extends Table {
  declare overlay: MapOverlay;
  private readonly uks: UserKeyCodec<any>;
  private readonly type: string | undefined;
  /** User entries over all keys. */
  private count = 0;

  constructor(
    ctx: KeyContext,
    sid: number,
    name: string,
    keySer: Serializer<any>,
    private readonly ser: Serializer<any>,
    private readonly ttl: StateTtlConfig | undefined,
  ) {
    super(ctx, sid, name);
    this.uks = new UserKeyCodec(keySer, scratch);
    this.type = primitiveTypeOf(ser);
  }

  entryCount(): number {
    return this.count;
  }

  /** The current key's entry for `uk` after the TTL read rules, or undefined. */
  private locate(uk: unknown): UserEntry | undefined {
    const ctx = this.ctx;
    const id = ctx.id();
    const ukId = this.uks.id(uk);
    const slot: MapSlot | undefined = this.live.get(id);
    const e = slot?.m.get(ukId);
    if (e === undefined) return undefined;
    const ttl = this.ttl;
    if (ttl !== undefined) {
      const now = ctx.clock();
      if (isExpired(ttl, e.t, now)) {
        if (hidesExpired(ttl)) {
          this.removeEntry(id, slot!, e);
          return undefined;
        }
      } else if (refreshesOnRead(ttl)) {
        if (ctx.tracking) this.touch(id, e.id, e);
        e.t = now;
      }
    }
    return e;
  }

  get(uk: unknown): unknown {
    const e = this.locate(uk);
    if (e === undefined) return undefined;
    if (this.ctx.pending > 0 && isMutable(e.v)) this.guardRead(this.ctx.cur, e);
    return e.v;
  }

  contains(uk: unknown): boolean {
    return this.locate(uk) !== undefined;
  }

  put(uk: unknown, v: unknown): void {
    const ctx = this.ctx;
    const id = ctx.id();
    const ukId = this.uks.id(uk);
    checkValue(this.ser, this.type, v);
    let slot: MapSlot | undefined = this.live.get(id);
    const e = slot?.m.get(ukId);
    if (ctx.tracking) this.touch(id, ukId, e);
    const t = this.ttl === undefined ? 0 : ctx.clock();
    if (e !== undefined) {
      e.v = v;
      e.t = t;
      return;
    }
    if (slot === undefined) {
      slot = new MapSlot();
      this.insertKey(id, slot);
    }
    // user-key objects are kept for entries()/keys(): a copy, as for keys
    slot.m.set(ukId, new UserEntry(ukId, typeof uk === 'object' && uk !== null ? structuredClone(uk) : uk, v, t));
    slot.sorted = null;
    this.count++;
  }

  remove(uk: unknown): void {
    const id = this.ctx.id();
    const ukId = this.uks.id(uk);
    const slot: MapSlot | undefined = this.live.get(id);
    const e = slot?.m.get(ukId);
    if (e !== undefined) this.removeEntry(id, slot!, e);
  }

  clear(): void {
    const id = this.ctx.id();
    const slot: MapSlot | undefined = this.live.get(id);
    if (slot === undefined) return;
    if (this.ctx.tracking) for (const e of slot.m.values()) this.touch(id, e.id, e);
    this.count -= slot.m.size;
    this.dropKey(id);
  }

  /**
   * The current key's entries in canonical order (by serialized user key) after the TTL read rules.
   * As in the WASM backend, expired entries are removed and refreshes applied after the pass.
   */
  scan(): readonly UserEntry[] {
    const ctx = this.ctx;
    const id = ctx.id();
    const slot: MapSlot | undefined = this.live.get(id);
    if (slot === undefined) return NONE;
    const sorted = slot.sorted ?? (slot.sorted = this.sort(slot));
    const ttl = this.ttl;
    if (ttl === undefined) return sorted;
    const now = ctx.clock();
    const out: UserEntry[] = [];
    let expired: UserEntry[] | undefined;
    let refreshed: UserEntry[] | undefined;
    for (const e of sorted) {
      if (isExpired(ttl, e.t, now)) {
        if (hidesExpired(ttl)) {
          (expired ??= []).push(e);
          continue;
        }
      } else if (refreshesOnRead(ttl)) {
        (refreshed ??= []).push(e);
      }
      out.push(e);
    }
    if (expired) for (const e of expired) this.removeEntry(id, slot, e);
    if (refreshed) {
      for (const e of refreshed) {
        if (ctx.tracking) this.touch(id, e.id, e);
        e.t = now;
      }
    }
    return out;
  }

  markAllWritten(): void {
    // PRESENT rather than frozen bytes: this runs as the table is created, so no snapshot pending
    // now covers it, and the next one seals this interval before reading any pre-image
    for (const [id, slot] of this.live as Map<unknown, MapSlot>) {
      const om = this.entryOverlay(id);
      for (const ukId of slot.m.keys()) if (!om.has(ukId)) om.set(ukId, PRESENT);
    }
  }

  /** Guards the values a scan hands out (see guardRead). */
  guardValues(entries: readonly UserEntry[]): void {
    if (this.ctx.pending === 0) return;
    const id = this.ctx.cur;
    for (const e of entries) if (isMutable(e.v)) this.guardRead(id, e);
  }

  isEmpty(): boolean {
    if (this.ttl === undefined) return !this.live.has(this.ctx.id());
    return this.scan().length === 0;
  }

  private sort(slot: MapSlot): UserEntry[] {
    const out = [...slot.m.values()];
    for (const e of out) e.b ??= this.uks.bytesOfId(e.id);
    return out.sort((a, b) => compareBytes(a.b!, b.b!));
  }

  private removeEntry(id: unknown, slot: MapSlot, e: UserEntry): void {
    if (this.ctx.tracking) this.touch(id, e.id, e);
    slot.m.delete(e.id);
    slot.sorted = null;
    this.count--;
    if (slot.m.size === 0) this.dropKey(id);
  }

  /** Records the pre-image before the first write to (id, ukId) in this interval. Call only when tracking. */
  private touch(id: unknown, ukId: unknown, e: UserEntry | undefined): void {
    const om = this.entryOverlay(id);
    const p = om.get(ukId);
    if (p === undefined) {
      om.set(ukId, e === undefined ? ABSENT : this.ctx.pending > 0 ? new Frozen(this.entryBytes(e), true) : PRESENT);
    } else if (p instanceof Frozen) {
      p.written = true;
    }
  }

  private guardRead(id: unknown, e: UserEntry): void {
    const om = this.entryOverlay(id);
    if (!om.has(e.id)) om.set(e.id, new Frozen(this.entryBytes(e), false));
  }

  private entryOverlay(id: unknown): Map<unknown, Pre> {
    let om = this.overlay.m.get(id);
    if (om === undefined) this.overlay.m.set(id, (om = new Map()));
    return om;
  }

  private entryBytes(e: UserEntry): Uint8Array {
    scratch.reset();
    this.writeValue(e, scratch);
    return scratch.bytes().slice();
  }

  private writeValue(e: UserEntry, w: ByteWriter): void {
    if (this.ttl !== undefined) w.f64(e.t);
    this.ser.write(e.v, w);
  }

  private userKeyBytes(e: UserEntry): Uint8Array {
    return (e.b ??= this.uks.bytesOfId(e.id));
  }

  private writePre(p: Pre, w: ByteWriter): void {
    if (!(p instanceof Frozen)) throw new Error(`internal: state '${this.name}' lost a pre-image a snapshot needs`);
    w.raw(p.bytes);
  }

  async collectFull(since: MapOverlay, puts: EntrySink, pace: Pacer): Promise<void> {
    const sid = this.sid;
    // as SlotTable.collectFull: unchanged entries live, changed ones from the overlays
    for (const [id, slot] of this.live as Map<unknown, MapSlot>) {
      for (const e of slot.m.values()) {
        if (entryPreAt(since, id, e.id) !== undefined) continue;
        puts.begin(sid, id);
        puts.w.raw(this.userKeyBytes(e));
        puts.endKey();
        this.writeValue(e, puts.w);
        puts.endValue();
        if (pace.step()) await pace.pause();
      }
    }
    for (let o: MapOverlay | undefined = since; o !== undefined; o = o.next) {
      for (const [id, om] of o.m) {
        for (const [ukId, p] of om) {
          if (p === ABSENT || entryShadowed(since, o, id, ukId)) continue;
          puts.begin(sid, id);
          puts.w.raw(this.uks.bytesOfId(ukId));
          puts.endKey();
          this.writePre(p, puts.w);
          puts.endValue();
          if (pace.step()) await pace.pause();
        }
      }
    }
  }

  async collectIncremental(
    since: MapOverlay,
    changes: MapOverlay,
    puts: EntrySink,
    deletes: EntrySink,
    pace: Pacer,
  ): Promise<void> {
    const sid = this.sid;
    for (const [id, om] of changes.m) {
      for (const [ukId, before] of om) {
        if (!isWrite(before)) continue;
        const now = entryPreAt(since, id, ukId);
        const e = now === undefined ? (this.live.get(id) as MapSlot | undefined)?.m.get(ukId) : undefined;
        if (now === undefined ? e !== undefined : now !== ABSENT) {
          puts.begin(sid, id);
          puts.w.raw(e !== undefined ? this.userKeyBytes(e) : this.uks.bytesOfId(ukId));
          puts.endKey();
          if (e !== undefined) this.writeValue(e, puts.w);
          else this.writePre(now!, puts.w);
          puts.endValue();
        } else if (before !== ABSENT) {
          deletes.begin(sid, id);
          deletes.w.raw(this.uks.bytesOfId(ukId));
          deletes.endKey();
        }
        if (pace.step()) await pace.pause();
      }
    }
  }

  load(id: unknown, key: Key, isObject: boolean, buf: Uint8Array, ukAt: number, ukLen: number, vAt: number, vLen: number): void {
    const uk = this.uks.ser.read(buf, ukAt, ukLen);
    const ukId = this.uks.idOfBytes(uk, buf, ukAt, ukLen);
    let t = 0;
    let off = 0;
    if (this.ttl !== undefined) {
      t = new ByteReader(buf, vAt, vAt + vLen, 'TTL value').f64();
      off = TTL_PREFIX_BYTES;
    }
    const v = this.ser.read(buf, vAt + off, vLen - off);
    let slot: MapSlot | undefined = this.live.get(id);
    if (slot === undefined) {
      slot = new MapSlot();
      this.loadKey(id, key, isObject, slot);
    }
    if (!slot.m.has(ukId)) this.count++;
    slot.m.set(ukId, new UserEntry(ukId, uk, v, t));
    slot.sorted = null;
  }
}
