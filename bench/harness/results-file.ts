/** Writes `bench-results/<suite>.json` (git-ignored), the machine-readable result of a suite run. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SuiteReport } from './suite.js';

export async function writeResultsFile(repoRoot: string, report: SuiteReport): Promise<string> {
  const dir = path.join(repoRoot, 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${report.suite}.json`);
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
