// `npm run screenshots`: the README's pictures, made again from the same
// browser the tests drive (docs/screenshots/).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { environment: 'node', include: ['e2e/**/*.shot.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
});
