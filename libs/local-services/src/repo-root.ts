import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout this code runs from: the nearest folder at or above `from` whose package.json has
 * `"name": "web4-learning"` (the root package.json of this repository). Walking up from this module
 * makes it work from source and from the bundled dist/apps/*. python/, python/.venv and node_modules
 * live there. This is the one repository-root finder of the workspace; throws when no such folder
 * exists rather than guessing.
 */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'web4-learning') return dir;
      } catch {
        // keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the web4-learning checkout above ${from}`);
    dir = up;
  }
}
