import { describe, expect, it } from 'vitest';
import { createCodec } from '../src/storage/codec.js';
import { CONTAINER_HEADER_BYTES, encodeFile, FILE_KIND } from '../src/storage/file-container.js';
import {
  decodeCheckpointMetadata,
  encodeCheckpointMetadata,
  referencedFiles,
  validateCheckpointMetadata,
  type CheckpointMetadata,
} from '../src/storage/checkpoint-metadata.js';
import { StorageFormatError } from '../src/storage/storage-error.js';

const PATH = 'chk-7/_metadata';

function sample(): CheckpointMetadata {
  return {
    checkpointId: 7,
    jobId: 'job-a',
    triggerTimestamp: 1_700_000_000_000,
    completionTimestamp: 1_700_000_000_250,
    settings: { mode: 'exactly-once', intervalMs: 1000, retainCount: 2, incremental: true, codec: 'deflate', codecLevel: 1 },
    operators: [
      {
        uid: 'counter',
        parallelism: 2,
        maxParallelism: 128,
        subtasks: [
          {
            subtaskIndex: 0,
            handles: [
              {
                kind: 'keyed-incremental',
                keyGroups: { start: 0, end: 64 },
                chain: [
                  { path: 'shared/base-1.seg', size: 1000 },
                  { path: 'shared/delta-5.seg', size: 40 },
                ],
              },
            ],
          },
          {
            subtaskIndex: 1,
            handles: [{ kind: 'keyed-full', keyGroups: { start: 64, end: 128 }, files: [{ path: 'chk-7/counter-1.state', size: 900 }] }],
          },
        ],
      },
      {
        uid: 'source',
        parallelism: 1,
        maxParallelism: 128,
        subtasks: [{ subtaskIndex: 0, handles: [{ kind: 'operator', files: [{ path: 'chk-7/source-0.offsets', size: 24 }] }] }],
      },
    ],
  };
}

/** Encodes arbitrary JSON as a metadata container, to reach the field validation behind the CRCs. */
async function containerOf(value: unknown): Promise<Uint8Array> {
  return encodeFile(FILE_KIND.metadata, new TextEncoder().encode(JSON.stringify(value)), createCodec('none'));
}

async function decodeError(bytes: Uint8Array): Promise<StorageFormatError> {
  const e = await decodeCheckpointMetadata(bytes, PATH).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StorageFormatError);
  const err = e as StorageFormatError;
  expect(err.path).toBe(PATH);
  expect(err.message).toContain(PATH);
  return err;
}

describe('checkpoint metadata', () => {
  it.each(['none', 'deflate', 'brotli'])('round-trips with codec %s', async (codec) => {
    const bytes = await encodeCheckpointMetadata(sample(), createCodec(codec));
    expect(await decodeCheckpointMetadata(bytes, PATH)).toEqual(sample());
  });

  it('encodes deterministically and drops unknown fields', async () => {
    const extra = { ...sample(), debugNote: 'x' } as CheckpointMetadata;
    const a = await encodeCheckpointMetadata(extra);
    const b = await encodeCheckpointMetadata(sample());
    expect(a).toEqual(b);
  });

  it('lists each referenced file once', () => {
    expect(referencedFiles(sample()).map((f) => f.path)).toEqual([
      'shared/base-1.seg',
      'shared/delta-5.seg',
      'chk-7/counter-1.state',
      'chk-7/source-0.offsets',
    ]);
  });

  it('rejects a flipped payload byte as a checksum error naming the file', async () => {
    const bytes = await encodeCheckpointMetadata(sample());
    bytes[CONTAINER_HEADER_BYTES + 10]! ^= 0x01;
    expect((await decodeError(bytes)).reason).toBe('checksum');
  });

  it('rejects a truncated file naming the file', async () => {
    const bytes = await encodeCheckpointMetadata(sample());
    expect((await decodeError(bytes.subarray(0, bytes.length - 5))).reason).toBe('truncated');
  });

  it('rejects a state segment posing as metadata', async () => {
    const seg = await encodeFile(FILE_KIND.stateSegment, new Uint8Array(8), createCodec('none'));
    expect((await decodeError(seg)).reason).toBe('kind');
  });

  it('rejects bad JSON and an unknown schema version', async () => {
    const notJson = await encodeFile(FILE_KIND.metadata, new TextEncoder().encode('{"checkpointId":'), createCodec('none'));
    expect((await decodeError(notJson)).reason).toBe('payload');
    const v2 = await decodeError(await containerOf({ ...sample(), formatVersion: 2 }));
    expect(v2.reason).toBe('version');
  });

  const bad: [string, (m: any) => void, string][] = [
    ['absolute path', (m) => (m.operators[1].subtasks[0].handles[0].files[0].path = '/etc/passwd'), 'is absolute'],
    ['escaping path', (m) => (m.operators[1].subtasks[0].handles[0].files[0].path = 'chk-7/../../x'), '".."'],
    ['file in another checkpoint', (m) => (m.operators[1].subtasks[0].handles[0].files[0].path = 'chk-6/x'), 'another checkpoint'],
    ['chain outside shared/', (m) => (m.operators[0].subtasks[0].handles[0].chain[0].path = 'chk-7/base.seg'), 'shared/<id>.seg'],
    ['empty chain', (m) => (m.operators[0].subtasks[0].handles[0].chain = []), 'is empty'],
    ['negative size', (m) => (m.operators[0].subtasks[0].handles[0].chain[1].size = -1), 'size'],
    ['key groups past maxParallelism', (m) => (m.operators[0].subtasks[1].handles[0].keyGroups.end = 129), 'keyGroups.end'],
    ['duplicate uid', (m) => (m.operators[1].uid = 'counter'), 'appears twice'],
    ['subtask index >= parallelism', (m) => (m.operators[0].subtasks[1].subtaskIndex = 2), 'subtaskIndex'],
    ['unknown handle kind', (m) => (m.operators[1].subtasks[0].handles[0].kind = 'raw'), 'handle kind'],
    ['completion before trigger', (m) => (m.completionTimestamp = 1), 'completionTimestamp'],
    ['unknown mode', (m) => (m.settings.mode = 'maybe-once'), 'settings.mode'],
    [
      'one file with two sizes',
      (m) => m.operators[1].subtasks[0].handles.push({ kind: 'operator', files: [{ path: 'chk-7/source-0.offsets', size: 25 }] }),
      'sizes 24 and 25',
    ],
  ];
  it.each(bad)('rejects %s, naming the field and the file', async (_name, edit, text) => {
    const m = structuredClone(sample()) as any;
    edit(m);
    const err = await decodeError(await containerOf({ formatVersion: 1, ...m }));
    expect(err.reason).toBe('payload');
    expect(err.message).toContain(text);
    // The writer refuses the same value, so it never produces a checkpoint recovery would reject.
    expect(() => validateCheckpointMetadata(m)).toThrow(StorageFormatError);
  });
});
