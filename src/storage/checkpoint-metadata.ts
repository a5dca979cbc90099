/**
 * What `chk-<n>/_metadata` holds: the checkpoint, its settings, and per operator uid and subtask the
 * handles to the files that subtask wrote.
 *
 * Encoding: JSON inside the file container (kind `metadata`). The file is a few kilobytes written
 * once per checkpoint, so a binary layout would buy nothing measurable, while JSON stays readable in
 * a debugging tool and grows by adding fields. The container already supplies what matters for
 * safety: magic, kind, version, CRC32s and compression. The JSON carries its own `formatVersion` for
 * changes to this schema. Decoding validates every field, because a reader of a corrupt or foreign
 * file must fail with a message naming the file and the field, never hand back half a checkpoint.
 */
import { decodeFile, encodeFile, FILE_KIND } from './file-container.js';
import { createCodec, defaultCodecs, type Codec, type CodecRegistry } from './codec.js';
import { StorageFormatError } from './storage-error.js';
import { textDecoder, textEncoder } from '../state/byte-writer.js';
import { MAX_MAX_PARALLELISM, type KeyGroupRange } from '../state/key-groups.js';
import { classifyPath, METADATA_FILE, relativePathProblem, SEGMENT_SUFFIX } from './checkpoint-layout.js';

/** Version of the JSON schema below; readers reject others. */
export const METADATA_FORMAT_VERSION = 1;

/** One file a handle uses: job-relative path (see checkpoint-layout.ts) and its exact size. */
export interface FileRef {
  readonly path: string;
  readonly size: number;
}

/** Keyed state written in full by this checkpoint, covering `keyGroups`. */
export interface KeyedFullHandle {
  readonly kind: 'keyed-full';
  readonly keyGroups: KeyGroupRange;
  readonly files: readonly FileRef[];
}

/**
 * Incremental keyed state: `chain[0]` is the base, the rest are deltas in apply order. All live in
 * `shared/` because later checkpoints reuse them.
 */
export interface KeyedIncrementalHandle {
  readonly kind: 'keyed-incremental';
  readonly keyGroups: KeyGroupRange;
  readonly chain: readonly FileRef[];
}

/** Non-keyed (operator) state, e.g. source offsets or pending sink transactions. */
export interface OperatorStateHandle {
  readonly kind: 'operator';
  readonly files: readonly FileRef[];
}

/** A pointer to written state. */
export type StateHandle = KeyedFullHandle | KeyedIncrementalHandle | OperatorStateHandle;

/** What one subtask acknowledged. */
export interface SubtaskStateMetadata {
  readonly subtaskIndex: number;
  readonly handles: readonly StateHandle[];
}

/** State of one operator, matched by `uid` on restore (DESIGN.md point 7). */
export interface OperatorStateMetadata {
  readonly uid: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly subtasks: readonly SubtaskStateMetadata[];
}

/** The settings a checkpoint was taken with, for the UI and for judging a restore; not a config source. */
export interface CheckpointSettingsSummary {
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly intervalMs: number;
  readonly retainCount: number;
  readonly incremental: boolean;
  readonly codec: string;
  readonly codecLevel: number;
}

/**
 * A periodic checkpoint (files relative to the job directory, owned and deleted by weir) or a
 * savepoint (DESIGN.md point 7: files relative to the savepoint directory, which holds nothing else,
 * so it can be moved or copied and still restores; never deleted by weir).
 */
export type SnapshotType = 'checkpoint' | 'savepoint';

/** The content of a `_metadata` file. */
export interface CheckpointMetadata {
  /** Absent means 'checkpoint' (the files written before savepoints existed). */
  readonly type?: SnapshotType;
  /** The keyed-state backend that wrote it; informational, since the format is the same for all. */
  readonly stateBackend?: string;
  readonly checkpointId: number;
  readonly jobId: string;
  /** Epoch milliseconds when the coordinator triggered the checkpoint. */
  readonly triggerTimestamp: number;
  /** Epoch milliseconds when the last acknowledgement arrived. */
  readonly completionTimestamp: number;
  readonly settings: CheckpointSettingsSummary;
  readonly operators: readonly OperatorStateMetadata[];
}

/** Every file a handle uses, in handle order. */
export function handleFiles(handle: StateHandle): readonly FileRef[] {
  return handle.kind === 'keyed-incremental' ? handle.chain : handle.files;
}

/**
 * Every distinct file a checkpoint needs to restore (not `_metadata` itself): what restore checks
 * exists and what retention counts references on.
 */
export function referencedFiles(metadata: CheckpointMetadata): FileRef[] {
  const seen = new Map<string, FileRef>();
  for (const op of metadata.operators) {
    for (const st of op.subtasks) {
      for (const h of st.handles) for (const f of handleFiles(h)) if (!seen.has(f.path)) seen.set(f.path, f);
    }
  }
  return [...seen.values()];
}

/** Collects schema problems with a JSON path, so the error says which field is wrong. */
class Check {
  constructor(
    private readonly checkpointId: number | undefined,
    private readonly type: SnapshotType = 'checkpoint',
  ) {}

  fail(where: string, message: string): never {
    throw new StorageFormatError('payload', `checkpoint metadata: ${where} ${message}`);
  }

  object(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, 'is not an object');
    return v as Record<string, unknown>;
  }

  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) this.fail(where, 'is not an array');
    return v;
  }

  string(v: unknown, where: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(where, 'is not a non-empty string');
    return v;
  }

  bool(v: unknown, where: string): boolean {
    if (typeof v !== 'boolean') this.fail(where, 'is not a boolean');
    return v;
  }

  int(v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(where, `is ${JSON.stringify(v)}, not an integer in ${min}..${max}`);
    }
    return v;
  }

  keyGroups(v: unknown, where: string, maxParallelism: number): KeyGroupRange {
    const o = this.object(v, where);
    const start = this.int(o.start, `${where}.start`, 0, maxParallelism);
    const end = this.int(o.end, `${where}.end`, start, maxParallelism);
    return { start, end };
  }

  file(v: unknown, where: string, allowed: 'shared' | 'any'): FileRef {
    const o = this.object(v, where);
    const path = this.string(o.path, `${where}.path`);
    const problem = relativePathProblem(path);
    if (problem !== undefined) this.fail(`${where}.path`, `"${path}" ${problem}`);
    if (this.type === 'savepoint') {
      // Self-contained: every file sits beside _metadata, so the directory is all there is to copy.
      if (path.includes('/') || path === METADATA_FILE) this.fail(`${where}.path`, `"${path}" is not a file of the savepoint directory`);
      return { path, size: this.int(o.size, `${where}.size`) };
    }
    const area = classifyPath(path);
    if (allowed === 'shared') {
      if (area.area !== 'shared' || !path.endsWith(SEGMENT_SUFFIX)) {
        this.fail(`${where}.path`, `"${path}" is not a shared/<id>${SEGMENT_SUFFIX} segment`);
      }
    } else if (area.area === 'checkpoint') {
      // A file in another checkpoint's directory would vanish when that checkpoint is discarded:
      // only shared/ is reference-counted.
      if (this.checkpointId !== undefined && area.checkpointId !== this.checkpointId) {
        this.fail(`${where}.path`, `"${path}" lies in another checkpoint's directory`);
      }
      if (area.rest === '') this.fail(`${where}.path`, `"${path}" names a directory`);
    } else if (area.area === 'other' || area.rest === '') {
      this.fail(`${where}.path`, `"${path}" is not under chk-<n>/, shared/ or taskowned/`);
    }
    return { path, size: this.int(o.size, `${where}.size`) };
  }

  files(v: unknown, where: string, allowed: 'shared' | 'any', nonEmpty: boolean): FileRef[] {
    const arr = this.array(v, where);
    if (nonEmpty && arr.length === 0) this.fail(where, 'is empty');
    return arr.map((f, i) => this.file(f, `${where}[${i}]`, allowed));
  }

  handle(v: unknown, where: string, maxParallelism: number): StateHandle {
    const o = this.object(v, where);
    switch (o.kind) {
      case 'keyed-full':
        return {
          kind: 'keyed-full',
          keyGroups: this.keyGroups(o.keyGroups, `${where}.keyGroups`, maxParallelism),
          files: this.files(o.files, `${where}.files`, 'any', false),
        };
      case 'keyed-incremental':
        if (this.type === 'savepoint') this.fail(`${where}.kind`, 'is "keyed-incremental", which a savepoint cannot hold');
        return {
          kind: 'keyed-incremental',
          keyGroups: this.keyGroups(o.keyGroups, `${where}.keyGroups`, maxParallelism),
          chain: this.files(o.chain, `${where}.chain`, 'shared', true),
        };
      case 'operator':
        return { kind: 'operator', files: this.files(o.files, `${where}.files`, 'any', false) };
      default:
        return this.fail(`${where}.kind`, `is ${JSON.stringify(o.kind)}, not a known handle kind`);
    }
  }
}

/**
 * Validates a metadata value (from JSON or built in memory) and returns a canonical copy: fixed key
 * order, no unknown fields. Throws {@link StorageFormatError} (reason `payload`) naming the field.
 */
export function validateCheckpointMetadata(value: unknown): CheckpointMetadata {
  const pre: Check = new Check(undefined);
  const root = pre.object(value, '(root)');
  const checkpointId = pre.int(root.checkpointId, 'checkpointId');
  const type = root.type ?? 'checkpoint';
  if (type !== 'checkpoint' && type !== 'savepoint') pre.fail('type', `is ${JSON.stringify(type)}, not "checkpoint" or "savepoint"`);
  const c: Check = new Check(checkpointId, type);
  const stateBackend = root.stateBackend === undefined ? undefined : c.string(root.stateBackend, 'stateBackend');
  const jobId = c.string(root.jobId, 'jobId');
  const triggerTimestamp = c.int(root.triggerTimestamp, 'triggerTimestamp');
  const completionTimestamp = c.int(root.completionTimestamp, 'completionTimestamp', triggerTimestamp);
  const s = c.object(root.settings, 'settings');
  const mode = s.mode;
  if (mode !== 'exactly-once' && mode !== 'at-least-once') {
    c.fail('settings.mode', `is ${JSON.stringify(mode)}, not "exactly-once" or "at-least-once"`);
  }
  const settings: CheckpointSettingsSummary = {
    mode,
    intervalMs: c.int(s.intervalMs, 'settings.intervalMs'),
    retainCount: c.int(s.retainCount, 'settings.retainCount', 1),
    incremental: c.bool(s.incremental, 'settings.incremental'),
    codec: c.string(s.codec, 'settings.codec'),
    codecLevel: c.int(s.codecLevel, 'settings.codecLevel'),
  };
  const uids = new Set<string>();
  const operators = c.array(root.operators, 'operators').map((ov, oi): OperatorStateMetadata => {
    const w = `operators[${oi}]`;
    const o = c.object(ov, w);
    const uid = c.string(o.uid, `${w}.uid`);
    if (uids.has(uid)) c.fail(`${w}.uid`, `"${uid}" appears twice`);
    uids.add(uid);
    const maxParallelism = c.int(o.maxParallelism, `${w}.maxParallelism`, 1, MAX_MAX_PARALLELISM);
    const parallelism = c.int(o.parallelism, `${w}.parallelism`, 1, maxParallelism);
    const indices = new Set<number>();
    const subtasks = c.array(o.subtasks, `${w}.subtasks`).map((sv, si): SubtaskStateMetadata => {
      const sw = `${w}.subtasks[${si}]`;
      const so = c.object(sv, sw);
      const subtaskIndex = c.int(so.subtaskIndex, `${sw}.subtaskIndex`, 0, parallelism - 1);
      if (indices.has(subtaskIndex)) c.fail(`${sw}.subtaskIndex`, `${subtaskIndex} appears twice`);
      indices.add(subtaskIndex);
      const handles = c.array(so.handles, `${sw}.handles`).map((h, hi) => c.handle(h, `${sw}.handles[${hi}]`, maxParallelism));
      return { subtaskIndex, handles };
    });
    return { uid, parallelism, maxParallelism, subtasks };
  });
  const metadata: CheckpointMetadata = {
    ...(type === 'savepoint' ? { type } : {}),
    ...(stateBackend === undefined ? {} : { stateBackend }),
    checkpointId,
    jobId,
    triggerTimestamp,
    completionTimestamp,
    settings,
    operators,
  };
  // One path, one size: two handles disagreeing about a file means one of them is wrong.
  const sizes = new Map<string, number>();
  for (const op of operators) {
    for (const st of op.subtasks) {
      for (const h of st.handles) {
        for (const f of handleFiles(h)) {
          const prev = sizes.get(f.path);
          if (prev !== undefined && prev !== f.size) {
            c.fail('operators', `reference "${f.path}" with sizes ${prev} and ${f.size}`);
          }
          sizes.set(f.path, f.size);
        }
      }
    }
  }
  return metadata;
}

/**
 * Validates and encodes metadata as a `_metadata` file. Validation on write too, so a bug never
 * produces a checkpoint that recovery would reject. Uncompressed by default: it is small and a
 * human may want to look at it.
 *
 * @example const bytes = await encodeCheckpointMetadata(meta);
 */
export async function encodeCheckpointMetadata(
  metadata: CheckpointMetadata,
  codec: Codec = createCodec('none'),
): Promise<Uint8Array> {
  const canonical = validateCheckpointMetadata(metadata);
  const json = JSON.stringify({ formatVersion: METADATA_FORMAT_VERSION, ...canonical });
  return encodeFile(FILE_KIND.metadata, textEncoder.encode(json), codec);
}

/**
 * Decodes and validates a `_metadata` file. Every failure is a {@link StorageFormatError} carrying
 * `path` (the container reasons, or `payload` for bad JSON or a bad field).
 */
export async function decodeCheckpointMetadata(
  bytes: Uint8Array,
  path: string,
  codecs: CodecRegistry = defaultCodecs,
): Promise<CheckpointMetadata> {
  try {
    const raw = await decodeFile(bytes, FILE_KIND.metadata, codecs);
    let value: unknown;
    try {
      value = JSON.parse(textDecoder.decode(raw));
    } catch (e) {
      throw new StorageFormatError('payload', `checkpoint metadata is not valid UTF-8 JSON (${(e as Error).message})`);
    }
    const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
    if (version !== METADATA_FORMAT_VERSION) {
      throw new StorageFormatError(
        'version',
        `checkpoint metadata format version ${JSON.stringify(version)} (this weir reads ${METADATA_FORMAT_VERSION})`,
      );
    }
    return validateCheckpointMetadata(value);
  } catch (e) {
    if (e instanceof StorageFormatError) throw e.withPath(path);
    throw e;
  }
}
