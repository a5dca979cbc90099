/**
 * State schema evolution (docs/state-layer.md, "State evolution"): deciding at registration whether a
 * restored state's bytes can be read by the serializer registered now, and rewriting them when they
 * must be migrated. Runs once per restored state, never per record.
 */
import { ByteFormatError, ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import type { SchemaCompatibility, Serializer, SerializerSnapshot } from './serializers.js';
import type { SnapshotStateInfo } from './snapshot-format.js';
import { TTL_PREFIX_BYTES } from './ttl.js';
import type { StateDescriptor } from './types.js';

/**
 * A restored state cannot be read with the serializer it is registered with. Thrown by the
 * registration (`getState` etc., typically in `open()`), so before any record is processed.
 */
export class StateMigrationError extends Error {
  constructor(
    readonly stateName: string,
    /** What the snapshot recorded. */
    readonly previous: SerializerSnapshot,
    /** What the state is registered with now. */
    readonly current: SerializerSnapshot,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `state '${stateName}' cannot be restored: it was written with serializer ${describe(previous)} ` +
        `and is registered with ${describe(current)}: ${reason}`,
      options,
    );
    this.name = 'StateMigrationError';
  }
}

function describe(s: SerializerSnapshot): string {
  return s.schema === undefined ? s.id : `${s.id} (schema ${s.schema})`;
}

/** Reads one value in the format a snapshot recorded. */
export type ValueReader = (buf: Uint8Array, offset: number, length: number) => unknown;

/** Map states record `userKeySerializerId->valueSerializerId`; other states the value serializer's id. */
export function serializerIdOf(d: StateDescriptor): string {
  return d.kind === 'map' ? `${d.keySerializer.id}->${d.serializer.id}` : d.serializer.id;
}

/**
 * Resolves a registration against the restored state's recorded serializer: `undefined` when the
 * restored bytes read as they are, the reader of the old format when they must be migrated; throws
 * {@link StateMigrationError} when they cannot be read. Only the value serializer may evolve: a
 * map's user keys are part of its composite keys (their bytes place and order entries), so its
 * user-key serializer must keep its id.
 */
export function resolveStateMigration(d: StateDescriptor, prior: SnapshotStateInfo): ValueReader | undefined {
  const previous: SerializerSnapshot = { id: prior.serializerId, schema: prior.schema };
  const current: SerializerSnapshot = { id: serializerIdOf(d), schema: d.serializer.schema };
  let previousValue = previous;
  if (d.kind === 'map') {
    const keyPrefix = `${d.keySerializer.id}->`;
    if (!prior.serializerId.startsWith(keyPrefix)) {
      const reason = 'the user-key serializer changed, and user keys (part of every entry key) cannot be migrated';
      throw new StateMigrationError(d.name, previous, current, reason);
    }
    previousValue = { id: prior.serializerId.slice(keyPrefix.length), schema: prior.schema };
  }
  let c: SchemaCompatibility<unknown>;
  try {
    c = compatibility(d.serializer, previousValue);
  } catch (e) {
    throw new StateMigrationError(d.name, previous, current, `resolveCompatibility threw: ${(e as Error).message}`, { cause: e });
  }
  if (c.kind === 'compatible') return undefined;
  if (c.kind === 'incompatible') throw new StateMigrationError(d.name, previous, current, c.reason);
  const read = c.read;
  return (buf, offset, length) => {
    try {
      return read(buf, offset, length);
    } catch (e) {
      throw new StateMigrationError(d.name, previous, current, `reading an old value failed: ${(e as Error).message}`, { cause: e });
    }
  };
}

/** The serializer's own answer, or the default rule: the same id (and schema) and nothing else. */
function compatibility(ser: Serializer<unknown>, previous: SerializerSnapshot): SchemaCompatibility<unknown> {
  // a snapshot without a schema (format 1, or a serializer that declares none) is matched by id
  if (previous.id === ser.id && (previous.schema === undefined || previous.schema === ser.schema)) {
    return { kind: 'compatible' };
  }
  if (ser.resolveCompatibility !== undefined) return ser.resolveCompatibility(previous);
  return {
    kind: 'incompatible',
    reason:
      previous.id === ser.id
        ? 'its schema changed, and the serializer declares no resolveCompatibility'
        : `serializer ${ser.id} declares no resolveCompatibility, so it reads only its own format`,
  };
}

/** Appends the new value bytes for the old value `buf[offset, offset + length)`. */
export type ValueRewrite = (buf: Uint8Array, offset: number, length: number, out: ByteWriter) => void;

/**
 * Rewrites the value bytes of one restored entry of `d` from the old format (`readOld`) into its
 * serializer's: the TTL prefix kept, a list's elements one by one, any other value whole
 * (docs/state-layer.md, "Values"). A map entry's value is one user value; its user key stays.
 */
export function valueRewrite(d: StateDescriptor, readOld: ValueReader): ValueRewrite {
  const ser = d.serializer as Serializer<unknown>;
  const ttl = d.ttl !== undefined;
  const list = d.kind === 'list';
  return (buf, offset, length, out) => {
    let at = offset;
    const end = offset + length;
    if (ttl) {
      if (length < TTL_PREFIX_BYTES) throw new ByteFormatError(`a TTL value of ${length} bytes is shorter than its timestamp`);
      out.raw(buf.subarray(at, at + TTL_PREFIX_BYTES));
      at += TTL_PREFIX_BYTES;
    }
    if (!list) {
      ser.write(readOld(buf, at, end - at), out);
      return;
    }
    const r = new ByteReader(buf, at, end, 'list state');
    while (r.remaining() > 0) {
      const n = r.varint();
      r.need(n);
      const element = readOld(buf, r.pos, n);
      r.pos += n;
      const mark = out.beginLengthPrefixed();
      ser.write(element, out);
      out.endLengthPrefixed(mark);
    }
  };
}
