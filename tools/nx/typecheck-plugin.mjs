// A local Nx plugin: infers a `typecheck` target for every project that has a tsconfig.json
// (libs/<name>/tsconfig.json, apps/<name>/tsconfig.json).
//
// Why not @nx/js/typescript: its inferred `typecheck` runs `tsc --build <tsconfig> --emitDeclarationOnly`
// and carries the `@nx/js:typescript-sync` generator, which writes TypeScript project references
// (composite configs, a root tsconfig.json that lists every project) before each run. This
// repository type-checks source against source through the packages' source entries, with one
// root tsconfig.json for editors and `npm run typecheck`; turning it into project references is
// a different layout, not a target. So each project runs `tsc --noEmit -p tsconfig.json`: its own
// files, and the sources of the @web4 libraries it imports as they are today.
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { createNodesFromFiles } from '@nx/devkit';

const TSCONFIG_GLOB = '{libs,apps}/*/tsconfig.json';

/** @type {import('@nx/devkit').CreateNodesV2<{ targetName?: string }>} */
export const createNodesV2 = [
  TSCONFIG_GLOB,
  (configFiles, options, context) =>
    createNodesFromFiles(
      (configFile, opts, ctx) => {
        const root = dirname(configFile);
        if (!existsSync(join(ctx.workspaceRoot, root, 'project.json'))) return {};
        const targetName = opts?.targetName ?? 'typecheck';
        return {
          projects: {
            [root]: {
              targets: {
                [targetName]: {
                  command: 'tsc --noEmit -p tsconfig.json',
                  options: { cwd: root },
                  cache: true,
                  // vitest.shared.ts: every project's vitest.config.ts imports it, so it is part of each program.
                  inputs: ['default', '^production', '{workspaceRoot}/vitest.shared.ts', { externalDependencies: ['typescript'] }],
                  outputs: [],
                  metadata: {
                    technologies: ['typescript'],
                    description: 'Type-checks the project (and the @web4 sources it imports) with tsc --noEmit',
                  },
                },
              },
            },
          },
        };
      },
      configFiles,
      options,
      context,
    ),
];
