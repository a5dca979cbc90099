/**
 * Benchmark entry point.
 *
 *   npm run bench                      every suite
 *   npm run bench -- state [job ...]   the named suites
 *   WEIR_BENCH_SCALE=small npm run bench -- state   a quick development run
 *
 * Suites may have their own development filters (e.g. the state suite's WEIR_BENCH_BACKENDS and
 * WEIR_BENCH_CASES, see bench/state/state-suite.ts); a filtered run is partial.
 *
 * Each suite writes bench-results/<suite>.json; a full-scale run without errors also rewrites the
 * suite's section of README.md (between `<!-- bench:<suite>:start/end -->`). Small-scale runs leave
 * the README alone, so development numbers never land there.
 */
import path from 'node:path';
import { REPO_ROOT } from './harness/child-process.js';
import { describeMachine } from './harness/machine.js';
import { writeReadmeSection } from './harness/readme-section.js';
import { writeResultsFile } from './harness/results-file.js';
import { benchScaleFromEnv, BENCH_SCALES, SCALE_ENV, type BenchScale } from './harness/scale.js';
import type { SuiteReport } from './harness/suite.js';
import { SUITES } from './suites.js';

const USAGE = `usage: npm run bench [-- <suite> ...]
suites: ${Object.keys(SUITES).join(', ')}
env:    ${SCALE_ENV}=${BENCH_SCALES.join('|')} (default full; only full runs update README.md)`;

/** Bad command line or environment: reported with the usage text, exit code 2. */
class UsageError extends Error {}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function selectSuites(args: readonly string[]): string[] {
  const known = Object.keys(SUITES);
  if (args.length === 0) return known;
  const unknown = args.filter((a) => !known.includes(a));
  if (unknown.length > 0) {
    throw new UsageError(`unknown benchmark suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  return [...new Set(args)];
}


async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const names = selectSuites(args);
  let scale: BenchScale;
  try {
    scale = benchScaleFromEnv();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const machine = describeMachine();
  let failed = false;
  for (const name of names) {
    const suite = await SUITES[name]!();
    const date = new Date().toISOString();
    log(`[${name}] ${suite.description} (scale ${scale})`);
    const t0 = performance.now();
    const { results, errors, partial } = await suite.run({ scale, log: (line) => log(`[${name}] ${line}`) });
    const report: SuiteReport = {
      suite: name,
      scale,
      date,
      durationMs: Math.round(performance.now() - t0),
      machine,
      results,
      ...(errors.length > 0 ? { errors } : {}),
      ...(partial ? { partial } : {}),
    };
    const file = await writeResultsFile(REPO_ROOT, report);
    const markdown = suite.renderMarkdown(report);
    console.log(`\n${markdown}\n`);
    log(`[${name}] ${results.length} results in ${(report.durationMs / 1000).toFixed(0)} s → ${path.relative(REPO_ROOT, file)}`);
    if (errors.length > 0) {
      failed = true;
      for (const e of errors) log(`[${name}] FAILED: ${e}`);
      log(`[${name}] README.md not updated: the run had failures`);
    } else if (partial) {
      log(`[${name}] README.md not updated: partial run (${partial})`);
    } else if (scale !== 'full') {
      log(`[${name}] README.md not updated: scale ${scale} (only full runs are published)`);
    } else {
      await writeReadmeSection(path.join(REPO_ROOT, 'README.md'), name, markdown);
      log(`[${name}] README.md section updated`);
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      log(`${e.message}\n${USAGE}`);
      process.exit(2);
    }
    log(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
