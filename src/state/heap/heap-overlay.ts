/**
 * Copy-on-write overlays. Each state table keeps one overlay per snapshot interval: on the first
 * write to an entry after a snapshot, the entry's pre-image (its value at that snapshot) is recorded.
 * An overlay is therefore both the dirty set of its interval (what the next incremental snapshot
 * writes) and, chained with the overlays after it, the undo log that lets a pending snapshot read
 * the state as of its barrier while the live Maps keep changing.
 */

/** Pre-image markers: the entry did not exist / existed (value not kept: no snapshot needed it). */
export class Marker {
  constructor(readonly name: string) {}
}
export const ABSENT = new Marker('absent');
export const PRESENT = new Marker('present');

/**
 * A pre-image kept as its snapshot value bytes (TTL prefix included), so later in-place mutation of
 * the live object cannot reach it. `written` is false when it was taken on a read during a pending
 * snapshot (the user may mutate what a read returned before writing it back): such an entry is no
 * change for incremental snapshots until a write sets the flag.
 */
export class Frozen {
  constructor(
    readonly bytes: Uint8Array,
    public written: boolean,
  ) {}
}

/**
 * A pre-image: a marker, frozen bytes, or (value states without TTL) the primitive value itself.
 * Never `undefined`, which Map lookups use for "not recorded".
 */
export type Pre = Marker | Frozen | number | string | boolean | bigint;

/** Entry identity → pre-image; for MapState, key identity → (user-key identity → pre-image). */
export class Overlay<P> {
  readonly m = new Map<unknown, P>();
  /** The overlay of the next interval, set when this one is sealed by a snapshot. */
  next: Overlay<P> | undefined = undefined;
}

/** Whether a pre-image came from a write (rather than a protective read). */
export function isWrite(p: Pre): boolean {
  return !(p instanceof Frozen) || p.written;
}

/** The value of `id` at the snapshot whose first overlay is `from`; undefined: unchanged, read live. */
export function preAt(from: Overlay<Pre>, id: unknown): Pre | undefined {
  for (let o: Overlay<Pre> | undefined = from; o !== undefined; o = o.next) {
    const p = o.m.get(id);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Like {@link preAt} for one user entry of a MapState. */
export function entryPreAt(from: Overlay<Map<unknown, Pre>>, id: unknown, ukId: unknown): Pre | undefined {
  for (let o: Overlay<Map<unknown, Pre>> | undefined = from; o !== undefined; o = o.next) {
    const p = o.m.get(id)?.get(ukId);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Whether an overlay in `[from, to)` holds `id`: then it, not `to`, has the value at `from`'s snapshot. */
export function shadowed(from: Overlay<Pre>, to: Overlay<Pre>, id: unknown): boolean {
  for (let o = from; o !== to; o = o.next!) if (o.m.has(id)) return true;
  return false;
}

export function entryShadowed(
  from: Overlay<Map<unknown, Pre>>,
  to: Overlay<Map<unknown, Pre>>,
  id: unknown,
  ukId: unknown,
): boolean {
  for (let o = from; o !== to; o = o.next!) if (o.m.get(id)?.has(ukId)) return true;
  return false;
}
