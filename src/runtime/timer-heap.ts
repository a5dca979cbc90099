/**
 * A binary min-heap of (timestamp, sequence, key) entries in parallel arrays: two float slots and one
 * reference per entry, no object per timer, so millions of pending timers cost tens of bytes each.
 * Ordered by timestamp, then by sequence (registration order). Entries are never removed from the
 * middle: the owner deletes lazily (see timer-queue.ts).
 */
import type { Key } from '../state/types.js';

const INITIAL_CAPACITY = 64;

export class TimerHeap {
  /** times[i] <= times[2i+1], times[2i+2] (ties by seqs); keys[i] is entry i's key. */
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private keys: Key[] = [];
  private count = 0;
  private nextSeq = 0;

  get size(): number {
    return this.count;
  }

  /** The earliest entry's timestamp, or undefined when empty. */
  peekTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[0];
  }

  /** The earliest entry's key; only when not empty. */
  peekKey(): Key {
    return this.keys[0]!;
  }

  push(timestamp: number, key: Key): void {
    if (this.count === this.times.length) this.grow();
    let i = this.count++;
    const seq = this.nextSeq++;
    // sift up: move parents down until the new entry's place is found
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent]!;
      if (pt < timestamp || (pt === timestamp && this.seqs[parent]! < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = timestamp;
    this.seqs[i] = seq;
    this.keys[i] = key;
  }

  /** Removes the earliest entry (the one `peekTime`/`peekKey` show). */
  pop(): void {
    const n = --this.count;
    if (n === 0) {
      this.keys.length = 0;
      return;
    }
    const t = this.times[n]!;
    const s = this.seqs[n]!;
    const k = this.keys[n]!;
    this.keys.length = n;
    // sift down the last entry from the root
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(right, left) ? right : left;
      const ct = this.times[child]!;
      if (ct > t || (ct === t && this.seqs[child]! > s)) break;
      this.move(child, i);
      i = child;
    }
    this.times[i] = t;
    this.seqs[i] = s;
    this.keys[i] = k;
  }

  private before(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.keys[to] = this.keys[from]!;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }
}
