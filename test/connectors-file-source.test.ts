import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLineSource, fileSplitRange } from '../src/connectors/file-source.js';
import { SourcePositionError } from '../src/connectors/source.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-file-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Buffer): string {
  const p = join(dir, `f${n++}.txt`);
  writeFileSync(p, content);
  return p;
}

function readAll(path: string, index = 0, parallelism = 1, chunkSize = 16, batch = 3): string[] {
  const s = new FileLineSource({ path, chunkSize });
  s.open(index, parallelism);
  const out: string[] = [];
  for (let b = s.pollBatch(batch); b !== 'end'; b = s.pollBatch(batch)) out.push(...b);
  s.close();
  return out;
}

const lines = Array.from({ length: 200 }, (_, i) => (i % 17 === 0 ? '' : `line ${i} ${'x'.repeat(i % 40)}`));
const text = lines.join('\n') + '\n';

describe('FileLineSource', () => {
  it('reads every line exactly once across 1..4 subtasks', () => {
    const p = file(text);
    for (const par of [1, 2, 3, 4]) {
      for (const chunk of [1, 7, 64, 65536]) {
        const got: string[] = [];
        for (let j = 0; j < par; j++) got.push(...readAll(p, j, par, chunk));
        expect(got).toEqual(lines);
      }
    }
  });

  it('a split boundary exactly at a line start gives that line to the later split', () => {
    const p = file('aa\nbb\n'); // size 6, 2 splits: [0,3) [3,6); line "bb" starts at 3
    expect(fileSplitRange(6, 1, 2)).toEqual([3, 6]);
    expect(readAll(p, 0, 2)).toEqual(['aa']);
    expect(readAll(p, 1, 2)).toEqual(['bb']);
  });

  it('restore from a mid-file snapshot continues exactly', () => {
    const p = file(text);
    for (const [j, par] of [[0, 1], [1, 3]] as const) {
      const full = readAll(p, j, par, 16, 5);
      const s = new FileLineSource({ path: p, chunkSize: 16 });
      s.open(j, par);
      const before = [...(s.pollBatch(5) as string[]), ...(s.pollBatch(4) as string[])];
      const pos = s.snapshotPosition();
      s.pollBatch(5); // after the barrier: replayed after restore
      s.close();
      const r = new FileLineSource({ path: p, chunkSize: 16 });
      r.open(j, par, pos);
      const after: string[] = [];
      for (let b = r.pollBatch(5); b !== 'end'; b = r.pollBatch(5)) after.push(...b);
      r.close();
      expect([...before, ...after]).toEqual(full);
    }
  });

  it('position at end of split restores to end', () => {
    const p = file('a\nb\n');
    const s = new FileLineSource({ path: p });
    s.open(0, 1);
    expect(s.pollBatch(10)).toEqual(['a', 'b']);
    const pos = s.snapshotPosition();
    s.close();
    s.open(0, 1, pos);
    expect(s.pollBatch(10)).toBe('end');
    s.close();
  });

  it('handles CRLF and a final line without newline', () => {
    expect(readAll(file('a\r\nbb\r\n\r\nlast'), 0, 1, 2)).toEqual(['a', 'bb', '', 'last']);
    expect(readAll(file('one\ntwo'))).toEqual(['one', 'two']);
    expect(readAll(file('one\n'))).toEqual(['one']);
    expect(readAll(file(''))).toEqual([]);
    expect(readAll(file('\n'))).toEqual(['']);
    expect(readAll(file('x\r'))).toEqual(['x\r']);
  });

  it('restores after a final line without newline', () => {
    const p = file('a\nlast');
    const s = new FileLineSource({ path: p, chunkSize: 2 });
    s.open(0, 1);
    expect(s.pollBatch(1)).toEqual(['a']);
    const pos = s.snapshotPosition();
    expect(s.pollBatch(5)).toEqual(['last']);
    s.close();
    s.open(0, 1, pos);
    expect(s.pollBatch(5)).toEqual(['last']);
    expect(s.pollBatch(5)).toBe('end');
    s.close();
  });

  it('decodes UTF-8 multibyte characters split across chunk boundaries', () => {
    const utf = ['héllo wörld', '日本語のテキスト', '😀😃😄 emoji', 'ascii', 'ßüñ€'];
    const p = file(utf.join('\n'));
    for (const chunk of [1, 2, 3, 5, 7]) {
      for (const par of [1, 2, 3, 4]) {
        const got: string[] = [];
        for (let j = 0; j < par; j++) got.push(...readAll(p, j, par, chunk));
        expect(got).toEqual(utf);
      }
    }
  });

  it('fails loudly on invalid UTF-8 and on a file changed since the snapshot', () => {
    expect(() => readAll(file(Buffer.from([0x61, 0xff, 0x0a])))).toThrow(/invalid UTF-8/);
    const p = file('a\nb\n');
    const s = new FileLineSource({ path: p });
    s.open(0, 1);
    s.pollBatch(1);
    const pos = s.snapshotPosition();
    s.close();
    writeFileSync(p, 'a\nb\nc\n');
    expect(() => s.open(0, 1, pos)).toThrow(SourcePositionError);
    expect(() => s.open(0, 2, pos)).toThrow(SourcePositionError);
  });
});
