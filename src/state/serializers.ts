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

/** One f64 and its bytes: decoding through them allocates nothing (a DataView per value would). */
const f64Cell = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Cell.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian f64 at `buf[off..off+8)`. */
function readF64LE(buf: Uint8Array, off: number): number {
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[i] = buf[off + i]!;
  else for (let i = 0; i < 8; i++) f64Bytes[7 - i] = buf[off + i]!;
  return f64Cell[0]!;
}

const numberSerializer: Serializer<number> = {
  id: 'number@1',
  write(v, out) {
    if (typeof v !== 'number') throw new TypeError(`number serializer got ${typeof v}`);
    writeCanonicalF64(v, out);
  },
  read(buf, off, len) {
    checkLength('number@1', len, 8);
    return readF64LE(buf, off);
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

/** The built-in serializers. `number` values take the backends' fixed-width fast path. */
export const Serializers = {
  number: numberSerializer,
  string: stringSerializer,
  boolean: booleanSerializer,
  bigint: bigintSerializer,
  /** Plain objects, arrays, strings, numbers, booleans, null, undefined and bigints. */
  json: jsonSerializer as Serializer<any>,
} as const;
