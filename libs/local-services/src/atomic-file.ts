import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A temporary path beside `target` (same directory, so the final rename is atomic on one file
 * system). Half-written output never sits at the target path.
 */
export function siblingTemp(target: string): string {
  mkdirSync(dirname(target), { recursive: true });
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Write a file through a temporary sibling and rename it into place. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const tmp = siblingTemp(target);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Build a file or folder at a temporary sibling with `build(tmp)`, then swap it into place.
 * An existing target is replaced only after the build succeeded; a failed build removes its
 * temporary output and leaves the old target as it was.
 */
export async function buildAtomically<T>(target: string, build: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = siblingTemp(target);
  try {
    const result = await build(tmp);
    if (existsSync(target)) {
      // rename() cannot replace a non-empty directory: move the old one aside first.
      const old = siblingTemp(target);
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    return result;
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
