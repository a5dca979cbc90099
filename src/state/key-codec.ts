/**
 * Keys to bytes and back: a tag byte then the payload (docs/state-layer.md, "Keys"). The bytes decide
 * the key group, so they must not depend on the backend or the process.
 */
import { ByteReader, ByteFormatError } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { murmur3 } from './murmur3.js';
import { readJsonValue, writeCanonicalF64, writeJsonValue } from './serializers.js';
import type { Key } from './types.js';

export const enum KeyTag {
  Number = 1,
  String = 2,
  Boolean = 3,
  BigInt = 4,
  Json = 5,
}

/** Keys are stored with a u16 length. */
export const MAX_KEY_BYTES = 0xffff;

/** Appends the serialized key to `out`. */
export function writeKey(key: Key, out: ByteWriter): void {
  const start = out.pos;
  switch (typeof key) {
    case 'number':
      out.u8(KeyTag.Number);
      writeCanonicalF64(key, out);
      return;
    case 'string':
      out.u8(KeyTag.String);
      out.utf8(key);
      break;
    case 'boolean':
      out.u8(KeyTag.Boolean);
      out.u8(key ? 1 : 0);
      return;
    case 'bigint':
      out.u8(KeyTag.BigInt);
      out.utf8(key.toString());
      break;
    case 'object':
      if (key === null) throw new TypeError('a key must not be null');
      out.u8(KeyTag.Json);
      writeJsonValue(key, out);
      break;
    default:
      throw new TypeError(`a key must be a number, string, boolean, bigint or JSON-like object, got ${typeof key}`);
  }
  if (out.pos - start > MAX_KEY_BYTES) {
    out.pos = start;
    throw new RangeError(`a key serializes to more than ${MAX_KEY_BYTES} bytes`);
  }
}

/** Reads a key written by {@link writeKey} from `buf[off, off + len)`. */
export function readKey(buf: Uint8Array, off: number, len: number): Key {
  const r = new ByteReader(buf, off, off + len, 'key');
  const tag = r.u8();
  switch (tag) {
    case KeyTag.Number:
      if (len !== 9) throw new ByteFormatError(`key: number key of ${len} bytes`);
      return r.f64();
    case KeyTag.String:
      return r.utf8(len - 1);
    case KeyTag.Boolean:
      if (len !== 2) throw new ByteFormatError(`key: boolean key of ${len} bytes`);
      return r.u8() === 1;
    case KeyTag.BigInt: {
      const text = r.utf8(len - 1);
      if (!/^-?\d+$/.test(text)) throw new ByteFormatError(`key: malformed bigint ${JSON.stringify(text)}`);
      return BigInt(text);
    }
    case KeyTag.Json: {
      const v = readJsonValue(r);
      if (r.remaining() !== 0) throw new ByteFormatError(`key: ${r.remaining()} trailing bytes`);
      return v as Key;
    }
    default:
      throw new ByteFormatError(`key: unknown tag ${tag}`);
  }
}

const scratch = new ByteWriter(64);

/** Serialized bytes of a key (a fresh copy). */
export function keyBytes(key: Key): Uint8Array {
  scratch.reset();
  writeKey(key, scratch);
  return scratch.bytes().slice();
}

/** murmur3 of the key's serialized bytes: decides its key group (`hash % maxParallelism`). */
export function keyHash(key: Key): number {
  scratch.reset();
  writeKey(key, scratch);
  return murmur3(scratch.buf, 0, scratch.pos);
}

/** The key group of `key` among `maxParallelism` groups. */
export function keyGroupOf(key: Key, maxParallelism: number): number {
  return keyHash(key) % maxParallelism;
}
