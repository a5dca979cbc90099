/**
 * Writes collected entries as a canonical snapshot file. Byte for byte what `writeSnapshot`
 * (snapshot-format.ts) writes for the same entries, but in slices with yields in between: sorting,
 * copying and checksumming a large state in one synchronous call would stall record processing.
 * The async driver only schedules; the work is in small synchronous functions, which V8 optimizes
 * once and reuses for every slice.
 */
import { crc32 } from 'node:zlib';
import { ByteWriter, varintSize } from '../byte-writer.js';
import { writeSnapshotHeader, type SnapshotHeader } from '../snapshot-format.js';
import { META, type EntryList, type EntrySink } from './heap-entry-list.js';
import { STEPS_PER_YIELD, type Pacer } from './heap-pacer.js';

/** Bytes checksummed between yields. */
const CRC_SLICE = 1 << 20;
/** Entries copied by one synchronous slice. */
const SLICE = STEPS_PER_YIELD;
/** Target bucket size of the bucket sort (buckets are sorted synchronously, one at a time). */
const BUCKET_TARGET = 1024;
/** Bucket entries are sorted as `hash * 2^21 + position`: exact in a double while positions fit. */
const POS_BITS = 21;
const POS_SCALE = 2 ** POS_BITS;

export async function writeSnapshotFile(
  header: Omit<SnapshotHeader, 'indexOffset'>,
  puts: EntrySink,
  deletes: EntrySink,
  pace: Pacer,
): Promise<Uint8Array> {
  const hw = new ByteWriter(256);
  writeSnapshotHeader(hw, header);
  const { start, end } = header.keyGroups;
  const groups = end - start;
  // sort every group first: the file is allocated once, at its exact size
  const putOrders: Uint32Array[] = [];
  const delOrders: Uint32Array[] = [];
  let size = hw.pos + (groups + 1) * 4 + groups * 8 + 4;
  for (let kg = start; kg < end; kg++) {
    // a full snapshot may collect an entry twice (see collectFull): equal composites, equal values
    const p = puts.group(kg);
    const po = p === undefined ? NONE : dedupe(p, await sortedOrder(p, pace));
    const d = deletes.group(kg);
    const dor = d === undefined ? NONE : dedupe(d, await sortedOrder(d, pace));
    if (p !== undefined) size += byteSize(p, po, true);
    if (d !== undefined) size += byteSize(d, dor, false);
    putOrders.push(po);
    delOrders.push(dor);
  }
  const w = new ByteWriter(size);
  w.raw(hw.bytes());
  const indexAt = w.pos;
  w.pos += (groups + 1) * 4;
  for (let kg = start; kg < end; kg++) {
    w.patchU32(indexAt + (kg - start) * 4, w.pos);
    const po = putOrders[kg - start]!;
    const dor = delOrders[kg - start]!;
    w.u32(po.length);
    w.u32(dor.length);
    for (let k = 0; k < po.length; k += SLICE) {
      writeEntries(w, puts.group(kg)!, po, k, Math.min(po.length, k + SLICE), true);
      if (pace.step(Math.min(SLICE, po.length - k))) await pace.pause();
    }
    for (let k = 0; k < dor.length; k += SLICE) {
      writeEntries(w, deletes.group(kg)!, dor, k, Math.min(dor.length, k + SLICE), false);
      if (pace.step(Math.min(SLICE, dor.length - k))) await pace.pause();
    }
  }
  w.patchU32(indexAt + groups * 4, w.pos);

  const body = w.pos;
  let crc = 0;
  for (let off = 0; off < body; off += CRC_SLICE) {
    crc = crc32(w.buf.subarray(off, Math.min(off + CRC_SLICE, body)), crc);
    if (off + CRC_SLICE < body) await pace.pause();
  }
  w.u32(crc >>> 0);
  return w.pos === w.buf.length ? w.buf : w.buf.slice(0, w.pos);
}

const NONE = new Uint32Array(0);

function byteSize(list: EntryList, order: Uint32Array, withValues: boolean): number {
  const meta = list.meta;
  let size = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]! * META;
    const c = meta[i + 1]!;
    size += varintSize(c) + c;
    if (withValues) size += varintSize(meta[i + 2]!) + meta[i + 2]!;
  }
  return size;
}

function writeEntries(w: ByteWriter, list: EntryList, order: Uint32Array, from: number, to: number, withValues: boolean): void {
  const src = list.w.buf;
  const meta = list.meta;
  for (let k = from; k < to; k++) {
    const i = order[k]! * META;
    const at = meta[i]!;
    const c = meta[i + 1]!;
    w.varint(c);
    copy(w, src, at, c);
    if (withValues) {
      const v = meta[i + 2]!;
      w.varint(v);
      copy(w, src, at + c, v);
    }
  }
}

function copy(w: ByteWriter, src: Uint8Array, from: number, len: number): void {
  w.ensure(len);
  const dst = w.buf;
  const pos = w.pos;
  if (len > 32) {
    dst.set(src.subarray(from, from + len), pos);
  } else {
    for (let k = 0; k < len; k++) dst[pos + k] = src[from + k]!;
  }
  w.pos = pos + len;
}

/**
 * Entry indices of one key group in canonical order (hash, then composite bytes). A counting sort by
 * the top hash bits makes buckets of about {@link BUCKET_TARGET} entries, already in order relative
 * to each other; each bucket is then sorted by hash with a native numeric sort, and runs of equal
 * hashes (one key's entries) by bytes.
 */
async function sortedOrder(list: EntryList, pace: Pacer): Promise<Uint32Array> {
  const n = list.length;
  const order = new Uint32Array(n);
  let bits = 0;
  while (bits < 16 && n >>> bits > 2 * BUCKET_TARGET) bits++;
  const meta = list.meta;
  if (bits === 0) {
    for (let i = 0; i < n; i++) order[i] = i;
    if (n > 1) new BucketSorter(list).sort(order, 0, n);
    if (pace.step(n)) await pace.pause();
    return order;
  }
  const shift = 32 - bits;
  const starts = new Uint32Array((1 << bits) + 1);
  for (let i = 0; i < n; i++) starts[(meta[i * META + 3]! >>> shift) + 1]!++;
  for (let b = 0; b < 1 << bits; b++) starts[b + 1]! += starts[b]!;
  const fill = starts.slice(0, 1 << bits);
  for (let i = 0; i < n; i++) order[fill[meta[i * META + 3]! >>> shift]!++] = i;
  const sorter = new BucketSorter(list);
  for (let b = 0; b < 1 << bits; b++) {
    const s = starts[b]!;
    const e = starts[b + 1]!;
    if (e - s > 1) sorter.sort(order, s, e);
    if (pace.step(e - s)) await pace.pause();
  }
  return order;
}

class BucketSorter {
  private keys = new Float64Array(BUCKET_TARGET * 4);
  private tmp = new Uint32Array(BUCKET_TARGET * 4);
  private readonly byBytes: (i: number, j: number) => number;

  constructor(private readonly list: EntryList) {
    this.byBytes = (i, j) => list.compareComposites(i, j);
  }

  /** Sorts `order[s, e)` by hash, then composite bytes. */
  sort(order: Uint32Array, s: number, e: number): void {
    const n = e - s;
    const meta = this.list.meta;
    if (n > POS_SCALE) {
      order.subarray(s, e).sort((i, j) => meta[i * META + 3]! - meta[j * META + 3]! || this.byBytes(i, j));
      return;
    }
    if (this.keys.length < n) {
      this.keys = new Float64Array(n);
      this.tmp = new Uint32Array(n);
    }
    const keys = this.keys.subarray(0, n);
    for (let k = 0; k < n; k++) keys[k] = meta[order[s + k]! * META + 3]! * POS_SCALE + k;
    keys.sort();
    const tmp = this.tmp;
    for (let k = 0; k < n; k++) tmp[k] = order[s + (keys[k]! % POS_SCALE)]!;
    order.set(tmp.subarray(0, n), s);
    // equal hashes: the entries of one key (or a collision), ordered by their bytes
    let r = s;
    while (r < e) {
      const h = meta[order[r]! * META + 3]!;
      let re = r + 1;
      while (re < e && meta[order[re]! * META + 3] === h) re++;
      if (re - r > 1) order.subarray(r, re).sort(this.byBytes);
      r = re;
    }
  }
}

/** Drops entries whose composite equals the previous one's (sorted input). */
function dedupe(list: EntryList, order: Uint32Array): Uint32Array {
  const meta = list.meta;
  let n = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (n > 0) {
      const prev = order[n - 1]!;
      if (meta[prev * META + 3] === meta[i * META + 3] && list.compareComposites(prev, i) === 0) continue;
    }
    order[n++] = i;
  }
  return n === order.length ? order : order.subarray(0, n);
}
