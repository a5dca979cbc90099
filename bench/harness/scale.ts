/**
 * `WEIR_BENCH_SCALE` picks how big a run is: `full` (default; what the README reports) or `small`
 * (a quick development run: smaller key counts and batches, numbers not comparable to full runs).
 */
export type BenchScale = 'full' | 'small';

export const BENCH_SCALES: readonly BenchScale[] = ['full', 'small'];

export const SCALE_ENV = 'WEIR_BENCH_SCALE';

export function benchScaleFromEnv(env: NodeJS.ProcessEnv = process.env): BenchScale {
  const raw = env[SCALE_ENV];
  if (raw === undefined || raw === '') return 'full';
  if ((BENCH_SCALES as readonly string[]).includes(raw)) return raw as BenchScale;
  throw new Error(`${SCALE_ENV}=${raw} is not a known scale (expected one of: ${BENCH_SCALES.join(', ')})`);
}
