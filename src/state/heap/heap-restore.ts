/**
 * Reading a restore chain (one full snapshot, then incrementals) into serialized entries per state
 * id. The backend decodes the entries of registered states and keeps the rest as they are, so a
 * state registered later (or never) is restored (or written back) without loss.
 *
 * Entries are never copied one by one: each snapshot is copied once (the caller may reuse its
 * buffers) and entries are offsets into the copies. Sections are sorted by (hash, composite), so an
 * incremental applies to the entries before it by a merge, per key group.
 */
import { inChain, readChainHeaders } from '../restore-chain.js';
import { ByteFormatError } from '../byte-reader.js';
import { ByteWriter } from '../byte-writer.js';
import type { ValueRewrite } from '../state-migration.js';
import type { KeyGroupRange } from '../key-groups.js';
import { murmur3 } from '../murmur3.js';
import {
  readSnapshotEntries,
  SnapshotFormatError,
  type SnapshotStateInfo,
} from '../snapshot-format.js';
import { readKey } from '../key-codec.js';
import type { Key } from '../types.js';
import { KeyDecoder } from './heap-keys.js';
import type { EntrySink } from './heap-entry-list.js';
import type { Table } from './heap-table.js';

/** Numbers per entry reference: buffer index, composite offset and length, value offset and length, hash. */
const REF = 6;

/** Restored entries of one state, as offsets into copies of the chain's snapshots. */
export class RawEntries {
  /** Entry i: `refs[6i .. 6i+6)` = buffer, composite offset, composite length, value offset, value length, hash. */
  readonly refs: number[] = [];

  constructor(readonly bufs: readonly Uint8Array[]) {}

  get length(): number {
    return this.refs.length / REF;
  }

  /**
   * The same entries with every value replaced by what `rewrite` appends for it (a migration). An
   * entry's composite and value share one buffer, so both are copied into a new one.
   */
  withValues(rewrite: ValueRewrite): RawEntries {
    const refs = this.refs;
    const w = new ByteWriter(256);
    const at: number[] = [];
    for (let r = 0; r < refs.length; r += REF) {
      const buf = this.bufs[refs[r]!]!;
      const c = w.pos;
      w.raw(buf.subarray(refs[r + 1]!, refs[r + 1]! + refs[r + 2]!));
      const v = w.pos;
      rewrite(buf, refs[r + 3]!, refs[r + 4]!, w);
      at.push(c, v, w.pos - v);
    }
    const out = new RawEntries([w.bytes().slice()]);
    for (let r = 0, k = 0; r < refs.length; r += REF, k += 3) {
      out.refs.push(0, at[k]!, refs[r + 2]!, at[k + 1]!, at[k + 2]!, refs[r + 5]!);
    }
    return out;
  }

  /** Adds entry `k` to a snapshot, as it is. */
  addTo(sink: EntrySink, k: number): void {
    const r = k * REF;
    const refs = this.refs;
    sink.addRaw(refs[r + 5]!, this.bufs[refs[r]!]!, refs[r + 1]!, refs[r + 2]!, refs[r + 3]!, refs[r + 4]!);
  }
}

export interface RestoredChain {
  /** The union of the chain's state tables. */
  readonly states: SnapshotStateInfo[];
  /** Live entries after applying the chain, by state id. */
  readonly entries: Map<number, RawEntries>;
}

/** Per key group: entry references (REF numbers each), in section order. */
type Sections = Map<number, number[]>;

export function readRestoreChain(
  chain: readonly Uint8Array[],
  maxParallelism: number,
  range: KeyGroupRange,
): RestoredChain {
  const { headers, states } = readChainHeaders(chain, maxParallelism);
  // a copy, never Buffer#slice: files read from disk are Buffers, whose slice is a view
  const bufs = chain.map((b) => new Uint8Array(b));
  let live: Sections | undefined;
  headers.forEach((h, i) => {
    const buf = bufs[i]!;
    const ids = new Set(h.states.map((s) => s.id));
    const puts: Sections = new Map();
    const deletes: Sections = new Map();
    inChain(i, () =>
      readSnapshotEntries(buf, h, range, {
        put(kg, c, v) {
          const sid = c[0]! | (c[1]! << 8);
          if (!ids.has(sid)) throw new SnapshotFormatError(`entry of state id ${sid}, which the state table does not list`);
          push(puts, kg, i, c.byteOffset, c.length, v.byteOffset, v.length, hashOf(c));
        },
        delete(kg, c) {
          push(deletes, kg, i, c.byteOffset, c.length, 0, 0, hashOf(c));
        },
      }),
    );
    if (live === undefined) {
      live = puts;
      for (const refs of live.values()) sortRefs(bufs, refs);
      return;
    }
    for (const refs of deletes.values()) sortRefs(bufs, refs);
    for (const refs of puts.values()) sortRefs(bufs, refs);
    for (const kg of new Set([...deletes.keys(), ...puts.keys()])) {
      live.set(kg, applyIncremental(bufs, live.get(kg) ?? [], deletes.get(kg) ?? [], puts.get(kg) ?? []));
    }
  });
  const entries = new Map<number, RawEntries>();
  for (const refs of live!.values()) {
    for (let r = 0; r < refs.length; r += REF) {
      const buf = bufs[refs[r]!]!;
      const c = refs[r + 1]!;
      const sid = buf[c]! | (buf[c + 1]! << 8);
      let raw = entries.get(sid);
      if (raw === undefined) entries.set(sid, (raw = new RawEntries(bufs)));
      for (let k = 0; k < REF; k++) raw.refs.push(refs[r + k]!);
    }
  }
  return { states, entries };
}

function hashOf(c: Uint8Array): number {
  return murmur3(c, 4, 4 + (c[2]! | (c[3]! << 8)));
}

function push(s: Sections, kg: number, buf: number, cOff: number, cLen: number, vOff: number, vLen: number, hash: number): void {
  let refs = s.get(kg);
  if (refs === undefined) s.set(kg, (refs = []));
  refs.push(buf, cOff, cLen, vOff, vLen, hash);
}

/** Order of two references: hash, then composite bytes. */
function compareRefs(bufs: readonly Uint8Array[], a: number[], i: number, b: number[], j: number): number {
  const ha = a[i + 5]!;
  const hb = b[j + 5]!;
  if (ha !== hb) return ha < hb ? -1 : 1;
  const ba = bufs[a[i]!]!;
  const bb = bufs[b[j]!]!;
  const oa = a[i + 1]!;
  const ob = b[j + 1]!;
  const la = a[i + 2]!;
  const lb = b[j + 2]!;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const d = ba[oa + k]! - bb[ob + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/**
 * Makes a section's references sorted and unique (later wins), as a merge needs. Canonical files are
 * sorted already: this is one check per entry, and a sort only for a file that is not.
 */
function sortRefs(bufs: readonly Uint8Array[], refs: number[]): void {
  let ordered = true;
  for (let r = REF; r < refs.length && ordered; r += REF) ordered = compareRefs(bufs, refs, r - REF, refs, r) < 0;
  if (ordered) return;
  const idx = Array.from({ length: refs.length / REF }, (_, k) => k * REF);
  // stable: among equal composites the later stays last
  idx.sort((x, y) => compareRefs(bufs, refs, x, refs, y));
  const out: number[] = [];
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k]!;
    const next = idx[k + 1];
    if (next !== undefined && compareRefs(bufs, refs, r, refs, next) === 0) continue;
    for (let q = 0; q < REF; q++) out.push(refs[r + q]!);
  }
  refs.length = 0;
  for (const x of out) refs.push(x);
}

/** `base` without `deletes`, then with `puts` (replacing equal composites): all sorted, merged. */
function applyIncremental(bufs: readonly Uint8Array[], base: number[], deletes: number[], puts: number[]): number[] {
  const out: number[] = [];
  let d = 0;
  let p = 0;
  for (let b = 0; b < base.length; b += REF) {
    while (d < deletes.length && compareRefs(bufs, deletes, d, base, b) < 0) d += REF;
    if (d < deletes.length && compareRefs(bufs, deletes, d, base, b) === 0) continue;
    while (p < puts.length && compareRefs(bufs, puts, p, base, b) < 0) {
      for (let q = 0; q < REF; q++) out.push(puts[p + q]!);
      p += REF;
    }
    if (p < puts.length && compareRefs(bufs, puts, p, base, b) === 0) continue; // replaced by the put
    for (let q = 0; q < REF; q++) out.push(base[b + q]!);
  }
  for (; p < puts.length; p++) out.push(puts[p]!);
  return out;
}

/** Decodes restored entries into a registered state's table. */
export function loadEntries(table: Table, raw: RawEntries): void {
  const keys = new KeyDecoder();
  const refs = raw.refs;
  try {
    for (let r = 0; r < refs.length; r += REF) {
      const buf = raw.bufs[refs[r]!]!;
      const c = refs[r + 1]!;
      const cLen = refs[r + 2]!;
      const keyLen = buf[c + 2]! | (buf[c + 3]! << 8);
      keys.decode(buf, c + 4, keyLen);
      table.load(keys.id, keys.key, keys.isObject, buf, c + 4 + keyLen, cLen - 4 - keyLen, refs[r + 3]!, refs[r + 4]!);
    }
  } catch (err) {
    if (err instanceof SnapshotFormatError || err instanceof ByteFormatError || err instanceof TypeError || err instanceof RangeError) {
      throw new SnapshotFormatError(`restored state '${table.name}': ${(err as Error).message}`);
    }
    throw err;
  }
}

/** Keys of a state still in serialized form, in canonical order (key group, hash, composite). */
export function rawKeys(raw: RawEntries, maxParallelism: number): Key[] {
  const refs = raw.refs;
  const idx = Array.from({ length: raw.length }, (_, k) => k * REF);
  idx.sort(
    (x, y) => (refs[x + 5]! % maxParallelism) - (refs[y + 5]! % maxParallelism) || compareRefs(raw.bufs, refs, x, refs, y),
  );
  const out: Key[] = [];
  let prev = -1;
  for (const r of idx) {
    // map entries of one key are adjacent: report the key once
    if (prev >= 0 && sameKey(raw, prev, r)) continue;
    const buf = raw.bufs[refs[r]!]!;
    const c = refs[r + 1]!;
    out.push(readKey(buf, c + 4, buf[c + 2]! | (buf[c + 3]! << 8)));
    prev = r;
  }
  return out;
}

function sameKey(raw: RawEntries, a: number, b: number): boolean {
  const refs = raw.refs;
  const ba = raw.bufs[refs[a]!]!;
  const bb = raw.bufs[refs[b]!]!;
  const ca = refs[a + 1]!;
  const cb = refs[b + 1]!;
  const la = ba[ca + 2]! | (ba[ca + 3]! << 8);
  if (la !== (bb[cb + 2]! | (bb[cb + 3]! << 8))) return false;
  for (let k = 0; k < la; k++) if (ba[ca + 4 + k] !== bb[cb + 4 + k]) return false;
  return true;
}
