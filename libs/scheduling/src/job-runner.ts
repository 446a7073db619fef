import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '@web4/core';

/** How a job's `web4` command is started: absolute paths only, cron has no PATH worth the name. */
export interface JobRunner {
  /** `bundle`: the built CLI (dist/apps/cli/main.js); `source`: tools/web4.mjs through tsx. */
  kind: 'bundle' | 'source';
  /** Program and leading arguments, e.g. ["/usr/bin/node", "/repo/dist/apps/cli/main.js"]. */
  argv: string[];
  /** One line for people: which runner and why. */
  describe: string;
}

export type RunnerChoice = 'auto' | 'bundle' | 'source';

/** The repository this code runs from: the nearest folder above `start` whose package.json is web4-learning's. */
export function findRepoRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'web4-learning') return dir;
      } catch {
        // not ours: keep looking upwards
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new InputError(`No web4-learning checkout above ${start}.`, { hint: 'Run the scheduler from a checkout (it needs node_modules and dist/ or tools/).' });
    dir = up;
  }
}

/**
 * The built CLI bundle when it exists (what cron should run: no compile at start), else the
 * source entry `tools/web4.mjs` (always current, but compiles through tsx on each start).
 * `bundle` refuses to fall back: an unbuilt bundle is an error that says how to build it.
 * `options.bundle`: the CLI bundle to prefer (default `<repo>/dist/apps/cli/main.js`).
 */
export function resolveJobRunner(repoRoot: string, choice: RunnerChoice = 'auto', options: { bundle?: string; node?: string } = {}): JobRunner {
  const node = options.node ?? process.execPath;
  // A built app passes the CLI bundle it was built with (itself, or the one beside the scheduler bundle).
  const bundle = options.bundle && existsSync(options.bundle) ? options.bundle : join(repoRoot, 'dist', 'apps', 'cli', 'main.js');
  const source = join(repoRoot, 'tools', 'web4.mjs');
  if (choice !== 'source' && existsSync(bundle)) return { kind: 'bundle', argv: [node, bundle], describe: `built bundle ${bundle}` };
  if (choice === 'bundle') {
    throw new InputError(`The built CLI bundle ${bundle} does not exist.`, { hint: 'Build it with `npx nx run cli:build` (or `npx nx run-many -t build`), or use --runner source.' });
  }
  return { kind: 'source', argv: [node, source], describe: `source entry ${source} (through tsx${choice === 'auto' ? '; no built bundle: `npx nx run cli:build` makes one' : ''})` };
}
