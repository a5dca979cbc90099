/**
 * A "cell" is the one value a key holds under a ValueState, ReducingState or AggregatingState.
 * Numbers without TTL take the fixed-width fast path (stored inline, updated in place, no
 * serialization); everything else goes through the serializer and the TTL rules of ttl.ts.
 */
import type { ValueCell } from '../cell-states.js';
import type { Serializer } from '../serializers.js';
import { Serializers } from '../serializers.js';
import { hidesExpired, isExpired, refreshesOnRead, TTL_PREFIX_BYTES } from '../ttl.js';
import type { StateTtlConfig } from '../types.js';
import type { WasmStateHost } from './wasm-state-host.js';

export type { ValueCell };

class NumberCell implements ValueCell<number> {
  constructor(
    private readonly host: WasmStateHost,
    readonly handle: { id: number },
  ) {}

  read(): number | undefined {
    const ex = this.host.keyedStore().ex;
    return ex.numberFind(this.handle.id) === 0 ? undefined : ex.numberValue();
  }

  /** Nothing to do: every write serializes, so an in-place mutation never reaches the store. */
  prepareWrite(): void {}

  write(value: number): void {
    if (typeof value !== 'number') throw new TypeError(`number state got ${typeof value}`);
    this.host.keyedStore().ex.numberPut(this.handle.id, value);
  }

  clear(): void {
    this.host.keyedStore().ex.removeValue(this.handle.id, 0);
  }
}

class BytesCell<T> implements ValueCell<T> {
  constructor(
    private readonly host: WasmStateHost,
    readonly handle: { id: number },
    private readonly serializer: Serializer<T>,
    private readonly ttl: StateTtlConfig | undefined,
  ) {}

  read(): T | undefined {
    const s = this.host.keyedStore();
    const id = this.handle.id;
    const len = s.ex.getValue(id, 0);
    if (len < 0) return undefined;
    let ptr = s.ex.lastValuePtr();
    s.refresh();
    if (this.ttl) {
      const now = this.host.now();
      if (isExpired(this.ttl, s.dv.getFloat64(ptr, true), now)) {
        if (hidesExpired(this.ttl)) {
          s.ex.removeValue(id, 0);
          return undefined;
        }
      } else if (refreshesOnRead(this.ttl)) {
        s.ex.setValuePrefix(id, 0, now);
      }
      return this.serializer.read(s.u8, ptr + TTL_PREFIX_BYTES, len - TTL_PREFIX_BYTES);
    }
    return this.serializer.read(s.u8, ptr, len);
  }

  /** Nothing to do: every write serializes, so an in-place mutation never reaches the store. */
  prepareWrite(): void {}

  write(value: T): void {
    const s = this.host.keyedStore();
    const w = s.beginWrite();
    if (this.ttl) w.f64(this.host.now());
    this.serializer.write(value, w);
    s.ex.putValue(this.handle.id, 0, w.pos);
  }

  clear(): void {
    this.host.keyedStore().ex.removeValue(this.handle.id, 0);
  }
}

export function valueCell<T>(
  host: WasmStateHost,
  handle: { id: number },
  serializer: Serializer<T>,
  ttl: StateTtlConfig | undefined,
): ValueCell<T> {
  if ((serializer as Serializer<unknown>) === Serializers.number && ttl === undefined) {
    return new NumberCell(host, handle) as unknown as ValueCell<T>;
  }
  return new BytesCell(host, handle, serializer, ttl);
}
