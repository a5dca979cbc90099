/**
 * A growable little-endian byte buffer, reused across writes so serializing a value allocates only
 * when the buffer must grow.
 */
export class ByteWriter {
  /** Bytes `[0, pos)` are written; the rest is spare capacity. */
  buf: Uint8Array;
  pos = 0;
  protected view: DataView;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Points the writer at another buffer (e.g. a region of WASM memory), keeping `pos`. */
  protected rebindTo(buf: Uint8Array): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Makes `buf` hold at least `need` bytes, keeping `[0, pos)`. */
  protected grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.rebindTo(next);
  }

  reset(): void {
    this.pos = 0;
  }

  /** The written bytes (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need > this.buf.length) this.grow(need);
  }

  /**
   * Starts a `varint length | bytes` field whose length is not known yet; returns a mark for
   * {@link endLengthPrefixed}. Reserves one length byte and moves the bytes if more are needed.
   */
  beginLengthPrefixed(): number {
    this.ensure(1);
    return this.pos++;
  }

  endLengthPrefixed(mark: number): void {
    const len = this.pos - mark - 1;
    const size = varintSize(len);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(mark + size, mark + 1, this.pos);
    }
    const end = this.pos + size - 1;
    this.pos = mark;
    this.varint(len);
    this.pos = end;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Unsigned LEB128, values < 2^32. */
  varint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** UTF-8 without a length prefix. */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += textEncoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** varint byte length, then UTF-8. */
  string(s: string): void {
    this.ensure(s.length * 3 + 5);
    const start = this.pos;
    const lenBytes = varintSize(s.length * 3);
    const written = textEncoder.encodeInto(s, this.buf.subarray(start + lenBytes)).written;
    const actualLenBytes = varintSize(written);
    if (actualLenBytes !== lenBytes) {
      this.buf.copyWithin(start + actualLenBytes, start + lenBytes, start + lenBytes + written);
    }
    this.varint(written);
    this.pos = start + actualLenBytes + written;
  }

  /** Overwrites a u32 at an earlier position (for back-patched lengths and offsets). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
}

export const textEncoder = new TextEncoder();
export const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
