/**
 * The canonical snapshot file (docs/state-layer.md, "Snapshot file"): header, state table, key-group
 * index, per-group sections of sorted puts and deletes, CRC32 trailer. Both backends write it; this
 * module writes the parts both share, writes whole bodies for the heap backend, and reads and
 * validates any snapshot.
 */
import { crc32 } from 'node:zlib';
import { ByteReader, ByteFormatError } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { murmur3 } from './murmur3.js';
import { STATE_KIND_CODE, type StateKind } from './types.js';
import type { KeyGroupRange } from './key-groups.js';

export const SNAPSHOT_MAGIC = 0x504e5357; // "WSNP" read as LE u32
/** The version written. Version 1 (no schema in the state table) is still read. */
export const SNAPSHOT_VERSION = 2;
const OLDEST_READABLE_VERSION = 1;
/** Bytes before the state table. */
export const SNAPSHOT_FIXED_HEADER = 16;

/** A snapshot that failed validation: names what is wrong and where. */
export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

/** One registered state as recorded in a snapshot. */
export interface SnapshotStateInfo {
  readonly id: number;
  readonly kind: StateKind;
  readonly ttl: boolean;
  readonly name: string;
  readonly serializerId: string;
  /** The value serializer's schema, when it declares one (see `Serializer.schema`); absent in version 1. */
  readonly schema?: string;
}

export interface SnapshotHeader {
  readonly kind: 'full' | 'incremental';
  readonly maxParallelism: number;
  readonly keyGroups: KeyGroupRange;
  readonly states: readonly SnapshotStateInfo[];
  /** Offset of the key-group index. */
  readonly indexOffset: number;
}

const KIND_BY_CODE: readonly StateKind[] = ['value', 'list', 'map', 'reducing', 'aggregating'];

/** Writes magic, version, kind, key-group range and state table; returns the index offset. */
export function writeSnapshotHeader(w: ByteWriter, h: Omit<SnapshotHeader, 'indexOffset'>): number {
  w.u32(SNAPSHOT_MAGIC);
  w.u8(SNAPSHOT_VERSION);
  w.u8(h.kind === 'full' ? 0 : 1);
  w.u16(h.maxParallelism);
  w.u16(h.keyGroups.start);
  w.u16(h.keyGroups.end - h.keyGroups.start);
  const tableLenAt = w.pos;
  w.u32(0);
  const tableStart = w.pos;
  w.u16(h.states.length);
  for (const s of h.states) {
    w.u16(s.id);
    w.u8(STATE_KIND_CODE[s.kind]);
    w.u8(s.ttl ? 1 : 0);
    w.string(s.name);
    w.string(s.serializerId);
    w.string(s.schema ?? ''); // empty: no schema
  }
  w.patchU32(tableLenAt, w.pos - tableStart);
  return w.pos;
}

/** Validates the CRC trailer and the header; throws {@link SnapshotFormatError}. */
export function readSnapshotHeader(bytes: Uint8Array): SnapshotHeader {
  if (bytes.length < SNAPSHOT_FIXED_HEADER + 4) {
    throw new SnapshotFormatError(`snapshot truncated: ${bytes.length} bytes is shorter than any snapshot`);
  }
  const r = new ByteReader(bytes, 0, bytes.length - 4, 'snapshot');
  const magic = r.u32();
  if (magic !== SNAPSHOT_MAGIC) {
    throw new SnapshotFormatError(`not a weir snapshot: bad magic 0x${magic.toString(16)}`);
  }
  const version = r.u8();
  if (version < OLDEST_READABLE_VERSION || version > SNAPSHOT_VERSION) {
    throw new SnapshotFormatError(
      `unsupported snapshot format version ${version} (this weir reads ${OLDEST_READABLE_VERSION} to ${SNAPSHOT_VERSION})`,
    );
  }
  verifySnapshotChecksum(bytes);
  try {
    const kindCode = r.u8();
    if (kindCode > 1) throw new SnapshotFormatError(`snapshot: unknown kind ${kindCode}`);
    const maxParallelism = r.u16();
    const start = r.u16();
    const count = r.u16();
    if (maxParallelism === 0 || start + count > maxParallelism) {
      throw new SnapshotFormatError(
        `snapshot: key groups [${start}, ${start + count}) do not fit maxParallelism ${maxParallelism}`,
      );
    }
    const tableLen = r.u32();
    const tableEnd = r.pos + tableLen;
    r.need(tableLen);
    const t = new ByteReader(bytes, r.pos, tableEnd, 'snapshot state table');
    const n = t.u16();
    const states: SnapshotStateInfo[] = [];
    for (let i = 0; i < n; i++) {
      const id = t.u16();
      const code = t.u8();
      const kind = KIND_BY_CODE[code];
      if (kind === undefined) throw new SnapshotFormatError(`snapshot: state ${id} has unknown kind ${code}`);
      const ttl = (t.u8() & 1) === 1;
      const name = t.string();
      const serializerId = t.string();
      const schema = version >= 2 ? t.string() : '';
      states.push(schema === '' ? { id, kind, ttl, name, serializerId } : { id, kind, ttl, name, serializerId, schema });
    }
    if (t.remaining() !== 0) throw new SnapshotFormatError(`snapshot: ${t.remaining()} stray bytes in state table`);
    return {
      kind: kindCode === 0 ? 'full' : 'incremental',
      maxParallelism,
      keyGroups: { start, end: start + count },
      states,
      indexOffset: tableEnd,
    };
  } catch (e) {
    throw asSnapshotError(e);
  }
}

export function verifySnapshotChecksum(bytes: Uint8Array): void {
  const end = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + end, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, end)) >>> 0;
  if (stored !== actual) {
    throw new SnapshotFormatError(
      `snapshot checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}): ` +
        'the file is corrupt or truncated',
    );
  }
}

/** Appends the CRC32 of everything written so far. */
export function appendSnapshotChecksum(w: ByteWriter): void {
  const crc = crc32(w.bytes()) >>> 0;
  w.u32(crc);
}

function asSnapshotError(e: unknown): Error {
  if (e instanceof SnapshotFormatError) return e;
  if (e instanceof ByteFormatError) return new SnapshotFormatError(e.message);
  return e as Error;
}

/** One entry of a snapshot section, ready to be written in sort order. */
export interface SnapshotEntry {
  /** murmur3 of the key bytes inside `composite`. */
  readonly hash: number;
  readonly composite: Uint8Array;
  /** `undefined` for a delete. */
  readonly value?: Uint8Array;
}

/** Canonical entry order inside a key group: hash, then bytes. */
export function compareEntries(a: SnapshotEntry, b: SnapshotEntry): number {
  if (a.hash !== b.hash) return a.hash < b.hash ? -1 : 1;
  return compareBytes(a.composite, b.composite);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Builds a composite key: u16 stateId, u16 keyLen, key bytes, optional user-key bytes. */
export function compositeKey(stateId: number, key: Uint8Array, userKey?: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + key.length + (userKey?.length ?? 0));
  out[0] = stateId & 0xff;
  out[1] = stateId >>> 8;
  out[2] = key.length & 0xff;
  out[3] = key.length >>> 8;
  out.set(key, 4);
  if (userKey) out.set(userKey, 4 + key.length);
  return out;
}

/** The parts of a composite key, as views into it. */
export interface CompositeParts {
  readonly stateId: number;
  readonly key: Uint8Array;
  readonly userKey: Uint8Array;
}

export function splitComposite(c: Uint8Array): CompositeParts {
  if (c.length < 4) throw new SnapshotFormatError(`composite key of ${c.length} bytes is shorter than its header`);
  const stateId = c[0]! | (c[1]! << 8);
  const keyLen = c[2]! | (c[3]! << 8);
  if (4 + keyLen > c.length) {
    throw new SnapshotFormatError(`composite key claims a ${keyLen}-byte key but has ${c.length - 4} bytes`);
  }
  return { stateId, key: c.subarray(4, 4 + keyLen), userKey: c.subarray(4 + keyLen) };
}

/** murmur3 of the key bytes inside a composite key. */
export function compositeHash(c: Uint8Array): number {
  const keyLen = c[2]! | (c[3]! << 8);
  return murmur3(c, 4, 4 + keyLen);
}

/**
 * Writes a whole snapshot from entries grouped by key group. `group(kg)` returns that group's
 * entries, already in canonical order (puts and deletes in separate arrays).
 */
export function writeSnapshot(
  header: Omit<SnapshotHeader, 'indexOffset'>,
  group: (kg: number) => { puts: readonly SnapshotEntry[]; deletes: readonly SnapshotEntry[] },
  w = new ByteWriter(1 << 16),
): Uint8Array {
  w.reset();
  writeSnapshotHeader(w, header);
  const { start, end } = header.keyGroups;
  const indexAt = w.pos;
  w.ensure((end - start + 1) * 4);
  w.pos += (end - start + 1) * 4;
  for (let kg = start; kg < end; kg++) {
    w.patchU32(indexAt + (kg - start) * 4, w.pos);
    const { puts, deletes } = group(kg);
    w.u32(puts.length);
    w.u32(deletes.length);
    for (const e of puts) {
      w.varint(e.composite.length);
      w.raw(e.composite);
      w.varint(e.value!.length);
      w.raw(e.value!);
    }
    for (const e of deletes) {
      w.varint(e.composite.length);
      w.raw(e.composite);
    }
  }
  w.patchU32(indexAt + (end - start) * 4, w.pos);
  appendSnapshotChecksum(w);
  return w.bytes().slice();
}

/** Receives the entries of a snapshot; views are valid only during the call. */
export interface SnapshotVisitor {
  put(keyGroup: number, composite: Uint8Array, value: Uint8Array): void;
  delete(keyGroup: number, composite: Uint8Array): void;
}

/**
 * Reads and validates the sections of the key groups in `range` (intersected with the snapshot's),
 * calling the visitor for each delete and then each put of a group, group by group.
 */
export function readSnapshotEntries(
  bytes: Uint8Array,
  header: SnapshotHeader,
  range: KeyGroupRange,
  visitor: SnapshotVisitor,
): void {
  try {
    const { start, end } = header.keyGroups;
    const count = end - start;
    const body = bytes.length - 4;
    const idx = new ByteReader(bytes, header.indexOffset, body, 'snapshot index');
    idx.need((count + 1) * 4);
    const offsets = new Array<number>(count + 1);
    let prev = header.indexOffset + (count + 1) * 4;
    for (let i = 0; i <= count; i++) {
      const off = idx.u32();
      if (off < prev || off > body) {
        throw new SnapshotFormatError(`snapshot index: key group ${start + i} offset ${off} out of order or out of bounds`);
      }
      offsets[i] = prev = off;
    }
    if (offsets[count] !== body) {
      throw new SnapshotFormatError(`snapshot index: sections end at ${offsets[count]}, file body ends at ${body}`);
    }
    const from = Math.max(start, range.start);
    const to = Math.min(end, range.end);
    for (let kg = from; kg < to; kg++) {
      const r = new ByteReader(bytes, offsets[kg - start]!, offsets[kg - start + 1]!, `snapshot key group ${kg}`);
      const puts = r.u32();
      const deletes = r.u32();
      const putsAt = r.pos;
      // deletes come after puts in the file but are applied first
      for (let i = 0; i < puts; i++) {
        r.bytes(r.varint());
        r.bytes(r.varint());
      }
      for (let i = 0; i < deletes; i++) {
        visitor.delete(kg, checkedComposite(r.bytes(r.varint()), kg, header.maxParallelism, r.pos));
      }
      if (r.remaining() !== 0) throw new SnapshotFormatError(`snapshot key group ${kg}: ${r.remaining()} stray bytes`);
      r.pos = putsAt;
      for (let i = 0; i < puts; i++) {
        const c = checkedComposite(r.bytes(r.varint()), kg, header.maxParallelism, r.pos);
        visitor.put(kg, c, r.bytes(r.varint()));
      }
    }
  } catch (e) {
    throw asSnapshotError(e);
  }
}

function checkedComposite(c: Uint8Array, kg: number, maxParallelism: number, at: number): Uint8Array {
  splitComposite(c);
  const actual = compositeHash(c) % maxParallelism;
  if (actual !== kg) {
    throw new SnapshotFormatError(`snapshot: entry ending at byte ${at} belongs to key group ${actual}, found in ${kg}`);
  }
  return c;
}
