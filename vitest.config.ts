import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['t/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: process.env.POE_VITEST_JSON ? ["default", "json"] : ["default"],
    outputFile: process.env.POE_VITEST_JSON ? { json: process.env.POE_VITEST_JSON } : undefined,
  },
});
