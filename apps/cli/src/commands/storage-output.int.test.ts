import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FixedClock } from '@web4/core';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { FeedbackStore, QueryLogger, feedbackMigrations } from '@web4/metrics-store';
import { PostgresDatabase } from '@web4/storage';

/** What `web4 storage …` prints for counts of one, and where it says a bad storage.url came from. */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const roots: string[] = [];
const newRoot = () => {
  const dir = mkdtempSync(join(tmpdir(), 'web4-cli-storage-out-'));
  roots.push(dir);
  return dir;
};
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.WEB4_STORAGE__URL;
const cli = ['--import', pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(repo, 'apps/cli/src/main.ts')];

function web4(root: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cli, '--root', root, ...args], { encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A state root with one query (one day in daily_summary) and one rating. */
function oneOfEach(): string {
  const root = newRoot();
  mkdirSync(join(root, 'logs'), { recursive: true });
  const clock = new FixedClock('2026-11-25T18:00:00Z');
  const logger = QueryLogger.open(join(root, 'logs/production_metrics.db'), { flushOnExit: false, clock });
  logger.log({ timestamp: '2026-11-24T08:00:00Z', latencyMs: 120, queryId: 'q-1', endpoint: 'chat' });
  logger.close();
  const feedback = FeedbackStore.open(join(root, 'logs/user_feedback.db'), { clock });
  feedback.rateQuery({ queryId: 'q-1', rating: 'up' });
  feedback.close();
  return root;
}

describe('web4 storage copy: counts of one in the singular', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await sharedPostgres(inject('postgresSlot'));
  });
  const newDatabase = () => server.createDatabase(`out_${randomBytes(4).toString('hex')}`);

  it('"1 row" per table, "batches of 1 row", "1 migration step applied"', async () => {
    const root = oneOfEach();
    const url = newDatabase();
    // The feedback schema one step behind: the copy applies exactly one step there.
    const target = await PostgresDatabase.open<unknown>(url, feedbackMigrations.slice(0, 1), { schema: 'feedback', label: 'feedback' });
    await target.destroy();
    const run = await web4(root, ['storage', 'copy', '--to', url, '--batch', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('(batches of 1 row)');
    expect(run.stdout).toMatch(/✓ metrics\.query_metrics +1 row, sha256 [0-9a-f]{16}… on both \(1 copied now\)/);
    expect(run.stdout).toMatch(/✓ metrics\.daily_summary +1 row, sha256/);
    expect(run.stdout).toMatch(/✓ metrics\.runs +0 rows, sha256/);
    expect(run.stdout).toMatch(/→ schema feedback, 1 migration step applied\n/);
    expect(run.stdout).toMatch(/→ schema metrics, \d+ migration steps applied\n/);
    expect(run.stdout).toMatch(/✓ feedback\.feedback +1 row, sha256/);
    expect(run.stdout).not.toMatch(/\b1 (rows|steps)\b/);
    // A changed row in the target: the ⚠️ line counts both sides in the singular too.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('update metrics.query_metrics set latency_ms = 121');
    await client.end();
    const again = await web4(root, ['storage', 'copy', '--to', url]);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/⚠️ metrics\.query_metrics +source 1 row \/ target 1 row, sha256/);
    expect(again.stdout).toContain('(batches of 1000 rows)');
  });

  it('a target holding one row that is not the copy\'s: "holds 1 row … refusing to merge it"', async () => {
    const root = oneOfEach();
    const url = newDatabase();
    const other = newRoot();
    const migrated = await web4(other, ['storage', 'migrate'], { WEB4_STORAGE__URL: url });
    expect(migrated.code, migrated.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("insert into metrics.runs (run_id, step, status, started_at) values ('elsewhere', 'collect', 'done', '2026-11-01T00:00:00Z')");
    await client.end();
    const run = await web4(root, ['storage', 'copy', '--to', url]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`(schema metrics) already holds 1 row in runs that did not come from a copy of ${join(root, 'logs/production_metrics.db')}: refusing to merge it with the copy.`);
  });
});

describe('web4 storage with an invalid WEB4_STORAGE__URL', () => {
  it('names the environment variable, not web4.config.json (which exists and is fine), exit 2', async () => {
    const root = newRoot();
    writeFileSync(join(root, 'web4.config.json'), JSON.stringify({ monitoring: { windowDays: 7 } }));
    for (const action of ['status', 'migrate']) {
      const run = await web4(root, ['storage', action], { WEB4_STORAGE__URL: 'mysql://web4:secret@db/records' });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/storage\.url: the scheme "mysql:" is not supported: .* \(from the environment variable WEB4_STORAGE__URL\)/);
      expect(run.stderr).toContain('→ Fix or unset the environment variable WEB4_STORAGE__URL;');
      expect(run.stderr).not.toContain('web4.config.json');
      expect(run.stderr).not.toContain('secret');
    }
  });

  it('a server that does not answer: the hint says to correct or unset the variable, not web4.config.json', async () => {
    const root = newRoot();
    const run = await web4(root, ['storage', 'status'], { WEB4_STORAGE__URL: 'postgres://web4:secret@127.0.0.1:1/records' });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/Cannot reach the PostgreSQL server of storage\.url \(postgres:\/\/web4:\*\*\*@127\.0\.0\.1:1\/records\)/);
    expect(run.stderr).toContain('→ Start that server (or check the host, port and firewall), or correct the environment variable WEB4_STORAGE__URL; unset it to use the SQLite files under the state root.');
    expect(run.stderr).not.toContain('web4.config.json');
    expect(run.stderr).not.toContain('secret');
  });
});
