import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types
import { exportSections } from './readme-exports.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each library's README lists everything its package entry exports (tools/readme-exports.mjs). */
describe('library READMEs', () => {
  it('list every export of their package entry', () => {
    const sections = exportSections(REPO) as Map<string, string>;
    expect(sections.size).toBeGreaterThanOrEqual(13);
    for (const [lib, section] of sections) {
      expect(readFileSync(join(REPO, 'libs', lib, 'README.md'), 'utf8'), `libs/${lib}/README.md: run node tools/readme-exports.mjs`).toContain(section);
    }
    expect(sections.get('metrics-store')).toContain('`QueryLogger` (class)');
  });

  it('--check fails naming a README that is out of date; a run without it brings it up to date', () => {
    const root = mkdtempSync(join(tmpdir(), 'web4-readme-'));
    try {
      mkdirSync(join(root, 'libs/demo/src'), { recursive: true });
      writeFileSync(join(root, 'libs/demo/src/index.ts'), 'export const answer = 42;\nexport class Thing {}\nexport type Shape = { a: number };\n');
      writeFileSync(join(root, 'libs/demo/README.md'), '# @web4/demo\n\nWhat it is for.\n');
      const script = join(REPO, 'tools/readme-exports.mjs');
      const stale = spawnSync(process.execPath, [script, '--check', '--root', root], { encoding: 'utf8' });
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('out of date (the package entry exports something else): libs/demo/README.md');
      expect(spawnSync(process.execPath, [script, '--root', root]).status).toBe(0);
      const readme = readFileSync(join(root, 'libs/demo/README.md'), 'utf8');
      expect(readme).toContain('# @web4/demo\n\nWhat it is for.\n\n## Everything the package exports');
      expect(readme).toContain('- `index.ts`: `answer`, `Thing` (class), `Shape` (type)');
      expect(spawnSync(process.execPath, [script, '--check', '--root', root]).status).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
