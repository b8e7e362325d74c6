import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'shared/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Concurrency tests spawn many processes; two cores cannot take several such files at once.
    fileParallelism: false,
    pool: 'forks',
  },
});
