/**
 * The session windows of one key and where their contents live (Flink's `MergingWindowSet`), as pure
 * logic over a flat array so the window operator can load and store it as one state value.
 *
 * Each live window is a triple `start, end, stateId`: `[start, end)` is the window as the user sees
 * it; `stateId` names the state entry holding its contents. When windows merge, the merged window
 * keeps the state entry of its earliest-starting old window, so only the others' contents move.
 * Invariants: live windows are pairwise disjoint and do not touch (anything that overlaps or touches
 * was merged), sorted by start; a `stateId` lies inside its window, so live windows' ids differ.
 */

/**
 * What {@link MergingWindowSet.addWindow} did: `new` — the window merged with nothing and is live
 * now, with its own start as state id; `contained` — it lay inside a live window, which did not
 * change; `merged` — it merged with live windows into a larger one (see `mergedStateIds`, `removed`).
 */
export type AddKind = 'new' | 'contained' | 'merged';

export class MergingWindowSet {
  /** Live windows: flat `start, end, stateId` triples sorted by start (see the module comment). */
  windows: number[] = [];

  // Result of the last addWindow; fields rather than an object so the per-record path allocates nothing.
  kind: AddKind = 'new';
  /** The live window the added one ended up in. */
  start = 0;
  end = 0;
  stateId = 0;
  /** Merged only: state ids of the replaced windows other than `stateId`, whose contents must move into it. */
  readonly mergedStateIds: number[] = [];
  /** Merged only: flat `start, end` pairs of the live windows that were replaced (their timers may go). */
  readonly removed: number[] = [];

  /** Replaces the set with stored triples (undefined: no live window). Takes ownership of the array. */
  load(flat: number[] | undefined): void {
    this.windows = flat ?? [];
  }

  get size(): number {
    return this.windows.length / 3;
  }

  /** Adds `[start, end)`, merging it with every live window it overlaps or touches; sets the result fields. */
  addWindow(start: number, end: number): AddKind {
    const w = this.windows;
    this.mergedStateIds.length = 0;
    this.removed.length = 0;
    // live windows are sorted and disjoint, so the ones intersecting [start, end] are consecutive
    let first = 0;
    while (first < w.length && w[first + 1]! < start) first += 3;
    let last = first;
    while (last < w.length && w[last]! <= end) last += 3;
    if (first === last) {
      w.splice(first, 0, start, end, start);
      return this.result('new', start, end, start);
    }
    const oldStart = w[first]!;
    const oldEnd = w[last - 2]!;
    const stateId = w[first + 2]!;
    if (last - first === 3 && oldStart <= start && end <= oldEnd) return this.result('contained', oldStart, oldEnd, stateId);
    for (let i = first; i < last; i += 3) {
      this.removed.push(w[i]!, w[i + 1]!);
      if (i !== first) this.mergedStateIds.push(w[i + 2]!);
    }
    const mergedStart = Math.min(start, oldStart);
    const mergedEnd = Math.max(end, oldEnd);
    w.splice(first, last - first, mergedStart, mergedEnd, stateId);
    return this.result('merged', mergedStart, mergedEnd, stateId);
  }

  /** Index (in triples) of the live window `[start, end)`, or -1. */
  indexOf(start: number, end: number): number {
    const w = this.windows;
    for (let i = 0; i < w.length; i += 3) if (w[i] === start && w[i + 1] === end) return i / 3;
    return -1;
  }

  /** Removes the live window at triple index `index` (it fired for the last time, or was late). */
  retire(index: number): void {
    this.windows.splice(index * 3, 3);
  }

  private result(kind: AddKind, start: number, end: number, stateId: number): AddKind {
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.stateId = stateId;
    return kind;
  }
}
