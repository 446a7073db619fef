import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: [fileURLToPath(new URL('./tools/test/global-setup.ts', import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    passWithNoTests: false,
  },
});
