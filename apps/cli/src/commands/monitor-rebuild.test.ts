import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
/** Root runs the permission check as "nobody", which must be able to reach this checkout (tools/test/as-nobody.ts). */
const cannotRunAsNobody = inject('asNobodyBlocked') !== '';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'web4-cli-rebuild-'));
});
afterEach(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});

function web4(args: string[], options: { uid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, WEB4_STATE_ROOT: root, WEB4_NOW: '2026-11-25T12:00:00Z', HOME: root, ...options.env };
    delete env.WEB4_STORAGE__URL;
    const child = spawn(process.execPath, [join(repo, 'tools/web4.mjs'), ...args], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function someQueries(): Promise<string> {
  const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ timestamp: `2026-11-24T0${i}:00:00Z`, latencyMs: 100 * (i + 1) }));
  writeFileSync(join(root, 'q.jsonl'), lines.join('\n') + '\n');
  const imported = await web4(['monitor', 'import', join(root, 'q.jsonl')]);
  expect(imported.code, imported.stderr).toBe(0);
  return join(root, 'logs', 'production_metrics.db');
}

function summary(file: string): unknown[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare('select day, total_queries from daily_summary order by day').all();
  } finally {
    db.close();
  }
}

describe('web4 monitor rebuild on SQLite: storage failures as the other storage paths report them', () => {
  it('the metrics file locked by another process past monitoring.busyTimeoutMs: exit 3 naming the file and the setting, no stack; rebuilds once the lock is gone', async () => {
    const file = await someQueries();
    const holder = new BetterSqlite3(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const locked = await web4(['monitor', 'rebuild'], { env: { WEB4_MONITORING__BUSY_TIMEOUT_MS: '200' } });
      expect(locked.code, locked.stderr).toBe(3);
      expect(locked.stderr).toContain(`error: ${file} stayed locked by another process; could not rebuild daily_summary.`);
      expect(locked.stderr).toContain('→ Another writer held the database longer than monitoring.busyTimeoutMs');
      expect(locked.stderr).not.toMatch(/\n\s+at /);
      const json = await web4(['monitor', 'rebuild', '--json'], { env: { WEB4_MONITORING__BUSY_TIMEOUT_MS: '200' } });
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: 'storage', file, code: 'SQLITE_BUSY' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const rebuilt = await web4(['monitor', 'rebuild']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(summary(file)).toEqual([{ day: '2026-11-24', total_queries: 5 }]);
  }, 60_000);

  // Read-only and not-a-database files are found when the file is opened (SqliteFile.open writes
  // there), before the rebuild: these pin that the command still reports them, and changes nothing.
  it('a file that is not a SQLite database: exit 3 naming the file and what to do, no stack', async () => {
    const file = await someQueries();
    writeFileSync(file, 'not a database '.repeat(100));
    const result = await web4(['monitor', 'rebuild']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`error: ${file} is not a SQLite database or is corrupt`);
    expect(result.stderr).toContain(`Move it aside (mv "${file}" "${file}.corrupt")`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it.skipIf(cannotRunAsNobody)('a metrics file this user may read but not write: exit 3 saying it is not writable, daily_summary unchanged', async () => {
    const file = await someQueries();
    const before = summary(file);
    // The rollups of a day this rebuild would remove: a change that would show if it wrote anything.
    const db = new BetterSqlite3(file);
    db.prepare("insert into daily_summary (day, total_queries, updated_at) values ('2026-01-01', 7, 'x')").run();
    db.close();
    chmodSync(root, 0o755);
    chmodSync(join(root, 'logs'), 0o755);
    chmodSync(file, 0o444);
    try {
      // root ignores permission bits: run as "nobody" then, a user who really cannot write there.
      const result = await web4(['monitor', 'rebuild'], process.getuid?.() === 0 ? { uid: 65534 } : {});
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/is not writable/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      chmodSync(file, 0o644);
    }
    expect(summary(file)).toEqual([{ day: '2026-01-01', total_queries: 7 }, ...before]);
  }, 60_000);
});
