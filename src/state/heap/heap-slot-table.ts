/**
 * A table holding one snapshot entry per key (value, reducing, aggregating and list state): the
 * copy-on-write bookkeeping and the snapshot collection they share. Subclasses define the slot
 * (what the live Map holds for a key) and its value bytes.
 */
import type { ByteWriter } from '../byte-writer.js';
import type { Serializer } from '../serializers.js';
import type { StateTtlConfig } from '../types.js';
import type { KeyContext } from './heap-context.js';
import { primitiveTypeOf } from './heap-keys.js';
import type { EntrySink } from './heap-entry-list.js';
import { ABSENT, Frozen, isWrite, PRESENT, preAt, shadowed, type Overlay, type Pre } from './heap-overlay.js';
import type { Pacer } from './heap-pacer.js';
import { scratch, Table } from './heap-table.js';

/** A TTL value (or whole list): the time of its last write, or read under OnReadAndWrite. */
export class TtlCell {
  constructor(
    public t: number,
    public v: any,
  ) {}
}

export abstract class SlotTable extends Table {
  declare overlay: Overlay<Pre>;
  /** typeof the values a built-in serializer takes, checked on write as serializing would. */
  protected readonly type: string | undefined;

  constructor(
    ctx: KeyContext,
    sid: number,
    name: string,
    protected readonly ser: Serializer<any>,
    protected readonly ttl: StateTtlConfig | undefined,
  ) {
    super(ctx, sid, name);
    this.type = primitiveTypeOf(ser);
  }

  /** Appends the snapshot value bytes of a live slot (TTL prefix included). */
  abstract writeSlot(slot: any, w: ByteWriter): void;

  entryCount(): number {
    return this.live.size;
  }

  markAllWritten(): void {
    // no pending snapshot reads this interval's pre-images (see MapTable.markAllWritten)
    for (const id of this.live.keys()) if (!this.overlay.m.has(id)) this.overlay.m.set(id, PRESENT);
  }

  /** The pre-image of a slot whose value a snapshot may still need. */
  protected freeze(slot: any, written: boolean): Pre {
    scratch.reset();
    this.writeSlot(slot, scratch);
    return new Frozen(scratch.bytes().slice(), written);
  }

  /** Records the pre-image before the first write to `id` in this interval. Call only when tracking. */
  protected touch(id: unknown, slot: any): void {
    const p = this.overlay.m.get(id);
    if (p === undefined) this.record(id, slot);
    else if (p instanceof Frozen) p.written = true;
  }

  /** {@link touch} looking up the live slot only on the interval's first write to `id`. */
  protected touchLazily(id: unknown): void {
    const p = this.overlay.m.get(id);
    if (p === undefined) this.record(id, this.live.get(id));
    else if (p instanceof Frozen) p.written = true;
  }

  /** Records `slot` (undefined: absent) as the pre-image of a write to `id`, not yet recorded. */
  private record(id: unknown, slot: any): void {
    this.overlay.m.set(id, slot === undefined ? ABSENT : this.ctx.pending > 0 ? this.freeze(slot, true) : PRESENT);
  }

  /**
   * While a snapshot is pending, a read handing out a mutable object freezes the pre-image first: the
   * user may mutate the object and write it back, and the snapshot must not see the mutation.
   */
  protected guardRead(id: unknown, slot: any): void {
    const m = this.overlay.m;
    if (!m.has(id)) m.set(id, this.freeze(slot, false));
  }

  protected remove(id: unknown, slot: any): void {
    if (this.ctx.tracking) this.touch(id, slot);
    this.dropKey(id);
  }

  protected writePre(p: Pre, w: ByteWriter): void {
    if (p instanceof Frozen) w.raw(p.bytes);
    else if (p === PRESENT || p === ABSENT) throw new Error(`internal: state '${this.name}' lost a pre-image a snapshot needs`);
    else this.writeSlot(p, w);
  }

  async collectFull(since: Overlay<Pre>, puts: EntrySink, pace: Pacer): Promise<void> {
    const sid = this.sid;
    // keys unchanged since the barrier, read live; a key changed meanwhile has its pre-image in an
    // overlay and is taken from there below. A key seen here and changed later is collected twice
    // with equal bytes; the writer drops the duplicate.
    for (const [id, slot] of this.live) {
      if (preAt(since, id) !== undefined) continue;
      puts.begin(sid, id);
      puts.endKey();
      this.writeSlot(slot, puts.w);
      puts.endValue();
      if (pace.step()) await pace.pause();
    }
    // overlays grow (and new ones are chained) while this runs: the loops see the additions
    for (let o: Overlay<Pre> | undefined = since; o !== undefined; o = o.next) {
      for (const [id, p] of o.m) {
        if (p === ABSENT || shadowed(since, o, id)) continue;
        puts.begin(sid, id);
        puts.endKey();
        this.writePre(p, puts.w);
        puts.endValue();
        if (pace.step()) await pace.pause();
      }
    }
  }

  async collectIncremental(
    since: Overlay<Pre>,
    changes: Overlay<Pre>,
    puts: EntrySink,
    deletes: EntrySink,
    pace: Pacer,
  ): Promise<void> {
    const sid = this.sid;
    for (const [id, before] of changes.m) {
      if (!isWrite(before)) continue;
      const now = preAt(since, id);
      const slot = now === undefined ? this.live.get(id) : undefined;
      if (now === undefined ? slot !== undefined : now !== ABSENT) {
        puts.begin(sid, id);
        puts.endKey();
        if (now === undefined) this.writeSlot(slot, puts.w);
        else this.writePre(now, puts.w);
        puts.endValue();
      } else if (before !== ABSENT) {
        deletes.begin(sid, id);
        deletes.endKey();
      }
      if (pace.step()) await pace.pause();
    }
  }
}
