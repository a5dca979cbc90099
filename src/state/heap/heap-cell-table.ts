/**
 * One value per key: ValueState, ReducingState (the reduced value) and AggregatingState (the
 * accumulator). Without TTL the live Map holds the value itself; with TTL a {@link TtlCell}.
 */
import type { ByteWriter } from '../byte-writer.js';
import { ByteReader, ByteFormatError } from '../byte-reader.js';
import { hidesExpired, isExpired, refreshesOnRead, TTL_PREFIX_BYTES } from '../ttl.js';
import type { ValueCell } from '../cell-states.js';
import type { Key } from '../types.js';
import { isMutable } from './heap-keys.js';
import type { Pre } from './heap-overlay.js';
import { SlotTable, TtlCell } from './heap-slot-table.js';
import { checkValue, keptKey } from './heap-table.js';

/** Stands for a stored `undefined` (json state), so a Map miss always means "absent". */
const UNDEF = Object.freeze({ undefinedValue: true });

export class CellTable extends SlotTable implements ValueCell<any> {

  /** The current key's value (undefined when absent), after the TTL read rules. */
  read(): any {
    const ctx = this.ctx;
    const id = ctx.id();
    const slot = this.live.get(id);
    if (slot === undefined) return undefined;
    let v: any;
    const ttl = this.ttl;
    if (ttl === undefined) {
      v = slot === UNDEF ? undefined : slot;
    } else {
      const now = ctx.clock();
      if (isExpired(ttl, slot.t, now)) {
        if (hidesExpired(ttl)) {
          this.remove(id, slot);
          return undefined;
        }
      } else if (refreshesOnRead(ttl)) {
        if (ctx.tracking) this.touch(id, slot);
        slot.t = now;
      }
      v = slot.v;
    }
    if (ctx.pending > 0 && isMutable(v)) this.guardRead(id, slot);
    return v;
  }

  /**
   * Records the current key's pre-image ahead of a write whose new value a user function computes
   * from the old one, possibly mutating it in place (reduce, add).
   */
  prepareWrite(): void {
    const id = this.ctx.id();
    if (this.ctx.tracking) this.touchLazily(id);
  }

  write(v: any): void {
    const ctx = this.ctx;
    const id = ctx.id();
    checkValue(this.ser, this.type, v);
    if (ctx.tracking) this.touchLazily(id);
    if (this.ttl === undefined) {
      if (ctx.isObject && !this.live.has(id)) this.objectKeys.set(id, keptKey(ctx.key!));
      this.live.set(id, v === undefined ? UNDEF : v);
      return;
    }
    const slot = this.live.get(id);
    if (slot === undefined) {
      this.insertKey(id, new TtlCell(ctx.clock(), v));
    } else {
      slot.t = ctx.clock();
      slot.v = v;
    }
  }

  clear(): void {
    const id = this.ctx.id();
    const slot = this.live.get(id);
    if (slot !== undefined) this.remove(id, slot);
  }

  writeSlot(slot: any, w: ByteWriter): void {
    if (this.ttl === undefined) {
      this.ser.write(slot === UNDEF ? undefined : slot, w);
    } else {
      w.f64(slot.t);
      this.ser.write(slot.v, w);
    }
  }

  protected override freeze(slot: any, written: boolean): Pre {
    // a primitive cannot change under us: keep it as is (no bytes to allocate)
    if (written && this.ttl === undefined && !isMutable(slot)) return slot as Pre;
    return super.freeze(slot, written);
  }

  load(id: unknown, key: Key, isObject: boolean, buf: Uint8Array, _ukAt: number, ukLen: number, vAt: number, vLen: number): void {
    if (ukLen > 0) throw new ByteFormatError(`${ukLen} user-key bytes on an entry of a ${this.name} state`);
    let slot: unknown;
    if (this.ttl === undefined) {
      const v = this.ser.read(buf, vAt, vLen);
      slot = v === undefined ? UNDEF : v;
    } else {
      const t = new ByteReader(buf, vAt, vAt + vLen, 'TTL value').f64();
      slot = new TtlCell(t, this.ser.read(buf, vAt + TTL_PREFIX_BYTES, vLen - TTL_PREFIX_BYTES));
    }
    this.loadKey(id, key, isObject, slot);
  }
}
