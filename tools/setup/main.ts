// Prepares everything the project runs on, after tools/bootstrap.mjs installed the npm
// dependencies: the Python trainer environment, the Ollama binary, the base LLM and the
// embedding model, each verified by checksum and cached so the second run does nothing.
//
//   node --import tsx tools/setup/main.ts [--skip-python] [--quiet] [--json]
//
// Every step prints one line with ✓ and its time; a failure prints what went wrong and the
// fix, and the exit code is non-zero.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWeb4Error, loadConfig, resolvePaths } from '@web4/core';
import { assetLayout } from '@web4/local-services';
import { runSetup, type SetupStepResult } from './setup-steps.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const json = args.has('--json');
const log = (line: string) => {
  if (!quiet) process.stderr.write(line + '\n');
};

const started = Date.now();
const results: SetupStepResult[] = [];
try {
  const { config } = loadConfig({ cwd: repoRoot });
  const paths = resolvePaths(config);
  await runSetup({
    repoRoot,
    config,
    layout: assetLayout(paths.cacheDir),
    skipPython: args.has('--skip-python'),
    log,
    onStep: (result) => {
      results.push(result);
      log(`setup: ✓ ${result.step}${result.note ? ` (${result.note})` : ''} ${result.seconds.toFixed(1)}s`);
    },
  });
  const total = (Date.now() - started) / 1000;
  log(`setup: ✓ done in ${total.toFixed(1)}s`);
  if (json) process.stdout.write(JSON.stringify({ ok: true, seconds: total, steps: results }, null, 2) + '\n');
} catch (error) {
  const message = isWeb4Error(error) ? error.toUserString() : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`setup: ✗ ${message}\n`);
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: String((error as Error)?.message ?? error), steps: results }, null, 2) + '\n');
  process.exit(isWeb4Error(error) ? error.exitCode : 1);
}
