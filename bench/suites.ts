/**
 * Every benchmark suite, by name, in the order `npm run bench` runs them. Registering a suite is one
 * line here; suites load lazily, so one suite's imports never break another's run.
 */
import type { Suite } from './harness/suite.js';

export const SUITES: Readonly<Record<string, () => Promise<Suite>>> = {
  state: async () => (await import('./state/state-suite.js')).stateSuite,
  storage: async () => (await import('./storage/codec-suite.js')).codecSuite,
  job: async () => (await import('./job/job-suite.js')).jobSuite,
  savepoint: async () => (await import('./savepoint/savepoint-suite.js')).savepointSuite,
  nexmark: async () => (await import('./nexmark/nexmark-suite.js')).nexmarkSuite,
};
