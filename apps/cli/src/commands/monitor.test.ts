import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
/** Root runs the permission check as "nobody", which must be able to reach this checkout (tools/test/as-nobody.ts). */
const cannotRunAsNobody = inject('asNobodyBlocked') !== '';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'web4-cli-monitor-'));
});
afterEach(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** `web4 …` as a user runs it, through tools/web4.mjs, with a fixed "now". */
function web4(args: string[], options: { uid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, WEB4_STATE_ROOT: root, WEB4_NOW: '2026-11-25T12:00:00Z', HOME: root, ...options.env };
    delete env.WEB4_STORAGE__URL; // these tests are about the SQLite files
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

function rows(file: string, table: string): unknown[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(`select * from ${table} order by rowid`).all();
  } finally {
    db.close();
  }
}

describe('web4 monitor / feedback (real processes, real SQLite)', () => {
  it('report --json: statistics and checks, exit 1 when a target is missed, 0 when met', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ timestamp: `2026-11-24T0${i}:00:00Z`, latencyMs: 100 * (i + 1), usedTools: i < 3, usedHistory: i === 3 }));
    writeFileSync(join(root, 'q.jsonl'), lines.join('\n') + '\n');
    expect((await web4(['monitor', 'import', join(root, 'q.jsonl')])).code).toBe(0);
    const missed = await web4(['monitor', 'report', '--json']);
    expect(missed.code).toBe(1);
    const report = JSON.parse(missed.stdout);
    expect(report.statistics.total).toMatchObject({ queries: 10, avgLatencyMs: 550, errorRatePct: 0 });
    expect(report.statistics.total.hitRatePct).toEqual({ history: 10, tools: 30, trainai: 0, graph: 0 });
    expect(report.checks.find((c: { id: string }) => c.id === 'hit_rate_trainai').status).toBe('warn');
    // With TrainAI's range widened by configuration, every target is met.
    writeFileSync(join(root, 'web4.config.json'), JSON.stringify({ monitoring: { targets: { trainaiPct: { min: 0, max: 10 } } } }));
    const met = await web4(['monitor', 'report']);
    expect(met.stdout).toContain('All targets met (5/5).');
    expect(met.code).toBe(0);
    const metJson = JSON.parse((await web4(['monitor', 'report', '--json'])).stdout);
    expect(metJson).toMatchObject({ verdict: 'met', counts: { met: 5, missed: 0, unknown: 0 }, allTargetsMet: true });
  }, 60_000);

  it('no queries yet: nothing to judge, exit 5, verdict "unknown", allTargetsMet false (report and query-types)', async () => {
    const report = await web4(['monitor', 'report', '--json']);
    expect(report.code).toBe(5);
    const json = JSON.parse(report.stdout);
    expect(json).toMatchObject({ verdict: 'unknown', counts: { met: 0, missed: 0, unknown: 5 }, allTargetsMet: false });
    const text = await web4(['monitor', 'report']);
    expect(text.code).toBe(5);
    expect(text.stdout).toContain('Nothing to judge');
    expect(text.stdout).not.toContain('All targets met');
    const types = await web4(['monitor', 'query-types', '--json']);
    expect(types.code).toBe(5);
    expect(JSON.parse(types.stdout)).toMatchObject({ queries: 0, verdict: 'unknown', allTargetsMet: false });
    // One query on another day of the window makes the report judgeable; query-types of an empty day stays 5.
    expect((await web4(['monitor', 'log', '--latency', '300', '--timestamp', '2026-11-23T10:00:00Z'])).code).toBe(0);
    const judged = await web4(['monitor', 'report', '--json']);
    expect(JSON.parse(judged.stdout).verdict).toBe('missed'); // 1 pure query: every tier at 0%, under its range
    expect(judged.code).toBe(1);
    expect((await web4(['monitor', 'query-types', '--date', 'today'])).code).toBe(5);
    expect((await web4(['--help'])).stdout).toMatch(/\n\s+5\s+a check had nothing to judge/);
  }, 60_000);

  it('import checks every line first: a bad line at the end writes nothing (exit 2, line named)', async () => {
    expect((await web4(['monitor', 'log', '--latency', '5'])).code).toBe(0);
    const db = join(root, 'logs', 'production_metrics.db');
    const before = rows(db, 'query_metrics');
    const good = Array.from({ length: 12_000 }, (_, i) => JSON.stringify({ latencyMs: i, usedTools: i % 2 === 0 }));
    writeFileSync(join(root, 'q.jsonl'), [...good, '{"latencyMs": -1}'].join('\n'));
    const result = await web4(['monitor', 'import', join(root, 'q.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 12001: latencyMs must be a finite number of milliseconds ≥ 0, got -1.');
    expect(rows(db, 'query_metrics')).toEqual(before);
    expect(rows(db, 'daily_summary')).toHaveLength(1);
  }, 60_000);

  it('a 10 MB query file is refused with exit 2 and no feedback row changes', async () => {
    const db = join(root, 'logs', 'user_feedback.db');
    expect((await web4(['feedback', 'add', '--query', 'q1', '--response', 'r1', '--rating', 'up'])).code).toBe(0);
    const before = rows(db, 'feedback');
    writeFileSync(join(root, 'big.txt'), 'x'.repeat(10 * 1024 * 1024));
    const result = await web4(['feedback', 'add', '--query-file', join(root, 'big.txt'), '--response', 'r', '--rating', 'up']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('query in');
    expect(result.stderr).toContain('is 10.0 MiB, over the limit of 976.6 KiB');
    expect(rows(db, 'feedback')).toEqual(before);
    const rate = await web4(['feedback', 'rate', '--json']);
    expect(JSON.parse(rate.stdout)).toMatchObject({ up: 1, down: 0, total: 1, ratePct: 100, status: 'pass' });
  }, 60_000);

  it.skipIf(cannotRunAsNobody)('a read-only logs directory: exit 3 naming the directory, rows unchanged', async () => {
    expect((await web4(['monitor', 'log', '--latency', '10'])).code).toBe(0);
    const db = join(root, 'logs', 'production_metrics.db');
    const before = rows(db, 'query_metrics');
    chmodSync(root, 0o755);
    chmodSync(join(root, 'logs'), 0o555);
    try {
      // root ignores permission bits: run as "nobody" then, a user who really cannot write there.
      const result = await web4(['monitor', 'log', '--latency', '20'], process.getuid?.() === 0 ? { uid: 65534 } : {});
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`its directory ${join(root, 'logs')} is not writable`);
    } finally {
      chmodSync(join(root, 'logs'), 0o755);
    }
    expect(rows(db, 'query_metrics')).toEqual(before);
  }, 60_000);
});

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
