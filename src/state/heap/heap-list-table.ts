/**
 * ListState: a JS array per key (never empty), or a {@link TtlCell} holding it when the state has a
 * TTL; one timestamp covers the whole list.
 */
import type { ByteWriter } from '../byte-writer.js';
import { ByteFormatError, ByteReader } from '../byte-reader.js';
import { hidesExpired, isExpired, refreshesOnRead } from '../ttl.js';
import type { Key } from '../types.js';
import { SlotTable, TtlCell } from './heap-slot-table.js';
import { checkValue } from './heap-table.js';

export class ListTable extends SlotTable {

  /** A copy of the current key's list (empty when absent), after the TTL read rules. */
  get(): any[] {
    const ctx = this.ctx;
    const id = ctx.id();
    const slot = this.live.get(id);
    if (slot === undefined) return [];
    let list: any[];
    const ttl = this.ttl;
    if (ttl === undefined) {
      list = slot;
    } else {
      const now = ctx.clock();
      if (isExpired(ttl, slot.t, now)) {
        if (hidesExpired(ttl)) {
          this.remove(id, slot);
          return [];
        }
      } else if (refreshesOnRead(ttl)) {
        if (ctx.tracking) this.touch(id, slot);
        slot.t = now;
      }
      list = slot.v;
    }
    if (ctx.pending > 0 && this.type === undefined) this.guardRead(id, slot);
    return list.slice();
  }

  add(value: any): void {
    checkValue(this.ser, this.type, value);
    this.appendTarget().push(value);
  }

  addAll(values: readonly any[]): void {
    if (values.length === 0) return;
    this.check(values);
    const list = this.appendTarget();
    for (const v of values) list.push(v);
  }

  update(values: readonly any[]): void {
    if (values.length === 0) {
      this.clear();
      return;
    }
    this.check(values);
    const ctx = this.ctx;
    const id = ctx.id();
    const slot = this.live.get(id);
    if (ctx.tracking) this.touch(id, slot);
    const list = values.slice();
    if (this.ttl === undefined) {
      if (slot === undefined) this.insertKey(id, list);
      else this.live.set(id, list);
    } else if (slot === undefined) {
      this.insertKey(id, new TtlCell(ctx.clock(), list));
    } else {
      slot.t = ctx.clock();
      slot.v = list;
    }
  }

  clear(): void {
    const id = this.ctx.id();
    const slot = this.live.get(id);
    if (slot !== undefined) this.remove(id, slot);
  }

  /**
   * The current key's list to append to, created if absent, its pre-image recorded and its TTL
   * refreshed. An expired list under NeverReturnExpired is gone: appended elements start a new one.
   */
  private appendTarget(): any[] {
    const ctx = this.ctx;
    const id = ctx.id();
    let slot = this.live.get(id);
    const ttl = this.ttl;
    const now = ttl === undefined ? 0 : ctx.clock();
    if (slot !== undefined && ttl !== undefined && hidesExpired(ttl) && isExpired(ttl, slot.t, now)) {
      this.remove(id, slot);
      slot = undefined;
    }
    if (ctx.tracking) this.touch(id, slot);
    if (slot === undefined) {
      const list: any[] = [];
      this.insertKey(id, ttl === undefined ? list : new TtlCell(now, list));
      return list;
    }
    if (ttl === undefined) return slot;
    slot.t = now;
    return slot.v;
  }

  private check(values: readonly any[]): void {
    for (const v of values) checkValue(this.ser, this.type, v);
  }

  writeSlot(slot: any, w: ByteWriter): void {
    let list: readonly any[] = slot;
    if (this.ttl !== undefined) {
      w.f64(slot.t);
      list = slot.v;
    }
    for (const v of list) {
      const mark = w.beginLengthPrefixed();
      this.ser.write(v, w);
      w.endLengthPrefixed(mark);
    }
  }

  load(id: unknown, key: Key, isObject: boolean, buf: Uint8Array, _ukAt: number, ukLen: number, vAt: number, vLen: number): void {
    if (ukLen > 0) throw new ByteFormatError(`${ukLen} user-key bytes on an entry of a list state`);
    const r = new ByteReader(buf, vAt, vAt + vLen, 'list state');
    const t = this.ttl === undefined ? 0 : r.f64();
    const list: any[] = [];
    while (r.remaining() > 0) {
      const n = r.varint();
      r.need(n);
      list.push(this.ser.read(buf, r.pos, n));
      r.pos += n;
    }
    this.loadKey(id, key, isObject, this.ttl === undefined ? list : new TtlCell(t, list));
  }
}
