#!/usr/bin/env node
// The `web4` command from a checkout: runs the CLI from source through tsx, so `npx web4 …`
// always matches the code in the tree. Cron uses the built bundle (dist/apps/cli/main.js).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs');
if (!existsSync(tsx)) {
  console.error('web4: dependencies are not installed. Run `npm start` or `node tools/bootstrap.mjs` in ' + repo);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', pathToFileURL(tsx).href, join(repo, 'apps/cli/src/main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning'].filter(Boolean).join(' ') },
  cwd: process.cwd(),
});
process.exit(result.status ?? (result.signal ? 128 + 15 : 1));
