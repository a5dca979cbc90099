/**
 * ValueState, ReducingState and AggregatingState over a "cell": the one value a key holds, as a
 * backend stores it (heap: a table of JS values; wasm: inline numbers or serialized bytes). The
 * state semantics are written once here; backends provide cells.
 */
import type { AggregatingState, AggregatingStateDescriptor, ReducingState, ValueState } from './types.js';

export interface ValueCell<T> {
  /** The current key's value (undefined when absent), after the TTL read rules. */
  read(): T | undefined;
  /**
   * Announces a write whose value a user function derived from the one just read — it may have
   * mutated that object in place, so a backend holding references records its pre-image first.
   */
  prepareWrite(): void;
  write(value: T): void;
  clear(): void;
}

/** `t` is public and replaceable: a backend may swap the cell when a restore rebuilds its storage. */
export class CellValueState<T, C extends ValueCell<T> = ValueCell<T>> implements ValueState<T> {
  constructor(public t: C) {}
  value(): T | undefined {
    return this.t.read();
  }
  update(value: T): void {
    this.t.write(value);
  }
  clear(): void {
    this.t.clear();
  }
}

export class CellReducingState<T, C extends ValueCell<T> = ValueCell<T>> implements ReducingState<T> {
  constructor(
    public t: C,
    private readonly reduce: (a: T, b: T) => T,
  ) {}
  get(): T | undefined {
    return this.t.read();
  }
  add(value: T): void {
    const t = this.t;
    const old = t.read();
    if (old === undefined) {
      t.write(value);
      return;
    }
    t.prepareWrite(); // reduce may mutate `old` in place
    t.write(this.reduce(old, value));
  }
  clear(): void {
    this.t.clear();
  }
}

export class CellAggregatingState<IN, ACC, OUT, C extends ValueCell<ACC> = ValueCell<ACC>>
  implements AggregatingState<IN, OUT>
{
  constructor(
    public t: C,
    private readonly d: AggregatingStateDescriptor<IN, ACC, OUT>,
  ) {}
  get(): OUT | undefined {
    const acc = this.t.read();
    return acc === undefined ? undefined : this.d.getResult(acc);
  }
  add(value: IN): void {
    const t = this.t;
    const acc = t.read();
    t.prepareWrite(); // add may mutate the accumulator in place
    t.write(this.d.add(value, acc === undefined ? this.d.createAccumulator() : acc));
  }
  clear(): void {
    this.t.clear();
  }
}
