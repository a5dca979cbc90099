/**
 * One WASM store instance and the JS views onto its memory. Any call into WASM may grow memory,
 * which detaches every view (FACTS.md), so views are re-created whenever `memory.buffer` changed.
 */
import { ByteWriter, textEncoder } from '../byte-writer.js';
import { KeyTag, MAX_KEY_BYTES, writeKey } from '../key-codec.js';
import type { Key } from '../types.js';
import { instantiateStore, type StoreExports } from './wasm-module.js';

/** Serializes straight into the store's scratch region: no copy on the way in. */
export class ScratchWriter extends ByteWriter {
  constructor(private readonly store: WasmStore) {
    super(0);
    this.rebind();
  }

  /** Call before writing: re-points at scratch (which may have moved or been detached). */
  rebind(): void {
    const s = this.store;
    s.refresh();
    if (this.buf !== s.scratchView) this.rebindTo(s.scratchView);
    this.pos = 0;
  }

  protected override grow(need: number): void {
    const s = this.store;
    const keep = this.buf.slice(0, this.pos);
    s.ensureScratch(need);
    this.rebindTo(s.scratchView);
    this.buf.set(keep);
  }
}

/** Keys up to this many UTF-16 units are copied by a JS loop when they are ASCII. */
const SHORT_KEY = 32;

export class WasmStore {
  readonly ex: StoreExports;
  /** Views of the current memory buffer; valid while not detached (a grow detaches them: length 0). */
  u8!: Uint8Array;
  dv!: DataView;
  scratch = 0;
  scratchCap = 0;
  /** View over scratch; and over scratch[1..), for encoding string keys after their tag. */
  scratchView!: Uint8Array;
  private stringKeyView!: Uint8Array;
  readonly writer: ScratchWriter;

  constructor(maxParallelism: number, tracking: boolean, expectedEntries = 0) {
    this.ex = instantiateStore();
    this.ex.init(maxParallelism, tracking ? 1 : 0, expectedEntries);
    this.ensureScratch(1024);
    this.writer = new ScratchWriter(this);
  }

  refresh(): void {
    // Growing the memory detaches the old buffer, which empties every view of it: a length check
    // is enough, and far cheaper than the `memory.buffer` getter on every call.
    if (this.u8 !== undefined && this.u8.byteLength !== 0) return;
    const buf = this.ex.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.scratchView = this.u8.subarray(this.scratch, this.scratch + this.scratchCap);
    this.stringKeyView = this.u8.subarray(this.scratch + 1, this.scratch + this.scratchCap);
  }

  ensureScratch(bytes: number): void {
    if (bytes <= this.scratchCap) return;
    this.scratch = this.ex.ensureScratch(bytes);
    this.scratchCap = bytes <= 1024 ? 1024 : 2 ** Math.ceil(Math.log2(bytes));
    this.u8 = undefined as unknown as Uint8Array;
    this.refresh();
  }

  /** Sets a string key: tag + UTF-8 encoded in place in scratch. Returns its key group. */
  setStringKey(key: string): number {
    const n = key.length;
    if (n * 3 + 1 > this.scratchCap) this.ensureScratch(n * 3 + 1);
    else this.refresh();
    const u8 = this.u8;
    const at = this.scratch;
    u8[at] = KeyTag.String;
    // short ASCII keys: a loop beats encodeInto's call overhead; anything else goes to encodeInto
    if (n <= SHORT_KEY) {
      let i = 0;
      for (; i < n; i++) {
        const c = key.charCodeAt(i);
        if (c >= 0x80) break;
        u8[at + 1 + i] = c;
      }
      if (i === n) return this.ex.setKeyBytes(n + 1);
    }
    const written = textEncoder.encodeInto(key, this.stringKeyView).written;
    if (written + 1 > MAX_KEY_BYTES) {
      throw new RangeError(`a key serializes to more than ${MAX_KEY_BYTES} bytes`);
    }
    return this.ex.setKeyBytes(written + 1);
  }

  /** Sets a key already serialized by the key codec. Returns its key group. */
  setKeyBytes(bytes: Uint8Array): number {
    this.ensureScratch(bytes.length);
    this.refresh();
    this.u8.set(bytes, this.scratch);
    return this.ex.setKeyBytes(bytes.length);
  }

  /** Sets any other key: the key codec writes straight into scratch. Returns its key group. */
  setSerializedKey(key: Key): number {
    const w = this.beginWrite();
    writeKey(key, w);
    return this.ex.setKeyBytes(w.pos);
  }

  /** The ScratchWriter, reset and pointed at scratch. */
  beginWrite(): ScratchWriter {
    this.writer.rebind();
    return this.writer;
  }

  /** Copies `len` bytes at `ptr` out of WASM memory. */
  copyOut(ptr: number, len: number): Uint8Array {
    this.refresh();
    return this.u8.slice(ptr, ptr + len);
  }

  /** Copies `bytes` into a fresh WASM allocation; the caller frees it. */
  copyIn(bytes: Uint8Array): number {
    const ptr = this.ex.alloc(bytes.length);
    if (ptr === 0) throw new RangeError(`cannot place ${bytes.length} bytes in WASM memory`);
    this.refresh();
    this.u8.set(bytes, ptr);
    return ptr;
  }
}
