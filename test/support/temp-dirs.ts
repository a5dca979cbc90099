/** Temporary directories for tests that touch the disk, removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * Returns `make(prefix)`, which creates a temporary directory removed after each test of the
 * enclosing describe block (or file, when called at top level).
 */
export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (prefix) => {
    const d = mkdtempSync(join(tmpdir(), `weir-${prefix}-`));
    made.push(d);
    return d;
  };
}
