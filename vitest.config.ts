import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Process-level crash tests and soaks take minutes: `npm run test:chaos` (vitest.chaos.config.ts).
    exclude: [...configDefaults.exclude, 'test/chaos/**', 'test/soak/**'],
    testTimeout: 60_000,
    pool: 'forks',
    env: { WEIR_WASM: 'debug' },
  },
});
