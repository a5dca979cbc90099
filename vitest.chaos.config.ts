import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos`: `weir chaos` on the example jobs, as child processes, and the soak tests
 * (test/soak: memory under backpressure). One file at a time, so
 * the crash runs do not compete for the CPU (their kill moments are scaled to a reference run).
 * The children use the release WASM build, as users do.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts', 'test/soak/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    pool: 'forks',
  },
});
