import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nobodyCannotRunHere } from '../test/as-nobody.js';
import { ensureChromium } from './setup-steps.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MISSING = '/nonexistent/web4-test/chromium';

describe("setup's chromium step", () => {
  it('finds an installed browser and does nothing else', () => {
    const lines: string[] = [];
    expect(ensureChromium((l) => lines.push(l), process.execPath)).toEqual({ action: 'found', note: process.execPath });
    expect(lines).toEqual([]);
  });

  // As root the step would install: run it as "nobody" (no root, no sudo) to see what a user without rights is told.
  const root = process.getuid?.() === 0;
  const blocked = root ? nobodyCannotRunHere() : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? 'passwordless sudo here: the step would install' : false;
  it.skipIf(Boolean(blocked))('without root or sudo it installs nothing and says what to run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-chromium-step-'));
    try {
      chmodSync(dir, 0o777); // "nobody" writes tsx's cache here
      const script = join(dir, 'step.ts');
      writeFileSync(script, `import { ensureChromium } from ${JSON.stringify(pathToFileURL(join(REPO, 'tools/setup/setup-steps.ts')).href)};\nconsole.log(JSON.stringify(ensureChromium(() => {}, ${JSON.stringify(MISSING)})));\n`);
      chmodSync(script, 0o644);
      const tsx = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const r = spawnSync(process.execPath, ['--import', tsx, script], {
        encoding: 'utf8',
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir },
        ...(root ? { uid: 65534, gid: 65534 } : {}),
      });
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { action: string; note: string };
      expect(result.action).toBe('missing');
      expect(result.note).toContain(MISSING);
      expect(result.note).toContain('sudo apt-get install -y chromium');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
