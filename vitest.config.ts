import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 20 * 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    // two cores: JVMs and builds must not starve each other
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
