import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, type Logger, seededRandom } from '@web4/core';
import { PostgresServer, sharedPostgres } from '@web4/local-services';
import { PostgresDatabase } from '@web4/storage';
import { sql } from 'kysely';
import { FeedbackStore } from './feedback-store.js';
import { MetricsReader } from './metrics-reader.js';
import { buildMonitoringReport } from './monitoring-report.js';
import { PostgresFeedbackStore, PostgresMetricsStore } from './postgres-stores.js';
import { QueryLogger } from './query-logger.js';
import type { QueryRecord } from './query-record.js';
import { openQueryLogger } from './records.js';
import { runTs } from './test-fixtures/process.js';
import { tempRoot } from './test-fixtures/snapshot.js';

const NOW = new Date('2026-11-25T18:00:00Z');
const clock = { now: () => NOW };
const targets = { latencyMs: 2500, errorRatePct: 5, pureTrainedPct: { min: 50, max: 60 }, pureTrainedAcceptedPct: { min: 45, max: 65 }, historyPct: { min: 10, max: 20 }, toolsPct: { min: 25, max: 35 }, trainaiPct: { min: 5, max: 10 }, satisfactionPct: 80 };
const LOG_POSTGRES = join(import.meta.dirname, 'test-fixtures', 'log-queries-postgres.ts');

function records(n: number, seed: string): QueryRecord[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i): QueryRecord => ({
    timestamp: new Date(Date.UTC(2026, 10, 19 + Math.floor(random() * 7), Math.floor(random() * 24), Math.floor(random() * 60))),
    queryType: ['code_generation', 'chat'][i % 2]!,
    latencyMs: 20 + random() * 3000,
    usedHistory: random() < 0.15,
    usedTools: random() < 0.3,
    usedTrainai: random() < 0.07,
    tokensGenerated: Math.floor(random() * 400),
    error: random() < 0.03 ? 'upstream timed out' : null,
    ...(i % 4 !== 0 ? { queryId: `${seed}-${i}`, ttftMs: 5 + random() * 300, tokensIn: 100, tokensPerSecond: 40 } : {}),
  }));
}

/** Warnings and errors the writer logs, kept for assertions. */
function recordingLogger(): Logger & { lines: Array<{ level: string; msg: string; obj: unknown }> } {
  const lines: Array<{ level: string; msg: string; obj: unknown }> = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, msg: msg ?? String(obj), obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never;
}

async function summaries(url: string): Promise<unknown[]> {
  const reader = await MetricsReader.postgres(url);
  try {
    return (await reader.summaries('2026-01-01', '2026-12-31')).map(({ updated_at: _u, ...rest }) => rest);
  } finally {
    await reader.close();
  }
}

describe('writing the query and feedback records into PostgreSQL', () => {
  let server: PostgresServer;
  let root: ReturnType<typeof tempRoot>;
  const fresh = (name: string) => server.createDatabase(`${name}_${randomBytes(4).toString('hex')}`);
  beforeAll(async () => {
    root = tempRoot('web4-pg-writes-');
    server = await sharedPostgres(inject('postgresSlot'));
  });
  afterAll(() => root?.cleanup());

  it('QueryLogger writes the same rows and daily rollups as on SQLite (duplicates skipped, ratings moved), and the reports agree', async () => {
    const url = fresh('writes');
    const file = join(root.dir, 'same.db');
    const sqlite = QueryLogger.open(file, { batchSize: 250, clock });
    const postgres = new QueryLogger(await PostgresMetricsStore.open(url, { clock }), { batchSize: 250, clock }, true);
    const input = records(3000, 'same');
    for (const logger of [sqlite, postgres]) {
      for (const r of input) logger.log(r);
      // Logged again later: the ids are stored, so these are skipped on both.
      await logger.flushAsync();
      for (const r of input.slice(0, 400)) logger.log(r);
      // Ratings: one still queued, one stored, one changed from up to down (ids not re-logged above).
      logger.log({ ...input[1]!, queryId: 'queued-one', latencyMs: 5 });
      expect(await logger.setUserFeedbackAsync('queued-one', 'up')).toBe(true);
      expect(await logger.setUserFeedbackAsync('same-1002', 'up')).toBe(true);
      expect(await logger.setUserFeedbackAsync('same-1003', 'up')).toBe(true);
      await logger.flushAsync();
      expect(await logger.setUserFeedbackAsync('same-1003', 'down')).toBe(true);
      expect(await logger.setUserFeedbackAsync('no-such-id', 'down')).toBe(false);
      expect(await logger.hasQueryAsync('same-5')).toBe(true);
      expect(await logger.hasQueryAsync('no-such-id')).toBe(false);
    }
    expect(postgres.stats()).toEqual(sqlite.stats());
    expect(postgres.stats().duplicates).toBe(300); // the 400 re-logged, less the 100 without an id
    expect(await postgres.store.countQueries()).toBe(sqlite.store.countQueries());
    const stored = sqlite.store.summaries('2026-01-01', '2026-12-31').map(({ updated_at: _u, ...rest }) => rest);
    expect(await summaries(url)).toEqual(stored);

    const reader = await MetricsReader.postgres(url);
    for (const days of [1, 7]) {
      expect(await buildMonitoringReport({ targets, now: NOW, days, store: reader })).toEqual(await buildMonitoringReport({ targets, now: NOW, days, store: sqlite.store }));
    }
    await reader.close();
    sqlite.close();
    await postgres.closeAsync();
    expect(postgres.store.isOpen).toBe(false);
  });

  it('feedback: rateQuery replaces like FeedbackStore, and add stores a row', async () => {
    const url = fresh('feedback');
    const sqlite = FeedbackStore.open(join(root.dir, 'fb.db'));
    const postgres = await PostgresFeedbackStore.open(url);
    const at = new Date('2026-11-24T10:00:00Z');
    for (const store of [sqlite, postgres]) {
      expect(await store.rateQuery({ queryId: 'a', rating: 'up', timestamp: at, query: 'q', response: 'r' })).toMatchObject({ replaced: false });
      expect(await store.rateQuery({ queryId: 'a', rating: 'down', comment: 'wrong', timestamp: at })).toMatchObject({ replaced: true });
      await store.rateQuery({ queryId: 'b', rating: '👍', timestamp: at });
      expect(await store.add({ query: 'how?', response: 'so', rating: 'up', timestamp: at })).toBeGreaterThan(0);
    }
    const window = [new Date('2026-11-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z')] as const;
    expect(await postgres.satisfaction(...window)).toEqual(sqlite.satisfaction(...window));
    expect(sqlite.satisfaction(...window)).toEqual({ up: 2, down: 1, total: 3, ratePct: (100 * 2) / 3 });
    // Concurrent ratings of one id still leave one row.
    await Promise.all(Array.from({ length: 20 }, (_, i) => postgres.rateQuery({ queryId: 'c', rating: i % 2 ? 'up' : 'down', timestamp: at })));
    const rows = await postgres.database.db.selectFrom('feedback').select('id').where('query_id', '=', 'c').execute();
    expect(rows).toHaveLength(1);
    sqlite.close();
    await postgres.close();
  });

  it('a row PostgreSQL refuses (a NUL in its text) is logged and left out; the rows behind it are written', async () => {
    const url = fresh('badrow');
    const logger = recordingLogger();
    const queries = new QueryLogger(await PostgresMetricsStore.open(url, { clock }), { batchSize: 50, clock, logger }, true);
    const input = records(120, 'badrow');
    input[30] = { ...input[30]!, queryId: 'bad-one', error: 'upstream said \u0000 and stopped' };
    for (const r of input) queries.log(r);
    await queries.flushAsync();
    expect(queries.stats()).toMatchObject({ logged: 120, written: 119, rejected: 1, pending: 0 });
    expect(await queries.store.countQueries()).toBe(119);
    expect(await queries.hasQueryAsync('bad-one')).toBe(false);
    const refused = logger.lines.find((l) => l.level === 'error' && /refused this row/.test(l.msg));
    expect(refused?.obj).toMatchObject({ queryId: 'bad-one' });
    const total = (await summaries(url)).reduce((n: number, s) => n + (s as { total_queries: number }).total_queries, 0);
    expect(total).toBe(119);
    await queries.closeAsync();
  });

  it('PostgreSQL stopped while rows are queued: they are kept with a clear error logged, no crash, and written once it is back', async () => {
    const own = await PostgresServer.start();
    try {
      const url = own.databaseUrl('postgres');
      const logger = recordingLogger();
      const queries = new QueryLogger(await PostgresMetricsStore.open(url, { clock }), { batchSize: 100, flushIntervalMs: 50, clock, logger }, true);
      for (const r of records(100, 'early')) queries.log(r);
      await queries.flushAsync();
      own.stop({ keep: true });
      const later = records(250, 'later');
      for (const r of later) queries.log(r);
      await expect(queries.flushAsync()).rejects.toThrow(/Cannot reach the PostgreSQL server of storage\.url/);
      expect(queries.pending).toBe(250);
      // The timer retries on its own and logs each failure; nothing is thrown into it.
      await new Promise((r) => setTimeout(r, 400));
      const failures = logger.lines.filter((l) => l.level === 'error' && /write failed; rows kept/.test(l.msg));
      expect(failures.length).toBeGreaterThan(0);
      expect(queries.pending).toBe(250);
      const back = await PostgresServer.start({ dir: own.record.dir, port: own.record.port });
      expect(back.url).toBe(own.url);
      await queries.flushAsync();
      expect(queries.stats()).toMatchObject({ logged: 350, written: 350, pending: 0 });
      expect(await queries.store.countQueries()).toBe(350);
      await queries.closeAsync();
    } finally {
      own.stop();
    }
  }, 90_000);

  it('a login the server refuses: ConfigError naming storage.url (no password), nothing opened', async () => {
    const url = server.url.replace('postgres@', 'nosuchuser:secret@');
    const config = { storage: { url }, monitoring: { busyTimeoutMs: 1000, maxTextBytes: 1000 } } as never;
    const error = await openQueryLogger(config, { metricsDb: join(root.dir, 'unused.db') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/storage\.url \(postgres:\/\/nosuchuser:\*\*\*@127\.0\.0\.1/);
    expect((error as Error).message).not.toContain('secret');
  });

  it('four processes with their own state roots writing one database lose nothing: rows, rollups, ratings and the report add up', async () => {
    const url = fresh('machines');
    const N = 3000;
    const workers = [0, 1, 2, 3];
    const runs = workers.map((w) => runTs(LOG_POSTGRES, [url, join(root.dir, `machine-${w}`), String(N), String(w), 'close']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });

    // Counted by plain SQL, apart from the code under test.
    const database = PostgresDatabase.connect<unknown>(url, { schema: 'metrics' });
    const query = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(database.db)).rows;
    try {
      const perWorker = await query('select query_type, count(*)::int as n, count(distinct query_id)::int as ids from metrics.query_metrics group by 1 order by 1');
      expect(perWorker).toEqual(workers.map((w) => ({ query_type: `worker-${w}`, n: N, ids: N })));
      const sums = await query('select sum(total_queries)::int as total, sum(feedback_up)::int as up, sum(feedback_down)::int as down, sum(used_tools)::int as tools from metrics.daily_summary');
      const ratedPerWorker = N / 10;
      expect(sums[0]).toEqual({ total: 4 * N, up: 4 * (ratedPerWorker / 2), down: 4 * (ratedPerWorker / 2), tools: 4 * (N / 3) });
      const rated = await query('select count(*)::int as n from metrics.query_metrics where user_feedback is not null');
      expect(rated[0]!.n).toBe(4 * ratedPerWorker);
      const ratings = await query('select count(*)::int as n from feedback.feedback');
      expect(ratings[0]!.n).toBe(4 * ratedPerWorker);
    } finally {
      await database.destroy();
    }
    const reader = await MetricsReader.postgres(url);
    const report = await buildMonitoringReport({ targets, now: new Date('2026-11-24T23:00:00Z'), days: 30, store: reader });
    await reader.close();
    expect(report.statistics.total.queries).toBe(4 * N);
  }, 180_000);

  it('kill -9 after at least one batch was written: what arrived is whole batches (each one transaction) with rollups equal to the rows; the rest is the documented loss', async () => {
    const url = fresh('kill');
    const run = runTs(LOG_POSTGRES, [url, join(root.dir, 'kill'), '1700', '8', 'signal']);
    await new Promise<void>((resolve) => run.child.stdout!.on('data', (d: Buffer) => d.toString().includes('logged') && resolve()));
    // Counted by plain SQL, apart from the code under test.
    const database = PostgresDatabase.connect<unknown>(url, { schema: 'metrics' });
    const query = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(database.db)).rows;
    try {
      // Kill only once a batch is in the table, so the case cannot hold with nothing stored.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const [row] = await query(`select count(*)::int as n from metrics.query_metrics`).catch(() => [{ n: 0 }]);
        if (Number(row!.n) > 0) break;
        expect(Date.now(), 'no batch reached PostgreSQL within 20 s').toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');

      const ids = (await query('select query_id from metrics.query_metrics order by id')).map((r) => r.query_id as string);
      const stored = ids.length;
      // Full batches of 500 are written on the next event-loop turn; the timer (60 s) never fired, so the last 200 rows stay queued.
      expect(stored).toBeGreaterThan(0);
      expect(stored % 500).toBe(0);
      expect(stored).toBeLessThanOrEqual(1500);
      // Whole batches, in the order they were logged: exactly the first `stored` rows, each once.
      expect(ids).toEqual(Array.from({ length: stored }, (_, i) => `w8-${i}`));
      // The rollups equal the stored rows, day by day.
      const fromRows = await query(
        `select substr(timestamp, 1, 10) as day, count(*)::int as total_queries, sum(used_history)::int as used_history, sum(used_tools)::int as used_tools,
                sum(tokens_generated)::int as tokens_generated_sum, sum(latency_ms)::float8 as latency_sum_ms
           from metrics.query_metrics group by 1 order by 1`,
      );
      const rollups = await query(
        `select day, total_queries::int, used_history::int, used_tools::int, tokens_generated_sum::int, latency_sum_ms::float8 from metrics.daily_summary order by day`,
      );
      expect(rollups).toEqual(fromRows);
      expect(fromRows.reduce((n, r) => n + Number(r.total_queries), 0)).toBe(stored);
    } finally {
      await database.destroy();
    }
  }, 60_000);

  it('SIGTERM with rows queued: the shutdown hook writes them to PostgreSQL, then the process dies of the signal', async () => {
    const url = fresh('signal');
    const run = runTs(LOG_POSTGRES, [url, join(root.dir, 'signal'), '700', '9', 'signal']);
    await new Promise<void>((resolve) => run.child.stdout!.on('data', (d: Buffer) => d.toString().includes('logged') && resolve()));
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect({ signal: done.signal, stderr: done.stderr }).toEqual({ signal: 'SIGTERM', stderr: '' });
    const store = await PostgresMetricsStore.open(url);
    expect(await store.countQueries()).toBe(700);
    await store.close();
  }, 60_000);
});
