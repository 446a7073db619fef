import { fileURLToPath } from 'node:url';
import { defineConfig, defineProject, mergeConfig, type UserWorkspaceConfig } from 'vitest/config';
// The values tests `inject()` (chromaUrl, ollamaUrl, …) are declared there: every project's
// tsconfig.json reaches that declaration through its vitest.config.ts and this file.
import type {} from './tools/test/global-setup.js';

/**
 * What every Vitest project of the repository shares: the real servers of
 * tools/test/global-setup.ts (started once per run, however many projects run), long timeouts for
 * integration tests, forked workers.
 *
 * `watch: false`: `nx test <project>` (inferred by @nx/vite/plugin as `vitest` in the project's
 * folder) runs the tests once, as `npm test` does; `nx test <project> --watch` watches.
 */
const shared = defineConfig({
  test: {
    globalSetup: [fileURLToPath(new URL('./tools/test/global-setup.ts', import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    passWithNoTests: false,
    watch: false,
  },
});
export default shared;

/**
 * The Vitest config of one Nx project (libs/<name>/vitest.config.ts, apps/<name>/vitest.config.ts):
 * its tests are `src/**\/*.test.ts`, its Vitest project name is its folder name, the same name
 * `vitest run --project <name>` selects in the root workspace (vitest.workspace.ts).
 */
export function nxProjectTests(name: string): UserWorkspaceConfig {
  return mergeConfig(shared, defineProject({ test: { name, include: ['src/**/*.test.ts'] } }));
}
