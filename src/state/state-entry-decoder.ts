/**
 * A snapshot entry (composite key and value bytes, docs/state-layer.md "Entries") back as plain,
 * JSON-ready values, for tools that read state without the job's code (`weir inspect --dump`).
 *
 * Values are decoded with the built-in serializer the state table names (record serializers are
 * rebuilt from their recorded schema). A tool cannot run a user's
 * own serializer, so such bytes come out as `{ base64 }` rather than being hidden or guessed at; the
 * same happens, with an `error`, to bytes a built-in serializer rejects, so one bad entry does not
 * stop a dump.
 */
import { ByteReader } from './byte-reader.js';
import { readKey } from './key-codec.js';
import { recordSerializer } from './record-serializer.js';
import { Serializers, type Serializer } from './serializers.js';
import { splitComposite, type SnapshotStateInfo } from './snapshot-format.js';
import type { StateKind } from './types.js';

/** What JSON can carry; bigints become decimal strings, `undefined` becomes null. */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

/** One decoded entry of a keyed state. */
export interface DecodedStateEntry {
  readonly state: string;
  readonly kind: StateKind;
  readonly key: PlainValue;
  /** MapState only: the user key of this map entry. */
  readonly userKey?: PlainValue;
  /** A ListState's value is the array of its elements. */
  readonly value: PlainValue;
  /** With TTL: when the value was last written (or read, with `OnReadAndWrite`), epoch ms. */
  readonly ttlTimestamp?: number;
}

const isSerializer = (v: unknown): v is Serializer<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as Serializer<unknown>).id === 'string' && typeof (v as Serializer<unknown>).read === 'function';

const BUILT_IN: ReadonlyMap<string, Serializer<unknown>> = new Map(
  Object.values(Serializers as Record<string, unknown>)
    .filter(isSerializer)
    .map((s) => [s.id, s]),
);

/**
 * A record serializer (`record:<name>@<version>`) is rebuilt from the schema the snapshot recorded,
 * which lists its fields: that is all its reader needs. Undefined for anything else.
 */
function recordSerializerFor(id: string, schema: string | undefined): Serializer<unknown> | undefined {
  if (schema === undefined) return undefined;
  try {
    const { record, version, fields } = JSON.parse(schema) as { record: string; version: number; fields: string[] };
    const s = recordSerializer<Record<string, unknown>>({ name: record, version, fields: Object.fromEntries(fields.map((f) => [f, {}])) });
    return s.id === id ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Separates a map state's user-key and value serializer ids in the state table (see state-registry.ts). */
const MAP_ID_SEPARATOR = '->';

/** The serializer ids of a state's user keys (maps only) and values. */
export function stateSerializerIds(info: SnapshotStateInfo): { readonly userKey?: string; readonly value: string } {
  if (info.kind !== 'map') return { value: info.serializerId };
  const at = info.serializerId.indexOf(MAP_ID_SEPARATOR);
  if (at < 0) return { userKey: info.serializerId, value: info.serializerId };
  return { userKey: info.serializerId.slice(0, at), value: info.serializerId.slice(at + MAP_ID_SEPARATOR.length) };
}

/** Decodes one entry of state `info`; never throws (undecodable parts come out as `{ base64, error }`). */
export function decodeStateEntry(info: SnapshotStateInfo, composite: Uint8Array, value: Uint8Array): DecodedStateEntry {
  const ids = stateSerializerIds(info);
  let key: PlainValue;
  let userKeyBytes: Uint8Array;
  try {
    const parts = splitComposite(composite);
    userKeyBytes = parts.userKey;
    key = guarded(parts.key, 'key', () => toPlain(readKey(parts.key, 0, parts.key.length)));
  } catch (e) {
    return { state: info.name, kind: info.kind, key: opaque(composite, `composite key: ${(e as Error).message}`), value: opaque(value) };
  }
  const userKey = ids.userKey === undefined ? undefined : decodeWith(ids.userKey, BUILT_IN.get(ids.userKey), userKeyBytes);
  const valueSerializer = BUILT_IN.get(ids.value) ?? recordSerializerFor(ids.value, info.schema);
  const base = { state: info.name, kind: info.kind, key, ...(userKey === undefined ? {} : { userKey }) };
  try {
    const r = new ByteReader(value, 0, value.length, `state '${info.name}' value`);
    const ttlTimestamp = info.ttl ? r.f64() : undefined;
    const decoded =
      info.kind === 'list' ? decodeList(ids.value, valueSerializer, r) : decodeWith(ids.value, valueSerializer, value.subarray(r.pos));
    return { ...base, value: decoded, ...(ttlTimestamp === undefined ? {} : { ttlTimestamp }) };
  } catch (e) {
    return { ...base, value: opaque(value, (e as Error).message) };
  }
}

/** ListState: `varint len | element` repeated, each element decoded on its own. */
function decodeList(serializerId: string, s: Serializer<unknown> | undefined, r: ByteReader): PlainValue[] {
  const out: PlainValue[] = [];
  while (r.remaining() > 0) out.push(decodeWith(serializerId, s, r.bytes(r.varint())));
  return out;
}

function decodeWith(serializerId: string, s: Serializer<unknown> | undefined, bytes: Uint8Array): PlainValue {
  if (s === undefined) return opaque(bytes);
  return guarded(bytes, serializerId, () => toPlain(s.read(bytes, 0, bytes.length)));
}

function guarded(bytes: Uint8Array, what: string, decode: () => PlainValue): PlainValue {
  try {
    return decode();
  } catch (e) {
    return opaque(bytes, `${what}: ${(e as Error).message}`);
  }
}

function opaque(bytes: Uint8Array, error?: string): PlainValue {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  return error === undefined ? { base64 } : { base64, error };
}

/** A decoded key or value as {@link PlainValue}. */
export function toPlain(v: unknown): PlainValue {
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'undefined':
      return null;
    case 'number':
    case 'string':
    case 'boolean':
      return v;
    case 'object':
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toPlain);
      // fromEntries defines properties, so an own "__proto__" key stays a key
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
    default:
      return String(v);
  }
}
