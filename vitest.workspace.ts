import { defineWorkspace } from 'vitest/config';

/**
 * One Vitest run over every project: each Nx project (libs/*, apps/*) by its own vitest.config.ts
 * (the file @nx/vite/plugin infers its `test` target from), plus `tools`. Unit tests are
 * `*.test.ts` beside the code; tests that need a real server are `*.int.test.ts` and get the
 * servers that `tools/test/global-setup.ts` starts once per run.
 */
export default defineWorkspace([
  'libs/*/vitest.config.ts',
  'apps/*/vitest.config.ts',
  { extends: './vitest.shared.ts', test: { name: 'tools', root: 'tools', include: ['**/*.test.ts'] } },
]);
