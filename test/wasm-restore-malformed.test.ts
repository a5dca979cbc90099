// A malformed snapshot body must fail inside WASM with an error, never read or write outside its
// buffer and never crash the instance. The CRC is recomputed after each mutation so that the
// bounds checks of assembly/restore.ts — not the checksum — are what is being tested.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { createKeyedStateBackend } from '../src/state/backend-factory.js';
import { valueState, mapState, listState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import { SnapshotFormatError, readSnapshotHeader } from '../src/state/snapshot-format.js';

async function sampleSnapshot(): Promise<Uint8Array> {
  const b = createKeyedStateBackend('wasm', { maxParallelism: 16 });
  const count = b.getState(valueState('count', Serializers.number));
  const names = b.getListState(listState('names', Serializers.string));
  const attrs = b.getMapState(mapState('attrs', Serializers.string, Serializers.json));
  for (let i = 0; i < 60; i++) {
    b.setCurrentKey(i % 3 === 0 ? `user-${i}` : i);
    count.update(i);
    names.add(`n${i}`);
    attrs.put(`a${i % 4}`, { i });
  }
  return b.snapshot({ incremental: false }).bytes();
}

function resealed(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)) >>> 0, true);
  return bytes;
}

describe('wasm restore of malformed snapshots', () => {
  it('rejects random corruption of the body with SnapshotFormatError and stays usable', async () => {
    const good = await sampleSnapshot();
    const bodyStart = readSnapshotHeader(good).indexOffset;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
        async (edits) => {
          const bad = good.slice();
          for (const e of edits) bad[bodyStart + (e.at % (bad.length - 4 - bodyStart))] = e.value;
          resealed(bad);
          const target = createKeyedStateBackend('wasm', { maxParallelism: 16 });
          try {
            target.restore([bad]);
          } catch (e) {
            expect(e).toBeInstanceOf(SnapshotFormatError);
          }
          // whatever happened, the backend still works
          const c = target.getState(valueState('count', Serializers.number));
          target.setCurrentKey('probe');
          c.update(1);
          expect(c.value()).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the failure for a length that runs past its section', async () => {
    const good = await sampleSnapshot();
    const h = readSnapshotHeader(good);
    const view = new DataView(good.buffer, good.byteOffset);
    // first non-empty key group: make its first entry's key length huge
    for (let g = 0; g < 16; g++) {
      const at = view.getUint32(h.indexOffset + g * 4, true);
      if (view.getUint32(at, true) > 0) {
        const bad = good.slice();
        bad[at + 8] = 0xff;
        bad[at + 9] = 0x7f;
        resealed(bad);
        expect(() => createKeyedStateBackend('wasm', { maxParallelism: 16 }).restore([bad])).toThrow(
          /corrupt: truncated: an entry runs past the end of its key-group section \(at byte \d+\)/,
        );
        return;
      }
    }
    throw new Error('sample snapshot has no entries');
  });

  it('rejects an index whose offsets go backwards', async () => {
    const good = await sampleSnapshot();
    const h = readSnapshotHeader(good);
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(h.indexOffset + 4, 3, true);
    resealed(bad);
    expect(() => createKeyedStateBackend('wasm', { maxParallelism: 16 }).restore([bad])).toThrow(
      /key-group index offsets out of order or out of bounds/,
    );
  });
});
