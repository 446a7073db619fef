import { existsSync, readdirSync } from 'node:fs';
import { defineWorkspace } from 'vitest/config';

/**
 * One Vitest project per Nx project (libs/*, apps/*) plus `tools`. Unit tests are `*.test.ts`
 * beside the code; tests that need a real server are `*.int.test.ts` and get the servers that
 * `tools/test/global-setup.ts` starts once per run.
 */
const dirs = ['libs', 'apps'].flatMap((kind) =>
  existsSync(kind) ? readdirSync(kind, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${kind}/${d.name}`) : [],
);

export default defineWorkspace([
  ...dirs.map((dir) => ({
    extends: './vitest.shared.ts',
    test: { name: dir.split('/')[1]!, root: dir, include: ['src/**/*.test.ts'] },
  })),
  { extends: './vitest.shared.ts', test: { name: 'tools', root: 'tools', include: ['**/*.test.ts'] } },
]);
