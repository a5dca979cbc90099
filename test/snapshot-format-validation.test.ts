import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { keyBytes, keyHash } from '../src/state/key-codec.js';
import {
  compareBytes,
  compareEntries,
  compositeHash,
  compositeKey,
  readSnapshotEntries,
  readSnapshotHeader,
  SNAPSHOT_FIXED_HEADER,
  SNAPSHOT_MAGIC,
  SnapshotFormatError,
  splitComposite,
  writeSnapshot,
  type SnapshotEntry,
  type SnapshotHeader,
  type SnapshotStateInfo,
} from '../src/state/snapshot-format.js';
import { keyGroupRange, type KeyGroupRange } from '../src/state/key-groups.js';
import type { Key } from '../src/state/types.js';
import { withFixedCrc } from './support/snapshot-contents.js';

const MAX_P = 8;
const STATES: SnapshotStateInfo[] = [
  { id: 0, kind: 'value', ttl: false, name: 'count', serializerId: 'number@1' },
  { id: 1, kind: 'map', ttl: true, name: 'seen', serializerId: 'string@1->json@1' },
];

interface Put {
  kg: number;
  composite: string;
  value: string;
}

function entry(stateId: number, key: Key, value?: number[], userKey?: number[]): SnapshotEntry & { kg: number } {
  const composite = compositeKey(stateId, keyBytes(key), userKey && Uint8Array.from(userKey));
  const hash = keyHash(key);
  return { hash, composite, value: value && Uint8Array.from(value), kg: hash % MAX_P };
}

const KEYS: Key[] = ['a', 'b', 'c', 1, 2, 3, 4, 5, true, 10n, { id: 7 }];

function sampleEntries(): { puts: ReturnType<typeof entry>[]; deletes: ReturnType<typeof entry>[] } {
  const puts = KEYS.flatMap((k, i) => [entry(0, k, [i, 0, 0, 0, 0, 0, 0, 0]), entry(1, k, [1, 2, 3], [0x61 + i])]);
  const deletes = [entry(0, 'gone'), entry(1, 'gone-too', undefined, [0x7a])];
  return { puts, deletes };
}

function build(
  kind: 'full' | 'incremental',
  range: KeyGroupRange = keyGroupRange(0, MAX_P),
  withDeletes = kind === 'incremental',
): Uint8Array {
  const { puts, deletes } = sampleEntries();
  return writeSnapshot({ kind, maxParallelism: MAX_P, keyGroups: range, states: STATES }, (kg) => ({
    puts: puts.filter((e) => e.kg === kg).sort(compareEntries),
    deletes: withDeletes ? deletes.filter((e) => e.kg === kg).sort(compareEntries) : [],
  }));
}

function readAll(bytes: Uint8Array, range?: KeyGroupRange) {
  const header = readSnapshotHeader(bytes);
  const events: string[] = [];
  const puts: Put[] = [];
  readSnapshotEntries(bytes, header, range ?? header.keyGroups, {
    put(kg, c, v) {
      events.push(`put ${kg}`);
      puts.push({ kg, composite: hex(c), value: hex(v) });
    },
    delete(kg, c) {
      events.push(`delete ${kg} ${hex(c)}`);
    },
  });
  return { header, puts, events };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function expectFormatError(call: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SnapshotFormatError);
  expect((error as Error).message).toMatch(message);
}

describe('snapshot format: layout', () => {
  it('writes the header of docs/state-layer.md', () => {
    const bytes = build('incremental', keyGroupRange(2, 7));
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('WSNP');
    expect(v.getUint32(0, true)).toBe(SNAPSHOT_MAGIC);
    expect(bytes[4]).toBe(2); // version
    expect(bytes[5]).toBe(1); // incremental
    expect(v.getUint16(6, true)).toBe(MAX_P);
    expect(v.getUint16(8, true)).toBe(2); // first key group
    expect(v.getUint16(10, true)).toBe(5); // count
    const tableLen = v.getUint32(12, true);
    expect(v.getUint16(SNAPSHOT_FIXED_HEADER, true)).toBe(STATES.length);
    // state 0: u16 id, u8 kind, u8 flags, varint nameLen + name, varint idLen + id
    const s0 = bytes.subarray(SNAPSHOT_FIXED_HEADER + 2, SNAPSHOT_FIXED_HEADER + 2 + 4 + 1 + 5 + 1 + 8);
    expect(hex(s0)).toBe('0000' + '00' + '00' + '05' + hex(Buffer.from('count')) + '08' + hex(Buffer.from('number@1')));
    // index: count + 1 offsets; the first points right after itself, the last at the trailer
    const indexAt = SNAPSHOT_FIXED_HEADER + tableLen;
    expect(v.getUint32(indexAt, true)).toBe(indexAt + 6 * 4);
    expect(v.getUint32(indexAt + 5 * 4, true)).toBe(bytes.length - 4);
    expect(v.getUint32(bytes.length - 4, true)).toBe(crc32(bytes.subarray(0, bytes.length - 4)) >>> 0);
  });

  it('reads back the header and state table', () => {
    const { header } = readAll(build('full', keyGroupRange(1, 6)));
    expect(header).toMatchObject<Partial<SnapshotHeader>>({
      kind: 'full',
      maxParallelism: MAX_P,
      keyGroups: { start: 1, end: 6 },
      states: STATES,
    });
  });

  it('reads back every put, in key-group then canonical order', () => {
    const { puts } = readAll(build('full'));
    const expected = sampleEntries()
      .puts.sort((a, b) => a.kg - b.kg || compareEntries(a, b))
      .map((e) => ({ kg: e.kg, composite: hex(e.composite), value: hex(e.value!) }));
    expect(puts).toEqual(expected);
  });

  it('hands each key group its deletes before its puts', () => {
    const { events } = readAll(build('incremental'));
    const deleteGroups = sampleEntries().deletes.map((e) => e.kg);
    for (const kg of deleteGroups) {
      const firstPut = events.indexOf(`put ${kg}`);
      const del = events.findIndex((e) => e.startsWith(`delete ${kg} `));
      expect(del).toBeGreaterThanOrEqual(0);
      if (firstPut >= 0) expect(del).toBeLessThan(firstPut);
    }
  });

  it('reads only the key groups asked for', () => {
    const { puts } = readAll(build('full'), keyGroupRange(3, 5));
    expect(puts.length).toBeGreaterThan(0);
    expect(new Set(puts.map((p) => p.kg))).toEqual(new Set(sampleEntries().puts.map((e) => e.kg).filter((kg) => kg === 3 || kg === 4)));
  });

  it('writes an empty snapshot (no states, no key groups) that reads back', () => {
    const bytes = writeSnapshot({ kind: 'full', maxParallelism: 1, keyGroups: keyGroupRange(0, 0), states: [] }, () => ({ puts: [], deletes: [] }));
    const { header, puts } = readAll(bytes);
    expect(header.states).toEqual([]);
    expect(puts).toEqual([]);
  });
});

describe('snapshot format: composite keys and order', () => {
  it('composite = u16 stateId | u16 keyLen | key | user key, and splits back', () => {
    const key = keyBytes('k');
    const c = compositeKey(0x1234, key, Uint8Array.of(9, 9));
    expect(hex(c)).toBe('3412' + '0200' + hex(key) + '0909');
    const parts = splitComposite(c);
    expect(parts.stateId).toBe(0x1234);
    expect(hex(parts.key)).toBe(hex(key));
    expect(hex(parts.userKey)).toBe('0909');
    expect(compositeHash(c)).toBe(keyHash('k'));
  });

  it('rejects composites shorter than they claim', () => {
    expectFormatError(() => splitComposite(Uint8Array.of(0, 0, 1)), /shorter than its header/);
    expectFormatError(() => splitComposite(Uint8Array.of(0, 0, 5, 0, 1)), /claims a 5-byte key/);
  });

  it('orders bytes as unsigned, a prefix first; entries by unsigned hash first', () => {
    expect(compareBytes(Uint8Array.of(0x7f), Uint8Array.of(0x80))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(0);
    const lo = { hash: 0x7fffffff, composite: Uint8Array.of(0xff) };
    const hi = { hash: 0x80000000, composite: Uint8Array.of(0x00) };
    expect(compareEntries(lo, hi)).toBeLessThan(0);
    expect(compareEntries(hi, lo)).toBeGreaterThan(0);
  });
});

describe('snapshot format: validation', () => {
  const good = build('incremental');

  it('rejects every single flipped bit-pattern byte, wherever it is', () => {
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] = bad[i]! ^ 0x5a;
      expectFormatError(() => readAll(bad), /checksum|magic|version/);
    }
  });

  it.each([0, 1, 4, 19, 20, 40])('rejects a file truncated to %i bytes', (n) => {
    expectFormatError(() => readAll(good.subarray(0, n)), /truncated|checksum|magic/);
  });

  it('rejects a file truncated anywhere (checksum)', () => {
    for (const n of [good.length - 1, good.length - 4, good.length - 5, Math.floor(good.length / 2)]) {
      expectFormatError(() => readAll(good.subarray(0, n)), /checksum mismatch.*corrupt or truncated/);
    }
  });

  it('rejects a wrong magic before anything else', () => {
    const bad = good.slice();
    bad[0] = 0x58;
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /not a weir snapshot: bad magic/);
  });

  it('rejects another format version, naming both', () => {
    const bad = good.slice();
    bad[4] = 3;
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /unsupported snapshot format version 3 \(this weir reads 1 to 2\)/);
  });

  it('rejects an unknown snapshot kind', () => {
    const bad = good.slice();
    bad[5] = 7;
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /unknown kind 7/);
  });

  it('rejects a key-group range that does not fit maxParallelism', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint16(8, 3, true); // start 3 + count 8 > 8
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /do not fit maxParallelism 8/);
  });

  it('rejects a state table longer than the file', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(12, 1_000_000, true);
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /truncated/);
  });

  it('rejects stray bytes in the state table', () => {
    // claim one state fewer: the second state's bytes are left over
    const bad = good.slice();
    new DataView(bad.buffer).setUint16(SNAPSHOT_FIXED_HEADER, 1, true);
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /stray bytes in state table/);
  });

  it('rejects an unknown state kind', () => {
    const bad = good.slice();
    bad[SNAPSHOT_FIXED_HEADER + 4] = 9;
    expectFormatError(() => readSnapshotHeader(withFixedCrc(bad)), /state 0 has unknown kind 9/);
  });

  function indexAt(bytes: Uint8Array): number {
    return readSnapshotHeader(bytes).indexOffset;
  }

  it('rejects key-group offsets out of order', () => {
    const bad = good.slice();
    const v = new DataView(bad.buffer);
    const at = indexAt(good);
    // swap the offsets of key groups 1 and 2 (both sections are non-empty: 8 bytes of counts)
    const a = v.getUint32(at + 4, true);
    const b = v.getUint32(at + 8, true);
    v.setUint32(at + 4, b, true);
    v.setUint32(at + 8, a, true);
    expectFormatError(() => readAll(withFixedCrc(bad)), /key group 2 offset .* out of order or out of bounds/);
  });

  it('rejects sections that do not end where the file body ends', () => {
    const bad = good.slice();
    const v = new DataView(bad.buffer);
    const at = indexAt(good);
    v.setUint32(at + MAX_P * 4, v.getUint32(at + MAX_P * 4, true) - 1, true);
    expectFormatError(() => readAll(withFixedCrc(bad)), /sections end at/);
  });

  it('rejects an entry stored in the wrong key group', () => {
    // a snapshot whose writer files every entry under key group 0
    const { puts } = sampleEntries();
    const misplaced = puts.find((e) => e.kg !== 0)!;
    const bytes = writeSnapshot({ kind: 'full', maxParallelism: MAX_P, keyGroups: keyGroupRange(0, 1), states: STATES }, () => ({
      puts: [misplaced],
      deletes: [],
    }));
    expectFormatError(() => readAll(bytes), new RegExp(`belongs to key group ${misplaced.kg}, found in 0`));
  });

  it('rejects a section whose counts overrun it', () => {
    const bad = good.slice();
    const v = new DataView(bad.buffer);
    const at = indexAt(good);
    const section0 = v.getUint32(at, true);
    v.setUint32(section0, v.getUint32(section0, true) + 100, true); // putCount
    expectFormatError(() => readAll(withFixedCrc(bad)), /snapshot key group 0: truncated/);
  });

  it('rejects stray bytes at the end of a section', () => {
    const bad = good.slice();
    const v = new DataView(bad.buffer);
    const at = indexAt(good);
    // find a group with at least one put and pretend it has one put fewer
    for (let kg = 0; kg < MAX_P; kg++) {
      const off = v.getUint32(at + kg * 4, true);
      if (v.getUint32(off, true) > 0) {
        v.setUint32(off, v.getUint32(off, true) - 1, true);
        expectFormatError(() => readAll(withFixedCrc(bad)), new RegExp(`key group ${kg}: \\d+ stray bytes`));
        return;
      }
    }
    throw new Error('no key group with puts');
  });
});
