import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout this code runs from (the folder whose package.json is `web4-learning`), found
 * by walking up from this module, so it works from source and from the bundled dist/apps/*.
 * python/.venv and node_modules live there.
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
