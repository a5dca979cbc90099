/**
 * Identities of keys and user keys in the heap backend's Maps. Two keys share an identity exactly
 * when they serialize to the same bytes, so one Map entry is one composite key of the snapshot
 * format: numbers, booleans and bigints are their own identity (Map's SameValueZero agrees with the
 * canonical encodings), strings are taken as UTF-8 sees them, and anything else is its bytes.
 */
import { Buffer } from 'node:buffer';
import type { ByteWriter } from '../byte-writer.js';
import { readKey, writeKey } from '../key-codec.js';
import { Serializers, type Serializer } from '../serializers.js';
import type { Key } from '../types.js';

/**
 * Starts the identity of a JSON key, followed by its bytes as latin1. A lone high surrogate followed
 * by a char below U+0100 never occurs in a normalized string key, so the two kinds cannot collide.
 */
const OBJECT_ID_PREFIX = '\uD800';
/** key-codec's KeyTag values (a const enum, not importable under isolatedModules tooling). */
const KEY_TAG_JSON = 5;
const KEY_TAG_NUMBER = 1;

interface Es2024String {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `s` as its UTF-8 encoding sees it: TextEncoder writes every lone surrogate as U+FFFD. */
export function utf8Identity(s: string): string {
  const t = s as unknown as Es2024String;
  return t.isWellFormed() ? s : t.toWellFormed();
}

export function latin1(buf: Uint8Array, start = 0, end = buf.length): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/** Identity of a JSON key from its serialized bytes. */
export function objectKeyId(buf: Uint8Array, start: number, end: number): string {
  return OBJECT_ID_PREFIX + latin1(buf, start, end);
}

function isObjectKeyId(id: unknown): id is string {
  return typeof id === 'string' && id.charCodeAt(0) === 0xd800 && id.charCodeAt(1) < 0x100;
}

/** Appends the serialized key whose identity is `id`. */
export function writeKeyOfId(id: unknown, w: ByteWriter): void {
  if (isObjectKeyId(id)) {
    w.ensure(id.length);
    for (let i = 1; i < id.length; i++) w.buf[w.pos++] = id.charCodeAt(i);
  } else {
    writeKey(id as Key, w);
  }
}

/** Decodes keys from snapshot bytes, with their identities; one instance serves a whole restore. */
export class KeyDecoder {
  id: unknown = undefined;
  key: Key = 0;
  isObject = false;
  private last: Uint8Array | undefined;
  private lastAt = -1;
  private lastLen = -1;

  decode(buf: Uint8Array, at: number, len: number): void {
    // one key's entries (its map entries, its states) usually come in a row: decode it once
    if (buf === this.last && this.lastLen === len && sameBytes(buf, this.lastAt, at, len)) return;
    if (buf[at] === KEY_TAG_NUMBER && len === 9) {
      this.key = this.id = new DataView(buf.buffer, buf.byteOffset + at + 1, 8).getFloat64(0, true);
      this.isObject = false;
    } else {
      this.key = readKey(buf, at, len);
      this.isObject = buf[at] === KEY_TAG_JSON;
      this.id = this.isObject ? objectKeyId(buf, at, at + len) : this.key;
    }
    this.last = buf;
    this.lastAt = at;
    this.lastLen = len;
  }
}

function sameBytes(buf: Uint8Array, a: number, b: number, len: number): boolean {
  if (a === b) return true;
  for (let k = 0; k < len; k++) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

/** `typeof` of the values a built-in primitive serializer accepts; undefined for json and custom ones. */
export function primitiveTypeOf(ser: Serializer<unknown>): string | undefined {
  if (ser === Serializers.number) return 'number';
  if (ser === Serializers.string) return 'string';
  if (ser === Serializers.boolean) return 'boolean';
  if (ser === Serializers.bigint) return 'bigint';
  return undefined;
}

/** Whether a stored value can change under us when the user mutates it in place. */
export function isMutable(v: unknown): boolean {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

/**
 * User keys of one MapState. With a built-in primitive serializer the user key is its own
 * identity; otherwise the identity is its serialized bytes as a latin1 string.
 */
export class UserKeyCodec<UK> {
  private readonly type: string | undefined;

  constructor(
    readonly ser: Serializer<UK>,
    private readonly w: ByteWriter,
  ) {
    this.type = primitiveTypeOf(ser as Serializer<unknown>);
  }

  id(uk: UK): unknown {
    const t = this.type;
    if (t !== undefined) {
      // a wrong type is rejected by the serializer itself, with its own message
      if (typeof uk !== t) this.ser.write(uk, this.w);
      return t === 'string' ? utf8Identity(uk as string) : uk;
    }
    this.w.reset();
    this.ser.write(uk, this.w);
    return latin1(this.w.buf, 0, this.w.pos);
  }

  /** Identity of a user key read back from `bytes` (restore). */
  idOfBytes(uk: UK, buf: Uint8Array, at: number, len: number): unknown {
    return this.type === undefined ? latin1(buf, at, at + len) : this.type === 'string' ? utf8Identity(uk as string) : uk;
  }

  /** The serialized user key whose identity is `id` (a fresh array). */
  bytesOfId(id: unknown): Uint8Array {
    if (this.type === undefined) return new Uint8Array(Buffer.from(id as string, 'latin1'));
    this.w.reset();
    this.ser.write(id as UK, this.w);
    return this.w.bytes().slice();
  }
}
