/** Keyed state handles of the WASM backend. Byte layouts: docs/state-layer.md. */
import { ByteReader } from '../byte-reader.js';
import type { Serializer } from '../serializers.js';
import { hidesExpired, isExpired, refreshesOnRead, TTL_PREFIX_BYTES } from '../ttl.js';
import type {
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  StateTtlConfig,
} from '../types.js';
import type { WasmStateHost } from './wasm-state-host.js';
import type { WasmStore } from './wasm-store.js';

/** A state's id can change when a restore adopts the snapshot's ids; handles read it each time. */
export interface StateHandle {
  id: number;
}

/**
 * Reads the value at the last get and applies the TTL read rules. Returns the payload offset, or -1
 * when the value counts as absent (and was deleted if it expired).
 */
function ttlPayload(
  s: WasmStore,
  host: WasmStateHost,
  ttl: StateTtlConfig,
  id: number,
  ukLen: number,
  ptr: number,
): number {
  const now = host.now();
  if (isExpired(ttl, s.dv.getFloat64(ptr, true), now)) {
    if (hidesExpired(ttl)) {
      s.ex.removeValue(id, ukLen);
      return -1;
    }
  } else if (refreshesOnRead(ttl)) {
    s.ex.setValuePrefix(id, ukLen, now);
  }
  return ptr + TTL_PREFIX_BYTES;
}

export class WasmListState<T> implements ListState<T> {
  private readonly ser: Serializer<T>;
  private readonly ttl: StateTtlConfig | undefined;
  constructor(
    private readonly host: WasmStateHost,
    private readonly handle: StateHandle,
    d: ListStateDescriptor<T>,
  ) {
    this.ser = d.serializer;
    this.ttl = d.ttl;
  }

  get(): T[] {
    const s = this.host.keyedStore();
    const len = s.ex.getValue(this.handle.id, 0);
    if (len < 0) return [];
    const ptr = s.ex.lastValuePtr();
    s.refresh();
    const start = this.ttl ? ttlPayload(s, this.host, this.ttl, this.handle.id, 0, ptr) : ptr;
    if (start < 0) return [];
    // a TTL refresh may have touched memory; views are re-read
    s.refresh();
    const r = new ByteReader(s.u8, start, ptr + len, 'list state');
    const out: T[] = [];
    while (r.remaining() > 0) {
      const n = r.varint();
      r.need(n);
      out.push(this.ser.read(s.u8, r.pos, n));
      r.pos += n;
    }
    return out;
  }

  add(value: T): void {
    this.append([value]);
  }

  addAll(values: readonly T[]): void {
    if (values.length > 0) this.append(values);
  }

  update(values: readonly T[]): void {
    if (values.length === 0) {
      this.clear();
      return;
    }
    const s = this.host.keyedStore();
    const w = s.beginWrite();
    if (this.ttl) w.f64(this.host.now());
    for (const v of values) {
      const m = w.beginLengthPrefixed();
      this.ser.write(v, w);
      w.endLengthPrefixed(m);
    }
    s.ex.putValue(this.handle.id, 0, w.pos);
  }

  clear(): void {
    this.host.keyedStore().ex.removeValue(this.handle.id, 0);
  }

  private append(values: readonly T[]): void {
    const s = this.host.keyedStore();
    const id = this.handle.id;
    if (this.ttl && hidesExpired(this.ttl) && s.ex.getValue(id, 0) >= 0) {
      // an expired list is gone: the appended elements start a new one
      s.refresh();
      if (isExpired(this.ttl, s.dv.getFloat64(s.ex.lastValuePtr(), true), this.host.now())) s.ex.removeValue(id, 0);
    }
    const w = s.beginWrite();
    for (const v of values) {
      const m = w.beginLengthPrefixed();
      this.ser.write(v, w);
      w.endLengthPrefixed(m);
    }
    s.ex.appendValue(id, w.pos, this.ttl ? this.host.now() : 0, this.ttl ? 1 : 0);
  }
}

export class WasmMapState<UK, UV> implements MapState<UK, UV> {
  private readonly keySer: Serializer<UK>;
  private readonly ser: Serializer<UV>;
  private readonly ttl: StateTtlConfig | undefined;
  constructor(
    private readonly host: WasmStateHost,
    private readonly handle: StateHandle,
    d: MapStateDescriptor<UK, UV>,
  ) {
    this.keySer = d.keySerializer;
    this.ser = d.serializer;
    this.ttl = d.ttl;
  }

  /** Writes the user key into scratch; returns its length. */
  private userKey(s: WasmStore, userKey: UK): number {
    const w = s.beginWrite();
    this.keySer.write(userKey, w);
    return w.pos;
  }

  /** End of the payload the last successful {@link locate} found. */
  private payloadEnd = 0;

  /**
   * Start of the user key's value payload (its end in `payloadEnd`), or -1 if absent or expired.
   * Two numbers rather than a tuple: this runs on every get/contains.
   */
  private locate(s: WasmStore, ukLen: number): number {
    const len = s.ex.getValue(this.handle.id, ukLen);
    if (len < 0) return -1;
    const ptr = s.ex.lastValuePtr();
    s.refresh();
    const start = this.ttl ? ttlPayload(s, this.host, this.ttl, this.handle.id, ukLen, ptr) : ptr;
    if (start < 0) return -1;
    s.refresh();
    this.payloadEnd = ptr + len;
    return start;
  }

  get(userKey: UK): UV | undefined {
    const s = this.host.keyedStore();
    const start = this.locate(s, this.userKey(s, userKey));
    return start < 0 ? undefined : this.ser.read(s.u8, start, this.payloadEnd - start);
  }

  contains(userKey: UK): boolean {
    const s = this.host.keyedStore();
    return this.locate(s, this.userKey(s, userKey)) >= 0;
  }

  put(userKey: UK, value: UV): void {
    const s = this.host.keyedStore();
    const w = s.beginWrite();
    this.keySer.write(userKey, w);
    const ukLen = w.pos;
    if (this.ttl) w.f64(this.host.now());
    this.ser.write(value, w);
    s.ex.putValue(this.handle.id, ukLen, w.pos - ukLen);
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }

  remove(userKey: UK): void {
    const s = this.host.keyedStore();
    s.ex.removeValue(this.handle.id, this.userKey(s, userKey));
  }

  clear(): void {
    this.host.keyedStore().ex.removePrefix(this.handle.id);
  }

  entries(): Array<[UK, UV]> {
    const out: Array<[UK, UV]> = [];
    this.scan((k, v) => out.push([k(), v()]));
    return out;
  }

  keys(): UK[] {
    const out: UK[] = [];
    this.scan((k) => out.push(k()));
    return out;
  }

  values(): UV[] {
    const out: UV[] = [];
    this.scan((_k, v) => out.push(v()));
    return out;
  }

  isEmpty(): boolean {
    let empty = true;
    this.scan(() => {
      empty = false;
    });
    return empty;
  }

  /**
   * Visits the current key's live entries in canonical order, with lazy decoders. Expired entries
   * are skipped and, under NeverReturnExpired, deleted after the scan (the cursor must not see
   * the table change); refreshes under OnReadAndWrite likewise happen after it.
   */
  private scan(visit: (key: () => UK, value: () => UV) => void): void {
    const s = this.host.keyedStore();
    const id = this.handle.id;
    s.ex.cursorPrefix(id);
    const now = this.ttl ? this.host.now() : 0;
    let expired: Uint8Array[] | undefined;
    let refreshed: Uint8Array[] | undefined;
    for (let rec = s.ex.cursorNext(); rec !== 0; rec = s.ex.cursorNext()) {
      s.refresh();
      const u8 = s.u8;
      const klen = s.dv.getUint16(rec + 4, true);
      const vlen = s.dv.getUint32(rec, true);
      const keyLen = s.dv.getUint16(rec + 10, true);
      const ukAt = rec + 8 + 4 + keyLen;
      const ukLen = klen - 4 - keyLen;
      let vAt = rec + 8 + klen;
      let vLen = vlen;
      if (this.ttl) {
        if (isExpired(this.ttl, s.dv.getFloat64(vAt, true), now)) {
          if (hidesExpired(this.ttl)) {
            (expired ??= []).push(u8.slice(ukAt, ukAt + ukLen));
            continue;
          }
        } else if (refreshesOnRead(this.ttl)) {
          (refreshed ??= []).push(u8.slice(ukAt, ukAt + ukLen));
        }
        vAt += TTL_PREFIX_BYTES;
        vLen -= TTL_PREFIX_BYTES;
      }
      visit(
        () => this.keySer.read(u8, ukAt, ukLen),
        () => this.ser.read(u8, vAt, vLen),
      );
    }
    for (const uk of expired ?? []) this.withUserKey(s, uk, (n) => s.ex.removeValue(id, n));
    for (const uk of refreshed ?? []) this.withUserKey(s, uk, (n) => s.ex.setValuePrefix(id, n, now));
  }

  private withUserKey(s: WasmStore, uk: Uint8Array, fn: (len: number) => void): void {
    const w = s.beginWrite();
    w.raw(uk);
    fn(w.pos);
  }
}
