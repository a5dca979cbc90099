import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listCommittedFiles, parseCommittedFileName, readCommittedLines } from '../src/cli/committed-output.js';
import { diffLineMultisets, outputsMatch } from '../src/cli/output-diff.js';

describe('diffLineMultisets', () => {
  it('equal multisets in any order match', () => {
    const d = diffLineMultisets(['a', 'b', 'b', 'c'], ['b', 'c', 'a', 'b']);
    expect(outputsMatch(d)).toBe(true);
    expect(d).toMatchObject({ referenceLines: 4, actualLines: 4, lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('counts lost, duplicated and unexpected copies separately', () => {
    const d = diffLineMultisets(['a', 'b', 'b', 'c'], ['a', 'a', 'a', 'b', 'x', 'x', 'y']);
    expect(outputsMatch(d)).toBe(false);
    expect(d).toMatchObject({ lost: 2, duplicated: 2, unexpected: 3 });
    expect(d.examples).toEqual({
      lost: [
        { line: 'b', count: 1 },
        { line: 'c', count: 1 },
      ],
      duplicated: [{ line: 'a', count: 2 }],
      unexpected: [
        { line: 'x', count: 2 },
        { line: 'y', count: 1 },
      ],
    });
  });

  it('keeps at most maxExamples examples of each kind', () => {
    const ref = Array.from({ length: 20 }, (_, i) => `r${i}`);
    const d = diffLineMultisets(ref, [], 3);
    expect(d.lost).toBe(20);
    expect(d.examples.lost.map((e) => e.line)).toEqual(['r0', 'r1', 'r2']);
  });

  it('empty against empty matches', () => {
    expect(outputsMatch(diffLineMultisets([], []))).toBe(true);
  });

  it('property: lost − (duplicated + unexpected) = reference size − actual size, and a permutation always matches', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (ref, act) => {
        const d = diffLineMultisets(ref, act);
        expect(d.lost - d.duplicated - d.unexpected).toBe(ref.length - act.length);
        expect(outputsMatch(diffLineMultisets(ref, [...ref].reverse()))).toBe(true);
        expect(outputsMatch(d)).toBe([...ref].sort().join() === [...act].sort().join());
      }),
    );
  });
});

describe('committed sink output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-committed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses only the names the sink commits', () => {
    expect(parseCommittedFileName('part-2-17')).toEqual({ name: 'part-2-17', subtaskIndex: 2, checkpointId: 17 });
    for (const name of ['part-2', 'part-a-1', 'part-1-2.part', '1-2.part', 'part-01-2', 'xpart-1-2']) {
      expect(parseCommittedFileName(name)).toBeUndefined();
    }
  });

  it('reads every line of the committed files, ignoring in-progress and pending transactions', async () => {
    mkdirSync(join(dir, '.inprogress'));
    mkdirSync(join(dir, '.pending'));
    writeFileSync(join(dir, '.inprogress', '0-abcdef.part'), 'uncommitted\n');
    writeFileSync(join(dir, '.pending', '3-0.part'), 'pending\n');
    writeFileSync(join(dir, 'part-1-2'), 'c\n');
    writeFileSync(join(dir, 'part-0-10'), 'b\n\n');
    writeFileSync(join(dir, 'part-0-9'), 'a\nb');
    writeFileSync(join(dir, 'notes.txt'), 'not output\n');
    expect((await listCommittedFiles(dir)).map((f) => f.name)).toEqual(['part-0-9', 'part-0-10', 'part-1-2']);
    expect(await readCommittedLines(dir)).toEqual({ files: 3, lines: ['a', 'b', 'b', '', 'c'] });
  });

  it('a directory that does not exist has no output', async () => {
    expect(await readCommittedLines(join(dir, 'missing'))).toEqual({ files: 0, lines: [] });
  });
});
