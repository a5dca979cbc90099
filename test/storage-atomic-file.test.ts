import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isTempFileName,
  listLeftoverTempFiles,
  readContainerFile,
  removeLeftoverTempFiles,
  writeFileAtomically,
} from '../src/storage/atomic-file.js';
import { createCodec } from '../src/storage/codec.js';
import { encodeFile, FILE_KIND } from '../src/storage/file-container.js';
import { StorageFormatError } from '../src/storage/storage-error.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-storage-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (s: string) => new TextEncoder().encode(s);

/** A distinct, sizeable payload per generation, so a torn read could not pass for another one. */
function generation(n: number, size = 256 * 1024): Uint8Array {
  return new Uint8Array(size).fill(n & 0xff).map((v, i) => (v + i * 31) & 0xff);
}

describe('writeFileAtomically', () => {
  it('creates, then replaces, leaving no temp file behind', async () => {
    const path = join(dir, '_metadata');
    await writeFileAtomically(path, text('old'));
    expect(await readFile(path, 'utf8')).toBe('old');
    await writeFileAtomically(path, text('new'));
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['_metadata']);
  });

  it('a failed rename leaves the target untouched and removes its temp file', async () => {
    const path = join(dir, 'occupied');
    await mkdir(path);
    await writeFile(join(path, 'child'), 'keep');
    await expect(writeFileAtomically(path, text('x'))).rejects.toThrow();
    expect(await readFile(join(path, 'child'), 'utf8')).toBe('keep');
    expect(await listLeftoverTempFiles(dir)).toEqual([]);
  });

  it('fails without leaving anything when the directory does not exist', async () => {
    await expect(writeFileAtomically(join(dir, 'missing', 'f'), text('x'))).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('concurrent readers only ever see a whole old or whole new file', async () => {
    const path = join(dir, 'chk');
    const codec = createCodec('none');
    const files = await Promise.all([0, 1, 2, 3].map((g) => encodeFile(FILE_KIND.metadata, generation(g), codec)));
    await writeFileAtomically(path, files[0]!);
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i <= 40; i++) await writeFileAtomically(path, files[i % files.length]!);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const raw = await readContainerFile(path, FILE_KIND.metadata);
      const g = raw[0]!;
      expect(Buffer.compare(raw, generation(g))).toBe(0);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(await listLeftoverTempFiles(dir)).toEqual([]);
  });

  it('concurrent writers to one path end with exactly one of their contents', async () => {
    const path = join(dir, 'race');
    await Promise.all([1, 2, 3, 4, 5].map((g) => writeFileAtomically(path, generation(g, 64 * 1024))));
    const final = new Uint8Array(await readFile(path));
    expect(Buffer.compare(final, generation(final[0]!, 64 * 1024))).toBe(0);
    expect(await readdir(dir)).toEqual(['race']);
  });
});

describe('leftover temp files', () => {
  it('a crash between write and rename leaves the old file, and the leftover is found and removed', async () => {
    const path = join(dir, '_metadata');
    await writeFileAtomically(path, text('old'));
    // What a crash before the rename leaves: a partially written temp file beside the target.
    const leftover = `${path}.tmp-0123456789ab`;
    await writeFile(leftover, 'partial n');
    await writeFile(join(dir, 'notes.tmp-xyz'), 'not ours');
    await writeFile(join(dir, 'seg.tmp-0123456789abc'), 'not ours either');

    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await listLeftoverTempFiles(dir)).toEqual([leftover]);
    expect(await removeLeftoverTempFiles(dir)).toEqual([leftover]);
    expect((await readdir(dir)).sort()).toEqual(['_metadata', 'notes.tmp-xyz', 'seg.tmp-0123456789abc']);
    expect(await removeLeftoverTempFiles(dir)).toEqual([]);
  });

  it('recognises exactly the names writeFileAtomically uses', () => {
    expect(isTempFileName('_metadata.tmp-a1b2c3d4e5f6')).toBe(true);
    expect(isTempFileName('_metadata')).toBe(false);
    expect(isTempFileName('_metadata.tmp-A1B2C3D4E5F6')).toBe(false);
    expect(isTempFileName('x.tmp-a1b2c3d4e5f')).toBe(false);
    expect(isTempFileName('x.tmp-a1b2c3d4e5f6.seg')).toBe(false);
  });
});

describe('readContainerFile', () => {
  it('round-trips through the disk with every codec', async () => {
    const raw = generation(9, 100_000);
    for (const name of ['none', 'deflate', 'brotli', 'fflate']) {
      const path = join(dir, `${name}.seg`);
      await writeFileAtomically(path, await encodeFile(FILE_KIND.stateSegment, raw, createCodec(name)));
      expect(Buffer.compare(await readContainerFile(path, FILE_KIND.stateSegment), raw)).toBe(0);
    }
  });

  it('format errors name the path', async () => {
    const path = join(dir, 'shared', '7.seg');
    await mkdir(join(dir, 'shared'));
    const file = await encodeFile(FILE_KIND.stateSegment, generation(1, 1000), createCodec('deflate'));
    file[file.length - 1]! ^= 1;
    await writeFileAtomically(path, file);
    const err = await readContainerFile(path, FILE_KIND.stateSegment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFormatError);
    expect((err as StorageFormatError).path).toBe(path);
    expect((err as StorageFormatError).reason).toBe('checksum');
    expect((err as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: stored payload checksum`));
  });

  it('a missing file is Node’s ENOENT, naming the path', async () => {
    const path = join(dir, 'nope');
    const err = await readContainerFile(path, FILE_KIND.metadata).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((err as Error).message).toContain(path);
  });
});
