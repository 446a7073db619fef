import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import jsoncParser from 'jsonc-eslint-parser';

export default [
  { ignores: ['**/dist', '**/node_modules', 'python/**', '**/.venv', 'coverage', 'tmp'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // Each project's vitest.config.ts builds on the root's shared test settings (not code of another project).
          allow: ['../../vitest.shared.js'],
          depConstraints: [
            // Apps compose libs; libs never import apps.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Scopes are layers; a project imports only its own scope and the layers below it:
            // shared < monitoring, retrieval < learning < serving < ops.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:monitoring', onlyDependOnLibsWithTags: ['scope:shared', 'scope:monitoring'] },
            { sourceTag: 'scope:retrieval', onlyDependOnLibsWithTags: ['scope:shared', 'scope:retrieval'] },
            {
              sourceTag: 'scope:learning',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:monitoring', 'scope:retrieval', 'scope:learning'],
            },
            {
              sourceTag: 'scope:serving',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:monitoring', 'scope:retrieval', 'scope:learning', 'scope:serving'],
            },
            {
              sourceTag: 'scope:ops',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:monitoring', 'scope:retrieval', 'scope:learning', 'scope:serving', 'scope:ops'],
            },
          ],
        },
      ],
    },
  },
  {
    // Each library declares exactly what its published code imports (and nothing it does not):
    // the dependencies in libs/<name>/package.json against the imports of the files that its
    // `build` target compiles (tests, benches and test helpers are not published).
    files: ['libs/*/package.json'],
    languageOptions: { parser: jsoncParser },
    plugins: { '@nx': nx },
    rules: {
      '@nx/dependency-checks': [
        'error',
        {
          buildTargets: ['build'],
          checkMissingDependencies: true,
          checkObsoleteDependencies: true,
          checkVersionMismatches: true,
          includeTransitiveDependencies: false,
          // pino-pretty: pino loads it by name as a transport (libs/core/src/logger.ts), so no import shows it.
          // @types/better-sqlite3: @web4/storage's published declarations import better-sqlite3's types.
          ignoredDependencies: ['pino-pretty', '@types/better-sqlite3'],
          ignoredFiles: [
            '{projectRoot}/src/**/*.test.ts',
            '{projectRoot}/src/**/*.bench.ts',
            '{projectRoot}/src/**/*.eval.ts',
            '{projectRoot}/src/bench/**',
            '{projectRoot}/src/test-support/**',
            '{projectRoot}/src/test-fixtures/**',
            '{projectRoot}/*.ts',
          ],
        },
      ],
    },
  },
];
