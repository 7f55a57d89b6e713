// The end-to-end tests: Debian's Chromium, driven by playwright-core,
// against a real relaymock on loopback (e2e/harness.ts starts it).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
