/**
 * Rewrites one suite's section of README.md: everything between `<!-- bench:<suite>:start -->` and
 * `<!-- bench:<suite>:end -->`. The rest of the README is left byte for byte as it was.
 */
import { readFile, writeFile } from 'node:fs/promises';

export function startMarker(suite: string): string {
  return `<!-- bench:${suite}:start -->`;
}
export function endMarker(suite: string): string {
  return `<!-- bench:${suite}:end -->`;
}

/**
 * Returns `readme` with the section replaced by `body`; appends the markers at the end when the
 * README has none yet. Throws if only one marker is present or they are out of order.
 */
export function replaceSection(readme: string, suite: string, body: string): string {
  const start = startMarker(suite);
  const end = endMarker(suite);
  const block = `${start}\n${body.trimEnd()}\n${end}`;
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 && j < 0) {
    const sep = readme.length === 0 || readme.endsWith('\n\n') ? '' : readme.endsWith('\n') ? '\n' : '\n\n';
    return `${readme}${sep}${block}\n`;
  }
  if (i < 0 || j < 0 || j < i) {
    throw new Error(`README.md has a broken '${suite}' benchmark section: need ${start} before ${end}`);
  }
  return readme.slice(0, i) + block + readme.slice(j + end.length);
}

/** Updates README.md in place, creating it (a title and the section) if absent. */
export async function writeReadmeSection(readmePath: string, suite: string, body: string): Promise<void> {
  let readme: string;
  try {
    readme = await readFile(readmePath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    readme = '# weir\n\n## Benchmark results\n\n';
  }
  await writeFile(readmePath, replaceSection(readme, suite, body));
}
