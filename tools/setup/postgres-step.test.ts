import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { postgresBinDir } from '@web4/local-services';
import { nobodyCannotRunHere } from '../test/as-nobody.js';
import { ensurePostgres } from './setup-steps.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe("setup's postgresql step", () => {
  it('finds the installed initdb/pg_ctl (Debian: /usr/lib/postgresql/<major>/bin) and does nothing else', () => {
    const lines: string[] = [];
    const result = ensurePostgres((l) => lines.push(l));
    expect(result).toEqual({ action: 'found', note: postgresBinDir() });
    expect(result.note).toMatch(/\/bin$/);
    expect(lines).toEqual([]);
  });

  // As root the step would install: run it as "nobody" (no root, no sudo) to see what a user without rights is told.
  const root = process.getuid?.() === 0;
  const blocked = root ? nobodyCannotRunHere() : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? 'passwordless sudo here: the step would install' : false;
  it.skipIf(Boolean(blocked))('where it is missing, without root or sudo it installs nothing and says what to run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-postgres-step-'));
    try {
      chmodSync(dir, 0o777); // "nobody" writes tsx's cache here
      const script = join(dir, 'step.ts');
      writeFileSync(script, `import { ensurePostgres } from ${JSON.stringify(pathToFileURL(join(REPO, 'tools/setup/setup-steps.ts')).href)};\nconsole.log(JSON.stringify(ensurePostgres(() => {}, () => undefined)));\n`);
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
      expect(result).toEqual({ action: 'missing', note: '⚠️ PostgreSQL (initdb, pg_ctl) missing and no root: run `sudo apt-get install -y postgresql` for the PostgreSQL storage tests' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
