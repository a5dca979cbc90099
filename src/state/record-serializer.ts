/**
 * The versioned record serializer: JSON-like records with named fields, whose state survives schema
 * changes (docs/state-layer.md, "State evolution"). Kept apart from the built-in serializers, which
 * have no schema of their own.
 */
import { ByteFormatError, ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { assertJsonLike, readJsonValue, writeJsonValue, type SchemaCompatibility, type Serializer, type SerializerSnapshot } from './serializers.js';

/** One field of a {@link RecordSchema}. With `default`, values from a version without the field get it. */
export interface RecordField<V = unknown> {
  readonly default?: V;
}

/** What {@link recordSerializer} takes: a named, versioned list of fields. */
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
 * A JSON-like record with a fixed, versioned field list (see {@link recordSerializer}). Bytes:
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
