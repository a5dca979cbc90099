/**
 * A bounded, line-oriented file source whose position is a byte offset, so a restore seeks instead
 * of re-reading and re-skipping lines. The file must not change while the job reads it; the size
 * seen at open is recorded in the position and checked on restore, so a rewritten file fails loudly.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  beginPosition,
  checkSplit,
  endPosition,
  readPositionCounter,
  readPositionHeader,
  SourcePositionError,
  type ReplayableSource,
} from './source.js';

/** Options of {@link FileLineSource}. */
export interface FileSourceOptions {
  readonly path: string;
  /** Bytes per `readSync`; the buffer grows only for a line longer than this. Default 64 KiB. */
  readonly chunkSize?: number;
}

const KIND = 'file-lines';
const LF = 0x0a;
const CR = 0x0d;

/** Lines are decoded whole (never across a chunk edge), and bad UTF-8 fails rather than being replaced. */
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The byte range `[start, end)` in which split `j` of `p` owns the lines that *start*: a line belongs
 * to the split where its first byte lies, so a line crossing `end` is read whole by split `j` and
 * skipped by split `j + 1`. Pure, for the runtime and tests.
 */
export function fileSplitRange(size: number, subtaskIndex: number, parallelism: number): [number, number] {
  return [Math.floor((size * subtaskIndex) / parallelism), Math.floor((size * (subtaskIndex + 1)) / parallelism)];
}

/**
 * Reads the lines of one file, split across subtasks by byte range (see {@link fileSplitRange}).
 * `\n` ends a line and a `\r` before it is dropped (CRLF files read like LF files); a final line
 * without a newline is still a line, and a file ending in `\n` has no extra empty last line.
 * Position = byte offset of the next unread line start (the file size once the split is done).
 *
 * @example
 * const src = new FileLineSource({ path: 'input.txt' });
 * src.open(0, 1);
 * for (let b = src.pollBatch(1000); b !== 'end'; b = src.pollBatch(1000)) handle(b);
 * src.close();
 */
export class FileLineSource implements ReplayableSource<string> {
  private fd = -1;
  private size = 0;
  private subtaskIndex = 0;
  private parallelism = 1;
  /** Lines starting at or after this offset belong to the next split. */
  private splitEnd = 0;
  /** File offset of the next unread line start: the position. */
  private offset = 0;
  /** Reused read buffer: bytes [bufPos, bufLen) are file bytes from `offset` on. */
  private buf: Buffer;
  private bufPos = 0;
  private bufLen = 0;

  constructor(private readonly options: FileSourceOptions) {
    const chunk = options.chunkSize ?? 64 * 1024;
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkSize must be an integer >= 1, got ${chunk}`);
    this.buf = Buffer.allocUnsafe(chunk);
  }

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    checkSplit(subtaskIndex, parallelism);
    this.close();
    this.subtaskIndex = subtaskIndex;
    this.parallelism = parallelism;
    this.fd = openSync(this.options.path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      const [start, end] = fileSplitRange(this.size, subtaskIndex, parallelism);
      this.splitEnd = end;
      this.bufPos = this.bufLen = 0;
      if (restoredPosition !== undefined) {
        this.restore(restoredPosition, start);
      } else if (start === 0) {
        this.offset = 0;
      } else {
        // The line containing byte `start - 1` ends at or after it; the first line starting at or
        // after `start` begins right after the first `\n` at or after `start - 1`.
        this.offset = start - 1;
        this.skipPastNewline();
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  pollBatch(max: number): string[] | 'end' {
    if (this.fd < 0) throw new Error('FileLineSource: pollBatch before open');
    if (this.offset >= this.splitEnd || this.offset >= this.size) return 'end';
    const out: string[] = [];
    while (out.length < max && this.offset < this.splitEnd && this.offset < this.size) {
      out.push(this.readLine());
    }
    return out;
  }

  snapshotPosition(): Uint8Array {
    if (this.fd < 0) throw new Error('FileLineSource: snapshotPosition before open');
    const w = beginPosition(KIND, { subtaskIndex: this.subtaskIndex, parallelism: this.parallelism });
    w.f64(this.offset);
    w.f64(this.size);
    return w.bytes().slice();
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private restore(position: Uint8Array, splitStart: number): void {
    const r = readPositionHeader(position, KIND, { subtaskIndex: this.subtaskIndex, parallelism: this.parallelism });
    const offset = readPositionCounter(r, KIND);
    const size = readPositionCounter(r, KIND);
    endPosition(r, KIND);
    if (size !== this.size) {
      throw new SourcePositionError(`${this.options.path}: size is ${this.size} bytes, position was taken at ${size}`);
    }
    if (offset < splitStart || offset > size) {
      throw new SourcePositionError(`file position ${offset} outside split [${splitStart}, ${size}]`);
    }
    this.offset = offset;
  }

  /** Ensures at least one unread byte is buffered; false at end of file. Keeps unread bytes. */
  private fill(): boolean {
    if (this.bufPos < this.bufLen) return true;
    const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
    this.bufPos = 0;
    this.bufLen = n;
    return n > 0;
  }

  /** Advances `offset` past the next `\n` (or to EOF). */
  private skipPastNewline(): void {
    while (this.fill()) {
      const nl = this.buf.indexOf(LF, this.bufPos);
      if (nl >= 0 && nl < this.bufLen) {
        this.offset += nl + 1 - this.bufPos;
        this.bufPos = nl + 1;
        return;
      }
      this.offset += this.bufLen - this.bufPos;
      this.bufPos = this.bufLen;
    }
  }

  /** Reads the line starting at `offset` (which is < size) and advances past its terminator. */
  private readLine(): string {
    this.fill();
    let scanFrom = this.bufPos;
    for (;;) {
      const nl = this.buf.indexOf(LF, scanFrom);
      if (nl >= 0 && nl < this.bufLen) {
        const lineEnd = nl > this.bufPos && this.buf[nl - 1] === CR ? nl - 1 : nl;
        const line = this.decode(this.bufPos, lineEnd);
        this.offset += nl + 1 - this.bufPos;
        this.bufPos = nl + 1;
        return line;
      }
      const scanned = this.bufLen - this.bufPos; // readMore moves the line to the buffer's front
      if (!this.readMore()) {
        // Final line without a newline: a line all the same. A lone trailing `\r` is kept, since
        // only CRLF (not CR) is a terminator.
        const line = this.decode(this.bufPos, this.bufLen);
        this.offset += this.bufLen - this.bufPos;
        this.bufPos = this.bufLen;
        return line;
      }
      scanFrom = this.bufPos + scanned;
    }
  }

  /**
   * Appends the next chunk after the buffered bytes of an unfinished line, moving them to the front
   * and growing the buffer when the line fills it. False at end of file.
   */
  private readMore(): boolean {
    const pending = this.bufLen - this.bufPos;
    if (this.bufPos > 0) {
      this.buf.copy(this.buf, 0, this.bufPos, this.bufLen);
      this.bufPos = 0;
      this.bufLen = pending;
    }
    if (this.bufLen === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.bufLen);
      this.buf = bigger;
    }
    const n = readSync(this.fd, this.buf, this.bufLen, this.buf.length - this.bufLen, this.offset + pending);
    this.bufLen += n;
    return n > 0;
  }

  private decode(from: number, to: number): string {
    try {
      return decoder.decode(this.buf.subarray(from, to));
    } catch {
      throw new Error(`${this.options.path}: invalid UTF-8 in the line at byte ${this.offset}`);
    }
  }
}
