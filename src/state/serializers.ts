/**
 * Serializers turn state values into bytes and back. Both backends use the same ones, which is what
 * makes their snapshots byte-identical. Built-ins cover numbers, strings, booleans, bigints and
 * JSON-like values (a compact tagged binary codec); users may supply their own.
 */
import { ByteReader, ByteFormatError } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';

/** What a snapshot recorded about the serializer that wrote a state's values. */
export interface SerializerSnapshot {
  readonly id: string;
  /** Its {@link Serializer.schema}; undefined when it declared none, and in format-1 snapshots. */
  readonly schema: string | undefined;
}

/**
 * Whether a serializer can read what an earlier one wrote (Flink's schema compatibility):
 * `compatible` — the old bytes read as they are; `migrate` — `read` decodes an old value, and the
 * restored entries are rewritten with the new serializer when the state is registered;
 * `incompatible` — restoring fails with a `StateMigrationError` carrying `reason`.
 */
export type SchemaCompatibility<T> =
  | { readonly kind: 'compatible' }
  | { readonly kind: 'migrate'; read(buf: Uint8Array, offset: number, length: number): T }
  | { readonly kind: 'incompatible'; readonly reason: string };

/**
 * Writes a value's bytes and reads them back. `id` names the format and its version
 * (e.g. `"number@1"`); it is recorded in snapshots and checked on restore, with `schema` when the
 * serializer declares one. A restored state whose recorded id or schema differs from its serializer's
 * is resolved by `resolveCompatibility`; without it, only the same id (and schema) is compatible.
 *
 * @example
 * const point: Serializer<{ x: number; y: number }> = {
 *   id: 'point@1',
 *   write: (p, out) => { out.f64(p.x); out.f64(p.y); },
 *   read: (buf, off) => { const v = new DataView(buf.buffer, buf.byteOffset + off);
 *                          return { x: v.getFloat64(0, true), y: v.getFloat64(8, true) }; },
 * };
 */
export interface Serializer<T> {
  readonly id: string;
  /** The serializer's own description of its format (recorded in snapshots), e.g. field names. */
  readonly schema?: string;
  write(value: T, out: ByteWriter): void;
  /** Reads the value stored in `buf[offset, offset + length)`. */
  read(buf: Uint8Array, offset: number, length: number): T;
  /** How to read values a snapshot recorded as written by `previous` (called at restore only). */
  resolveCompatibility?(previous: SerializerSnapshot): SchemaCompatibility<T>;
}

const CANONICAL_NAN = new Uint8Array([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);

/** Writes an f64 with -0 as 0 and one NaN bit pattern, so equal numbers give equal bytes. */
export function writeCanonicalF64(v: number, out: ByteWriter): void {
  if (v !== v) out.raw(CANONICAL_NAN);
  else out.f64(v === 0 ? 0 : v);
}

function checkLength(id: string, length: number, expected: number): void {
  if (length !== expected) {
    throw new ByteFormatError(`${id}: expected ${expected} bytes, got ${length}`);
  }
}

const numberSerializer: Serializer<number> = {
  id: 'number@1',
  write(v, out) {
    if (typeof v !== 'number') throw new TypeError(`number serializer got ${typeof v}`);
    writeCanonicalF64(v, out);
  },
  read(buf, off, len) {
    checkLength('number@1', len, 8);
    return new DataView(buf.buffer, buf.byteOffset + off, 8).getFloat64(0, true);
  },
};

const stringSerializer: Serializer<string> = {
  id: 'string@1',
  write(v, out) {
    if (typeof v !== 'string') throw new TypeError(`string serializer got ${typeof v}`);
    out.utf8(v);
  },
  read(buf, off, len) {
    return new ByteReader(buf, off, off + len, 'string@1').utf8(len);
  },
};

const booleanSerializer: Serializer<boolean> = {
  id: 'boolean@1',
  write(v, out) {
    if (typeof v !== 'boolean') throw new TypeError(`boolean serializer got ${typeof v}`);
    out.u8(v ? 1 : 0);
  },
  read(buf, off, len) {
    checkLength('boolean@1', len, 1);
    return buf[off] === 1;
  },
};

const bigintSerializer: Serializer<bigint> = {
  id: 'bigint@1',
  write(v, out) {
    if (typeof v !== 'bigint') throw new TypeError(`bigint serializer got ${typeof v}`);
    out.utf8(v.toString());
  },
  read(buf, off, len) {
    const text = new ByteReader(buf, off, off + len, 'bigint@1').utf8(len);
    if (!/^-?\d+$/.test(text)) throw new ByteFormatError(`bigint@1: not an integer: ${JSON.stringify(text)}`);
    return BigInt(text);
  },
};

const enum JsonTag {
  Null = 0,
  False = 1,
  True = 2,
  Float = 3,
  Int = 4,
  String = 5,
  Array = 6,
  Object = 7,
  Undefined = 8,
  BigInt = 9,
}

/** Nesting bound: deeper input is rejected rather than overflowing the stack. */
const MAX_JSON_DEPTH = 256;

/** Writes a JSON-like value in the tagged codec of docs/state-layer.md. */
export function writeJsonValue(v: unknown, out: ByteWriter, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new TypeError(`json serializer: nesting deeper than ${MAX_JSON_DEPTH}`);
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
        out.u8(JsonTag.Int);
        out.varint(((v << 1) ^ (v >> 31)) >>> 0);
      } else {
        out.u8(JsonTag.Float);
        writeCanonicalF64(v, out);
      }
      return;
    case 'string':
      out.u8(JsonTag.String);
      out.string(v);
      return;
    case 'boolean':
      out.u8(v ? JsonTag.True : JsonTag.False);
      return;
    case 'undefined':
      out.u8(JsonTag.Undefined);
      return;
    case 'bigint':
      out.u8(JsonTag.BigInt);
      out.string(v.toString());
      return;
    case 'object':
      if (v === null) {
        out.u8(JsonTag.Null);
      } else if (Array.isArray(v)) {
        out.u8(JsonTag.Array);
        out.varint(v.length);
        for (const item of v) writeJsonValue(item, out, depth + 1);
      } else {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          throw new TypeError(
            `json serializer: cannot serialize an instance of ${(v as object).constructor?.name ?? 'unknown'}; ` +
              'use plain objects and arrays or a custom serializer',
          );
        }
        const keys = Object.keys(v);
        out.u8(JsonTag.Object);
        out.varint(keys.length);
        for (const k of keys) {
          out.string(k);
          writeJsonValue((v as Record<string, unknown>)[k], out, depth + 1);
        }
      }
      return;
    default:
      throw new TypeError(`json serializer: cannot serialize a ${typeof v}`);
  }
}

/**
 * Throws exactly where {@link writeJsonValue} would, without writing: lets a backend that keeps
 * values as objects reject a bad one at the write instead of at the next snapshot.
 */
export function assertJsonLike(v: unknown, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new TypeError(`json serializer: nesting deeper than ${MAX_JSON_DEPTH}`);
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return;
    case 'object':
      if (v === null) return;
      if (Array.isArray(v)) {
        for (const item of v) assertJsonLike(item, depth + 1);
        return;
      }
      {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          throw new TypeError(
            `json serializer: cannot serialize an instance of ${(v as object).constructor?.name ?? 'unknown'}; ` +
              'use plain objects and arrays or a custom serializer',
          );
        }
      }
      for (const k of Object.keys(v)) assertJsonLike((v as Record<string, unknown>)[k], depth + 1);
      return;
    default:
      throw new TypeError(`json serializer: cannot serialize a ${typeof v}`);
  }
}

/** Reads one value written by {@link writeJsonValue}. */
export function readJsonValue(r: ByteReader, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) throw new ByteFormatError(`json: nesting deeper than ${MAX_JSON_DEPTH}`);
  const tag = r.u8();
  switch (tag) {
    case JsonTag.Null:
      return null;
    case JsonTag.False:
      return false;
    case JsonTag.True:
      return true;
    case JsonTag.Float:
      return r.f64();
    case JsonTag.Int: {
      const z = r.varint();
      return (z >>> 1) ^ -(z & 1);
    }
    case JsonTag.String:
      return r.string();
    case JsonTag.Array: {
      const n = r.varint();
      if (n > r.remaining()) throw new ByteFormatError(`json: array length ${n} exceeds the buffer`);
      const arr = new Array(n);
      for (let i = 0; i < n; i++) arr[i] = readJsonValue(r, depth + 1);
      return arr;
    }
    case JsonTag.Object: {
      const n = r.varint();
      if (n > r.remaining()) throw new ByteFormatError(`json: object size ${n} exceeds the buffer`);
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        const v = readJsonValue(r, depth + 1);
        // an own "__proto__" key must stay a key: assigning it would replace the object's prototype
        if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[k] = v;
      }
      return obj;
    }
    case JsonTag.Undefined:
      return undefined;
    case JsonTag.BigInt: {
      const text = r.string();
      if (!/^-?\d+$/.test(text)) throw new ByteFormatError(`json: malformed bigint ${JSON.stringify(text)}`);
      return BigInt(text);
    }
    default:
      throw new ByteFormatError(`json: unknown tag ${tag} at byte ${r.pos - 1}`);
  }
}

const jsonSerializer: Serializer<any> = {
  id: 'json@1',
  write(v, out) {
    writeJsonValue(v, out);
  },
  read(buf, off, len) {
    const r = new ByteReader(buf, off, off + len, 'json@1');
    const v = readJsonValue(r);
    if (r.remaining() !== 0) throw new ByteFormatError(`json@1: ${r.remaining()} trailing bytes`);
    return v;
  },
};

/** One field of a {@link RecordSchema}. With `default`, values from a version without the field get it. */
export interface RecordField<V = unknown> {
  readonly default?: V;
}

/** What {@link Serializers.record} takes: a named, versioned list of fields. */
export interface RecordSchema<T extends object> {
  /** Names the record type: a snapshot of another record type is incompatible. */
  readonly name: string;
  /** A positive integer, bumped whenever the fields change. */
  readonly version: number;
  /** The fields, in the order they are written. Values are JSON-like (the json codec). */
  readonly fields: { readonly [K in keyof T]: RecordField<T[K]> };
}

/** A record serializer's schema as recorded in a snapshot. */
interface RecordLayout {
  readonly name: string;
  readonly version: number;
  readonly fields: readonly string[];
}

function recordLayoutOf(schema: string | undefined): RecordLayout | undefined {
  if (schema === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(schema);
  } catch {
    return undefined;
  }
  const o = v as { record?: unknown; version?: unknown; fields?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.record !== 'string' || !Number.isSafeInteger(o.version)) return undefined;
  if (!Array.isArray(o.fields) || !o.fields.every((f) => typeof f === 'string')) return undefined;
  return { name: o.record, version: o.version as number, fields: o.fields as string[] };
}

const showFields = (fields: readonly string[]) => `[${fields.join(', ')}]`;

/**
 * A JSON-like record with a fixed, versioned field list (see {@link Serializers.record}). Bytes:
 * `varint fieldCount`, then each declared field's value in the json codec, in declared order; the
 * field names live in the schema, which is what lets a later version read the old bytes.
 */
export class RecordSerializer<T extends object> implements Serializer<T> {
  readonly id: string;
  readonly schema: string;
  private readonly name: string;
  private readonly version: number;
  private readonly fields: readonly string[];
  private readonly declared: ReadonlySet<string>;
  /** Fields that have a default, and the default. */
  private readonly defaults = new Map<string, unknown>();

  constructor(spec: RecordSchema<T>) {
    const { name, version, fields } = spec;
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a record serializer needs a non-empty name');
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new RangeError(`record '${name}': version must be a positive integer, got ${String(version)}`);
    }
    this.fields = Object.keys(fields);
    for (const f of this.fields) {
      // read() builds plain objects by assignment, which a "__proto__" field would subvert
      if (f === '__proto__') throw new TypeError(`record '${name}': '__proto__' cannot be a field name`);
      const field = (fields as Record<string, RecordField | undefined>)[f];
      if (field !== undefined && 'default' in field) {
        assertJsonLike(field.default);
        this.defaults.set(f, field.default);
      }
    }
    this.name = name;
    this.version = version;
    this.declared = new Set(this.fields);
    this.id = `record:${name}@${version}`;
    this.schema = JSON.stringify({ record: name, version, fields: this.fields });
  }

  write(v: T, out: ByteWriter): void {
    this.checkShape(v);
    out.varint(this.fields.length);
    for (const f of this.fields) writeJsonValue((v as Record<string, unknown>)[f], out);
  }

  read(buf: Uint8Array, offset: number, length: number): T {
    const r = new ByteReader(buf, offset, offset + length, this.id);
    const values = readFieldValues(r, this.fields.length, this.id);
    const out: Record<string, unknown> = {};
    this.fields.forEach((f, i) => (out[f] = values[i]));
    return out as T;
  }

  /** Throws where {@link write} would, without writing (for backends that keep objects). */
  check(v: T): void {
    this.checkShape(v);
    for (const f of this.fields) assertJsonLike((v as Record<string, unknown>)[f]);
  }

  resolveCompatibility(previous: SerializerSnapshot): SchemaCompatibility<T> {
    const old = recordLayoutOf(previous.schema);
    const no = (reason: string) => ({ kind: 'incompatible', reason }) as const;
    if (old === undefined) return no(`${previous.id} is not a record serializer (no record schema was recorded)`);
    if (old.name !== this.name) return no(`the snapshot holds '${old.name}' records, not '${this.name}'`);
    if (old.version > this.version) {
      return no(`written by version ${old.version} of '${this.name}', newer than this code's version ${this.version}`);
    }
    const same = old.fields.length === this.fields.length && old.fields.every((f, i) => f === this.fields[i]);
    if (old.version === this.version) {
      return same
        ? { kind: 'compatible' }
        : no(`fields changed from ${showFields(old.fields)} to ${showFields(this.fields)} without a version bump`);
    }
    const undefaulted = this.fields.filter((f) => !old.fields.includes(f) && !this.defaults.has(f));
    if (undefaulted.length > 0) {
      return no(`field${undefaulted.length > 1 ? 's' : ''} '${undefaulted.join("', '")}' new since version ${old.version} without a default`);
    }
    if (same) return { kind: 'compatible' };
    // per new field: its index in the old values, or -1 for "take the default"
    const from = this.fields.map((f) => old.fields.indexOf(f));
    return {
      kind: 'migrate',
      read: (buf, offset, length) => {
        const values = readFieldValues(new ByteReader(buf, offset, offset + length, previous.id), old.fields.length, previous.id);
        const out: Record<string, unknown> = {};
        this.fields.forEach((f, i) => (out[f] = from[i]! >= 0 ? values[from[i]!] : copyOfDefault(this.defaults.get(f))));
        return out as T;
      },
    };
  }

  private checkShape(v: T): void {
    const proto = typeof v === 'object' && v !== null ? Object.getPrototypeOf(v) : undefined;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${this.id}: a record value must be a plain object, got ${v === null ? 'null' : typeof v}`);
    }
    for (const k of Object.keys(v)) {
      if (!this.declared.has(k)) throw new TypeError(`${this.id}: '${k}' is not a field of record '${this.name}'`);
    }
  }
}

/** Reads `varint n` then n json values, checking n and that nothing trails. */
function readFieldValues(r: ByteReader, expected: number, id: string): unknown[] {
  const n = r.varint();
  if (n !== expected) throw new ByteFormatError(`${id}: a value with ${n} fields, the schema has ${expected}`);
  const values = new Array<unknown>(n);
  for (let i = 0; i < n; i++) values[i] = readJsonValue(r);
  if (r.remaining() !== 0) throw new ByteFormatError(`${id}: ${r.remaining()} trailing bytes`);
  return values;
}

/** Each migrated value gets its own copy: the heap backend keeps objects, which callers may mutate. */
function copyOfDefault(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}

/**
 * A serializer of JSON-like records with named fields and a version, whose state survives schema
 * changes: a later version may add fields with a default and drop fields, and restoring older state
 * rewrites it. A new field without a default, a downgrade or another record name is incompatible.
 * (A factory beside {@link Serializers}, which holds only ready serializer instances.)
 *
 * @example
 * interface Profile { visits: number; tag: string }
 * const profile = recordSerializer<Profile>({
 *   name: 'user-profile',
 *   version: 2, // version 1 had only `visits`
 *   fields: { visits: {}, tag: { default: '' } },
 * });
 * const profiles = valueState('profile', profile);
 */
export function recordSerializer<T extends object>(spec: RecordSchema<T>): RecordSerializer<T> {
  return new RecordSerializer(spec);
}

/** The built-in serializers. `number` values take the backends' fixed-width fast path. */
export const Serializers = {
  number: numberSerializer,
  string: stringSerializer,
  boolean: booleanSerializer,
  bigint: bigintSerializer,
  /** Plain objects, arrays, strings, numbers, booleans, null, undefined and bigints. */
  json: jsonSerializer as Serializer<any>,
} as const;
