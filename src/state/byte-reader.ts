/**
 * Bounds-checked little-endian reads over a byte buffer. Every read checks its end against `limit`,
 * so a malformed buffer fails with an error naming the offset instead of reading garbage.
 */
import { textDecoder } from './byte-writer.js';

export class ByteFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ByteFormatError';
  }
}

export class ByteReader {
  private readonly view: DataView;
  /** Invariant: start <= pos <= limit <= buf.length. */
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly limit = buf.length,
    private readonly what = 'buffer',
  ) {
    if (limit > buf.length || start > limit || start < 0) {
      throw new ByteFormatError(`${what}: region [${start}, ${limit}) outside ${buf.length} bytes`);
    }
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  remaining(): number {
    return this.limit - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.limit) {
      throw new ByteFormatError(
        `${this.what}: truncated at byte ${this.pos} (need ${n} bytes, ${this.limit - this.pos} left)`,
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (result > 0xffffffff) break;
        return result;
      }
    }
    throw new ByteFormatError(`${this.what}: malformed varint ending at byte ${this.pos}`);
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  utf8(n: number): string {
    const b = this.bytes(n);
    try {
      return textDecoder.decode(b);
    } catch {
      throw new ByteFormatError(`${this.what}: invalid UTF-8 at byte ${this.pos - n}`);
    }
  }

  string(): string {
    return this.utf8(this.varint());
  }
}
