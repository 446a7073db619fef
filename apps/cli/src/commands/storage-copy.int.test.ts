import BetterSqlite3 from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FixedClock, seededRandom } from '@web4/core';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { FeedbackStore, MetricsStore, QueryLogger, metricsMigrations } from '@web4/metrics-store';
import { SqliteFile, type CopyResult } from '@web4/storage';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const roots: string[] = [];
const newRoot = () => {
  const dir = mkdtempSync(join(tmpdir(), 'web4-cli-copy-'));
  roots.push(dir);
  return dir;
};
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.WEB4_STORAGE__URL;
// The CLI itself, not the tools/web4.mjs wrapper: a SIGKILL must reach the process that copies.
const cli = [
  '--import',
  pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
  join(repo, 'apps/cli/src/main.ts'),
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => CopyResult;
}
function web4(root: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cli, '--root', root, ...args], { encoding: 'utf8', env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}

const QUERIES = 2400;
const METRICS_TABLES = ['query_metrics', 'daily_summary', 'runs', 'validations', 'model_versions', 'model_tags', 'model_events', 'run_locks', 'ollama_names'];

/** A state root whose history was written by the real stores: the query logger, the run recorder, validations, the model registry, feedback. */
function historyRoot(): string {
  const root = newRoot();
  mkdirSync(join(root, 'logs'), { recursive: true });
  const metricsDb = join(root, 'logs/production_metrics.db');
  const random = seededRandom('storage-copy');
  const clock = new FixedClock('2026-11-25T18:00:00Z');
  const logger = QueryLogger.open(metricsDb, { flushOnExit: false, clock, batchSize: 500 });
  for (let i = 0; i < QUERIES; i++) {
    const gateway = i % 2 === 0;
    logger.log({
      timestamp: new Date(Date.UTC(2026, 10, 17 + (i % 9), i % 24, i % 60, i % 60, i % 1000)),
      queryType: ['code_generation', 'chat', 'explain'][i % 3]!,
      // Full-precision doubles: the checksum must see the same bits on both sides.
      latencyMs: 20 + random() * 1500,
      usedHistory: random() < 0.15,
      usedTools: random() < 0.3,
      tokensGenerated: i % 25 === 0 ? null : Math.floor(random() * 400),
      error: i % 40 === 0 ? `upstream timed out — “${i}” ✗` : null,
      errorContext: i % 40 === 0 ? { attempt: i, url: 'http://127.0.0.1:11434' } : null,
      ...(gateway ? { queryId: `q-${i}`, endpoint: 'chat', model: 'web4-agent:latest', modelVersion: 'v1', ttftMs: 5 + random() * 300, tokensIn: Math.floor(random() * 900), tokensPerSecond: 20 + random() * 60 } : {}),
    });
  }
  logger.close();
  const store = MetricsStore.open(metricsDb, { clock });
  for (let r = 0; r < 6; r++) {
    store.runs.start(`run-${r}`, 'collect', { r });
    store.runs.finish(`run-${r}`, 'collect', r === 3 ? 'failed' : 'done', { rows: r * 10 });
    store.runs.start(`run-${r}`, 'train');
  }
  for (let v = 0; v < 5; v++) {
    store.validations.record({ model: 'web4-agent:latest', passed: v !== 2, score: 0.1 * v + 1 / 3, totalCases: 10, passedCases: 10 - v, details: { v }, modelVersion: 'base' });
  }
  store.models.recordVersion({ version: 'v20261120_010000', dir: '/tmp/adapters/a', runId: 'run-1', parentVersion: null, samples: 120, trainLoss: 0.4321, details: { lr: 2e-4 }, ollamaName: 'web4-agent:v20261120_010000', manifestSha256: 'ab'.repeat(32) });
  store.models.recordOllamaName('web4-agent:v20261120_010000', 'sha256:' + 'cd'.repeat(32));
  store.close();
  const feedback = FeedbackStore.open(join(root, 'logs/user_feedback.db'), { clock });
  for (let i = 0; i < 120; i++) {
    if (i % 3 === 0) feedback.rateQuery({ queryId: `q-${i * 2}`, rating: i % 5 === 0 ? 'thumbs_down' : 'thumbs_up', comment: i % 4 === 0 ? `ça va ${i}` : null });
    else feedback.add({ query: `question ${i}`, response: `answer ${i}\nline 2`, rating: 'thumbs_up' });
  }
  feedback.close();
  return root;
}

function sqliteRows(file: string, table: string, key = 'id'): Array<Record<string, unknown>> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM "${table}" ORDER BY "${key}"`).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  // 8-byte integers (query_metrics.id since metrics migration 10) as numbers, as SQLite hands them over.
  const int8 = (value: string) => Number(value);
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? int8 : pg.types.getTypeParser(oid, format ?? 'text'))) as never } });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every row of every table of the two schemas, for "nothing changed". */
async function snapshot(url: string): Promise<unknown> {
  return withClient(url, async (client) => {
    const tables = (await client.query<{ schemaname: string; tablename: string }>("select schemaname, tablename from pg_tables where schemaname in ('metrics', 'feedback') order by 1, 2")).rows;
    const out: Record<string, unknown> = {};
    for (const t of tables) out[`${t.schemaname}.${t.tablename}`] = (await client.query(`select * from ${t.schemaname}.${t.tablename} order by 1`)).rows;
    return out;
  });
}

describe('web4 storage copy --to postgres://…', () => {
  let server: PostgresServer;
  let root: string;
  beforeAll(async () => {
    server = await sharedPostgres(inject('postgresSlot'));
    root = historyRoot();
  });
  const newDatabase = () => server.createDatabase(`copy_${randomBytes(4).toString('hex')}`);

  let copied: string;
  it('copies every table of both files with their ids, verified by counts and checksums; new rows get ids past the copied ones; a second run is a no-op that verifies ✓', async () => {
    copied = newDatabase();
    const run = await web4(root, ['storage', 'copy', '--to', copied, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = run.json();
    expect(result.verified).toBe(true);
    expect(result.databases.map((d) => [d.name, d.resumed, d.migrated.length])).toEqual([['metrics', false, metricsMigrations.length], ['feedback', false, 2]]);
    const metrics = result.databases[0]!.tables;
    expect(metrics.map((t) => t.table)).toEqual(METRICS_TABLES);
    const metricsDb = join(root, 'logs/production_metrics.db');
    const source = sqliteRows(metricsDb, 'query_metrics');
    expect(source).toHaveLength(QUERIES);
    expect(metrics[0]).toMatchObject({ table: 'query_metrics', sourceRows: QUERIES, targetRows: QUERIES, copiedNow: QUERIES, verified: true });
    expect(metrics.find((t) => t.table === 'runs')).toMatchObject({ sourceRows: 12, targetRows: 12, verified: true });
    expect(result.databases[1]!.tables).toEqual([expect.objectContaining({ table: 'feedback', sourceRows: 120, targetRows: 120, verified: true })]);
    expect(run.stderr).toContain('metrics.query_metrics: 2400/2400 done');

    await withClient(copied, async (client) => {
      // The same rows, ids and values read back independently of the copy's own checksum.
      const target = (await client.query('select id, latency_ms, ttft_ms, query_id, error, error_context from metrics.query_metrics order by id')).rows;
      expect(target).toEqual(source.map((r) => ({ id: r.id, latency_ms: r.latency_ms, ttft_ms: r.ttft_ms, query_id: r.query_id, error: r.error, error_context: r.error_context })));
      const feedback = (await client.query('select * from feedback.feedback order by id')).rows;
      expect(feedback).toEqual(sqliteRows(join(root, 'logs/user_feedback.db'), 'feedback'));
      const summaries = (await client.query('select * from metrics.daily_summary order by day')).rows;
      expect(summaries).toEqual(sqliteRows(metricsDb, 'daily_summary', 'day'));
      // The identity sequence was moved past the copied ids.
      const inserted = await client.query<{ id: number }>("insert into metrics.query_metrics (timestamp, query_type, category, latency_ms) values ('2026-11-26T00:00:00Z', 'chat', 'pure_trained', 1) returning id");
      expect(inserted.rows[0]!.id).toBe(QUERIES + 1);
      await client.query('delete from metrics.query_metrics where id = $1', [QUERIES + 1]);
    });

    const again = await web4(root, ['storage', 'copy', '--to', copied]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('metrics: ');
    expect(again.stdout).toContain('(resumed)');
    expect(again.stdout).toMatch(/✓ metrics\.query_metrics +2400 rows, sha256 [0-9a-f]{16}… on both \(0 copied now\)/);
    expect(again.stdout).toContain('✓ verified');
  });

  it('a tampered target row is found by the checksum: exit 1, ⚠️ with the first differing id', async () => {
    const url = newDatabase();
    expect((await web4(root, ['storage', 'copy', '--to', url])).code).toBe(0);
    await withClient(url, (c) => c.query('update metrics.query_metrics set latency_ms = latency_ms * (1 + 1e-15) where id in (1717, 1900)'));
    const run = await web4(root, ['storage', 'copy', '--to', url, '--json']);
    expect(run.code, run.stderr).toBe(1);
    const table = run.json().databases[0]!.tables[0]!;
    expect(table).toMatchObject({ table: 'query_metrics', sourceRows: QUERIES, targetRows: QUERIES, verified: false, firstDifference: { key: '1717', what: 'values differ' } });
    expect(table.sourceSha256).not.toBe(table.targetSha256);
    expect(run.json().databases[0]!.tables.slice(1).every((t) => t.verified)).toBe(true);
    const text = await web4(root, ['storage', 'copy', '--to', url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/⚠️ metrics\.query_metrics +source 2400 rows \/ target 2400 rows, .*first difference at id 1717 \(values differ\)/);
    expect(text.stdout).toContain('⚠️ verification failed');
  });

  it('killed with SIGKILL mid-copy, then run again: resumes where it stopped and ends with exactly the source rows', async () => {
    const url = newDatabase();
    const child = spawn(process.execPath, [...cli, '--root', root, 'storage', 'copy', '--to', url, '--batch', '20'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const killed = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The first batch of query_metrics has committed: kill it hard, as a power cut would.
        if (/metrics\.query_metrics: \d+\/2400\n/.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    await killed;
    expect(child.signalCode, stderr).toBe('SIGKILL');
    const mark = await withClient(url, async (c) => {
      const marks = (await c.query<{ rows: string; last_key: string }>("select rows, last_key from metrics.storage_copy where table_name = 'query_metrics'")).rows[0]!;
      const count = Number((await c.query<{ n: string }>('select count(*) as n from metrics.query_metrics')).rows[0]!.n);
      return { rows: Number(marks.rows), lastKey: Number(marks.last_key), count };
    });
    // Mid-way: whole batches landed, each with its mark, and not all of them.
    expect(mark.rows).toBeGreaterThan(0);
    expect(mark.rows).toBeLessThan(QUERIES);
    expect(mark.rows % 20).toBe(0);
    expect(mark.count).toBe(mark.rows);
    expect(mark.lastKey).toBe(mark.rows);

    const resumed = await web4(root, ['storage', 'copy', '--to', url, '--batch', '20', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = resumed.json();
    expect(result.verified).toBe(true);
    expect(result.databases[0]!.resumed).toBe(true);
    expect(result.databases[0]!.tables[0]).toMatchObject({ table: 'query_metrics', copiedNow: QUERIES - mark.rows, targetRows: QUERIES });
    const ids = await withClient(url, async (c) => (await c.query<{ id: number }>('select id from metrics.query_metrics order by id')).rows.map((r) => r.id));
    expect(ids).toEqual(sqliteRows(join(root, 'logs/production_metrics.db'), 'query_metrics').map((r) => r.id));
  });

  it('Ctrl-C (SIGINT) stops after the batch in flight with exit 130 and says how to resume; run again, it resumes and verifies', async () => {
    const url = newDatabase();
    const child = spawn(process.execPath, [...cli, '--root', root, 'storage', 'copy', '--to', url, '--batch', '20'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (!sent && /metrics\.query_metrics: \d+\/2400\n/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('stopping after the batch in flight');
    expect(stderr).toContain('run the same command again to resume');
    const copied = await withClient(url, async (c) => Number((await c.query<{ n: string }>('select count(*) as n from metrics.query_metrics')).rows[0]!.n));
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(QUERIES);
    expect(copied % 20).toBe(0);
    const resumed = await web4(root, ['storage', 'copy', '--to', url, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json().databases[0]!.tables[0]).toMatchObject({ copiedNow: QUERIES - copied, targetRows: QUERIES, verified: true });
  });

  it('a target schema written by a newer web4 is refused (exit 3) and left unchanged', async () => {
    const url = newDatabase();
    await withClient(url, async (c) => {
      await c.query('create schema feedback');
      await c.query('create table feedback.schema_migrations (version integer primary key, name text not null, applied_at text not null)');
      await c.query("insert into feedback.schema_migrations values (1, 'feedback', 'x'), (2, 'feedback_query_id', 'x'), (3, 'from_the_future', 'x')");
    });
    const before = await snapshot(url);
    const run = await web4(root, ['storage', 'copy', '--to', url]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`The feedback records in ${url} (schema feedback) were written by a newer version of web4: the schema is at version 3 (from_the_future), and this program knows versions up to 2. Nothing was copied and nothing in it was changed.`);
    expect(await snapshot(url)).toEqual(before);
  });

  it('a target holding rows that did not come from this copy is refused (exit 3), not merged, and left unchanged', async () => {
    const url = newDatabase();
    const other = newRoot();
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [...cli, '--root', other, 'storage', 'migrate'], { env: { ...env, WEB4_STORAGE__URL: url } }, (e) => (e ? reject(e) : resolve())),
    );
    await withClient(url, (c) => c.query("insert into metrics.runs (run_id, step, status, started_at) values ('elsewhere', 'collect', 'done', '2026-11-01T00:00:00Z')"));
    const before = await snapshot(url);
    const run = await web4(root, ['storage', 'copy', '--to', url]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`(schema metrics) already holds 1 row in runs that did not come from a copy of ${join(root, 'logs/production_metrics.db')}: refusing to merge it with the copy. Nothing was changed.`);
    expect(run.stderr).toContain('→ Copy into an empty database');
    expect(await snapshot(url)).toEqual(before);
  });

  it('a source file not on the newest version is refused (exit 3) with what to run first; the target stays empty', async () => {
    const old = newRoot();
    SqliteFile.open(join(old, 'logs/production_metrics.db'), metricsMigrations.slice(0, 7)).close();
    const url = newDatabase();
    const run = await web4(old, ['storage', 'copy', '--to', url]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`is at schema version 7, not the newest (${metricsMigrations.at(-1)!.version}): the copy takes files on the newest version only. Nothing was changed.`);
    expect(run.stderr).toContain('web4 storage migrate');
    expect(await snapshot(url)).toEqual({});
  });

  it('bad input exits 2 with what to fix, no stack, no password: another scheme, a server that does not answer, a state root without files', async () => {
    const wrongScheme = await web4(root, ['storage', 'copy', '--to', 'mysql://web4:secret@db/records']);
    expect(wrongScheme.code, wrongScheme.stderr).toBe(2);
    expect(wrongScheme.stderr).toContain('--to mysql://web4:***@db/records: the copy goes into a PostgreSQL database');
    const noServer = await web4(root, ['storage', 'copy', '--to', 'postgres://web4:secret@127.0.0.1:1/records']);
    expect(noServer.code, noServer.stderr).toBe(2);
    expect(noServer.stderr).toMatch(/Cannot reach the PostgreSQL server of --to \(postgres:\/\/web4:\*\*\*@127\.0\.0\.1:1\/records\): connect ECONNREFUSED/);
    const empty = newRoot();
    const noFiles = await web4(empty, ['storage', 'copy', '--to', newDatabase()]);
    expect(noFiles.code, noFiles.stderr).toBe(2);
    expect(noFiles.stderr).toContain(`Nothing to copy: there is no metrics file (${join(empty, 'logs/production_metrics.db')})`);
    for (const r of [wrongScheme, noServer, noFiles]) {
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr + r.stdout).not.toContain('secret');
    }
  });
});
