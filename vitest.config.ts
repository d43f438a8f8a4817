import { defineConfig } from 'vitest/config';

// Integration tests start their own PostgreSQL; two workers fit the 2-core CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
