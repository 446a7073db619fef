import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const DASHED = /(?:^|\/)(\d{4})-(\d{2})-(\d{2})-UTC-\d{4}(?:-[^/]*)?\.md$/;
const COMPACT = /(?:^|\/)(\d{4})(\d{2})(\d{2})-[^/]+\.pdca\.md$/;

/**
 * Finds PDCA files under the journal root. Symbolic links are followed only when their target
 * stays inside the root, and every real directory is visited once, so a link pointing at its
 * own parent cannot send the walk into a loop.
 */
export class FileDiscovery {
  private root = '';
  private realRoot = '';

  constructor() {}

  init(root: string): this {
    this.root = root;
    return this;
  }

  static dayFromName(path: string): string | undefined {
    const p = path.split(sep).join('/');
    const m = DASHED.exec(p) ?? COMPACT.exec(p);
    return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
  }

  async all(): Promise<string[]> {
    this.realRoot = await realpath(this.root);
    const found: string[] = [];
    await this.walk(this.root, new Set<string>(), found);
    return found.sort();
  }

  async forDay(day: string): Promise<string[]> {
    return (await this.all()).filter((p) => FileDiscovery.dayFromName(p) === day);
  }

  private async walk(dir: string, seen: Set<string>, found: string[]): Promise<void> {
    const real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const info = await lstat(full);
      let target = full;
      if (info.isSymbolicLink()) {
        const resolved = await realpath(full).catch(() => undefined);
        if (!resolved || !resolved.startsWith(this.realRoot + sep)) continue;
        target = resolved;
      }
      const s = await stat(target);
      if (s.isDirectory()) await this.walk(full, seen, found);
      else if (entry.name.endsWith('.md')) found.push(relative(this.root, full).split(sep).join('/'));
    }
  }
}
