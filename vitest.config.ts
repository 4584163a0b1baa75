import { defineConfig } from 'vitest/config';
import SpreadSequencer from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // generous: two e2e files share two cores, and a spark-shell under that load takes over a minute
    testTimeout: 300_000,
    hookTimeout: 20 * 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    // longest files first, and never two thrift spaces at once (test/helpers/sequencer.ts)
    sequence: { sequencer: SpreadSequencer },
    // two cores: JVMs and builds must not starve each other
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
