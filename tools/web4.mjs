#!/usr/bin/env node
// The `web4` command from a checkout: runs the CLI from source through tsx, so `npx web4 …`
// always matches the code in the tree. Cron uses the built bundle (dist/apps/cli/main.js).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeFlagsFor } from './node-flags.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs');
if (!existsSync(tsx)) {
  console.error('web4: dependencies are not installed. Run `npm start` or `node tools/bootstrap.mjs` in ' + repo);
  process.exit(2);
}
const args = process.argv.slice(2);
const child = spawn(process.execPath, [...nodeFlagsFor(args), '--import', pathToFileURL(tsx).href, join(repo, 'apps/cli/src/main.ts'), ...args], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning'].filter(Boolean).join(' ') },
  cwd: process.cwd(),
});
// A signal to this wrapper (a scheduler's SIGTERM, Ctrl-C) reaches the CLI, which stops cleanly
// (the nightly loop between steps, its trainer between micro-batches).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  console.error(`web4: cannot start the CLI: ${error.message}`);
  process.exit(1);
});
// A CLI killed by a signal exits as a shell reports it: 128 + the signal's number (137 for SIGKILL).
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 15) : 1)));
