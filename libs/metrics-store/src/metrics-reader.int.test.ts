import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '@web4/core';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { PostgresDatabase } from '@web4/storage';
import { FeedbackStore } from './feedback-store.js';
import { FeedbackReader, MetricsReader } from './metrics-reader.js';
import { MetricsStore } from './metrics-store.js';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { buildMonitoringReport, formatMonitoringReport } from './monitoring-report.js';
import { PostgresMetricsStore } from './postgres-stores.js';
import { toQueryRow, type QueryRecord, type QueryRow } from './query-record.js';
import { buildQueryTypesReport, formatQueryTypesReport, readQueryTypesReport } from './query-types-report.js';
import type { FeedbackDatabase } from './schema/feedback-database.js';
import { tempRoot } from './test-fixtures/snapshot.js';

const NOW = new Date('2026-11-25T18:00:00Z');
const UPDATED_AT = '2026-11-25T18:00:00.000Z';
const targets = { latencyMs: 2500, errorRatePct: 5, pureTrainedPct: { min: 50, max: 60 }, pureTrainedAcceptedPct: { min: 45, max: 65 }, historyPct: { min: 10, max: 20 }, toolsPct: { min: 25, max: 35 }, trainaiPct: { min: 5, max: 10 }, satisfactionPct: 80 };

/** 3,000 varied queries over nine days (two of them outside a 7-day window), from a fixed seed. */
function records(): QueryRecord[] {
  const random = seededRandom('storage-dialects');
  return Array.from({ length: 3000 }, (_, i): QueryRecord => {
    const day = 17 + Math.floor(random() * 9);
    const failed = random() < 0.04;
    const gateway = random() < 0.5;
    return {
      timestamp: new Date(Date.UTC(2026, 10, day, Math.floor(random() * 24), Math.floor(random() * 60), Math.floor(random() * 60), Math.floor(random() * 1000))),
      queryType: ['code_generation', 'chat', 'explain'][i % 3]!,
      latencyMs: random() < 0.05 ? 2500 + random() * 8000 : 20 + random() * 1500,
      usedHistory: random() < 0.15,
      usedTools: random() < 0.3,
      usedTrainai: random() < 0.07,
      usedGraph: random() < 0.1,
      tokensGenerated: failed ? null : Math.floor(random() * 400),
      userFeedback: random() < 0.2 ? (random() < 0.8 ? 'thumbs_up' : 'thumbs_down') : null,
      error: failed ? 'upstream timed out' : null,
      ...(gateway
        ? { queryId: `q-${i}`, endpoint: 'chat', model: 'web4-agent:latest', modelVersion: 'v1', ttftMs: 5 + random() * 300, tokensIn: Math.floor(random() * 900), tokensPerSecond: 20 + random() * 60 }
        : {}),
    };
  });
}

/** The rows through the PostgreSQL write path (PostgresMetricsStore: rows and rollups in one transaction). */
async function loadIntoPostgres(url: string, rows: readonly QueryRow[]): Promise<void> {
  const store = await PostgresMetricsStore.open(url, { clock: { now: () => new Date(UPDATED_AT) } });
  try {
    for (let i = 0; i < rows.length; i += 500) await store.writeQueries(rows.slice(i, i + 500));
  } finally {
    await store.close();
  }
}

describe('the reports on the same records in a SQLite file and a PostgreSQL database', () => {
  let server: PostgresServer;
  let root: ReturnType<typeof tempRoot>;
  const open: Array<{ close(): unknown }> = [];
  beforeAll(async () => {
    root = tempRoot('web4-reader-');
    server = await sharedPostgres(inject('postgresSlot'));
  });
  afterAll(async () => {
    for (const o of open) await o.close();
    root?.cleanup();
  });

  it('give identical reports: figures, checks, verdict and the printed table', async () => {
    const rows = records().map((r) => toQueryRow(r, () => NOW, 1_000_000));
    const file = join(root.dir, 'production_metrics.db');
    const store = MetricsStore.open(file);
    open.push(store);
    store.writeQueries(rows);

    const url = server.createDatabase(`reports_${randomBytes(4).toString('hex')}`);
    await loadIntoPostgres(url, rows);

    const sqliteReader = MetricsReader.sqlite(file);
    const postgresReader = await MetricsReader.postgres(url);
    open.push(sqliteReader, postgresReader);
    expect([sqliteReader.dialect, postgresReader.dialect]).toEqual(['sqlite', 'postgres']);

    for (const days of [1, 7, 30]) {
      for (const latencyStatistic of ['avg', 'p95'] as const) {
        const input = { targets, latencyStatistic, now: NOW, days };
        const fromStore = await buildMonitoringReport({ ...input, store });
        const fromSqlite = await buildMonitoringReport({ ...input, store: sqliteReader });
        const fromPostgres = await buildMonitoringReport({ ...input, store: postgresReader });
        expect(fromStore.statistics.total.queries).toBeGreaterThan(days === 1 ? 100 : 2000);
        expect(fromSqlite).toEqual(fromStore);
        expect(fromPostgres).toEqual(fromStore);
        expect(formatMonitoringReport(fromPostgres)).toBe(formatMonitoringReport(fromStore));
      }
    }
    for (let day = 16; day <= 26; day++) {
      const iso = `2026-11-${day}`;
      const fromStore = buildQueryTypesReport(store, iso, targets);
      const fromPostgres = await readQueryTypesReport(postgresReader, iso, targets);
      expect(await readQueryTypesReport(sqliteReader, iso, targets)).toEqual(fromStore);
      expect(fromPostgres).toEqual(fromStore);
      expect(formatQueryTypesReport(fromPostgres)).toBe(formatQueryTypesReport(fromStore));
    }
    // The window really is a window: the two days before it are in the database, not in the report.
    const week = await buildMonitoringReport({ targets, now: NOW, days: 7, store: postgresReader });
    const all = await buildMonitoringReport({ targets, now: NOW, days: 30, store: postgresReader });
    expect(week.statistics.total.queries).toBeLessThan(all.statistics.total.queries);
    expect(all.statistics.total.queries).toBe(3000);
  });

  it('feedback rate: the same ratings give the same satisfaction over every window', async () => {
    const file = join(root.dir, 'user_feedback.db');
    const feedback = FeedbackStore.open(file);
    open.push(feedback);
    const random = seededRandom('feedback-dialects');
    for (let i = 0; i < 600; i++) {
      const timestamp = new Date(Date.UTC(2026, 10, 17 + Math.floor(random() * 9), Math.floor(random() * 24), Math.floor(random() * 60)));
      const rating = random() < 0.83 ? 'up' : 'down';
      if (i % 3 === 0) feedback.add({ query: `q${i}`, response: 'r', rating, timestamp });
      // Some ids rated twice: the later rating replaces the first, on both.
      else feedback.rateQuery({ queryId: `q-${i % 250}`, rating, timestamp });
    }
    const url = server.createDatabase(`feedback_${randomBytes(4).toString('hex')}`);
    const postgres = await PostgresDatabase.open<FeedbackDatabase>(url, feedbackMigrations, { schema: 'feedback' });
    open.push({ close: () => postgres.destroy() });
    const rows = await feedback.file.db.selectFrom('feedback').selectAll().orderBy('id').execute();
    expect(rows.length).toBeGreaterThan(400);
    await postgres.db.insertInto('feedback').values(rows).execute();

    const sqliteReader = FeedbackReader.sqlite(file);
    const postgresReader = await FeedbackReader.postgres(url);
    open.push(sqliteReader, postgresReader);
    for (const [from, to] of [
      ['2026-11-01', '2026-12-01'],
      ['2026-11-19', '2026-11-26'],
      ['2026-11-25', '2026-11-26'],
      ['2026-12-01', '2026-12-08'],
    ]) {
      const window = [new Date(`${from}T00:00:00Z`), new Date(`${to}T00:00:00Z`)] as const;
      const expected = feedback.satisfaction(...window);
      expect(await sqliteReader.satisfaction(...window)).toEqual(expected);
      expect(await postgresReader.satisfaction(...window)).toEqual(expected);
    }
    expect(feedback.satisfaction(new Date('2026-11-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z')).total).toBe(rows.length);
  });

  it('monitor rebuild on PostgreSQL while two writers add batches: the rebuilt rollups equal the rows, nothing counted twice or lost', async () => {
    const url = server.createDatabase(`rebuild_${randomBytes(4).toString('hex')}`);
    const rows = records().map((r, i) => toQueryRow({ ...r, queryId: `r-${i}` }, () => NOW, 1_000_000));
    const writers = await Promise.all([PostgresMetricsStore.open(url), PostgresMetricsStore.open(url)]);
    const reader = await MetricsReader.postgres(url);
    try {
      await writers[0]!.writeQueries(rows.slice(0, 500));
      // Writers keep committing batches of 100 while rebuilds run between them (on days that already
      // have rollups; the table lock matters for a writer's first batch of a new day, which this does not force).
      const writing = writers.map(async (w, k) => {
        for (let i = 500 + k * 100; i < rows.length; i += 200) await w.writeQueries(rows.slice(i, i + 100));
      });
      const rebuilds: number[] = [];
      for (let i = 0; i < 5; i++) rebuilds.push(await reader.rebuildDailySummary(NOW));
      await Promise.all(writing);
      expect(rebuilds.every((days) => days > 0)).toBe(true);
      expect(await reader.countQueries()).toBe(rows.length);
      const sum = (summaries: Array<{ total_queries: number; error_count: number; used_tools: number }>) =>
        summaries.reduce((a, s) => ({ total: a.total + s.total_queries, errors: a.errors + s.error_count, tools: a.tools + s.used_tools }), { total: 0, errors: 0, tools: 0 });
      const afterWrites = sum(await reader.summaries('2026-01-01', '2026-12-31'));
      expect(afterWrites.total).toBe(rows.length);
      // One more rebuild from the rows gives the same rollups as the incremental writes did.
      const incremental = (await reader.summaries('2026-01-01', '2026-12-31')).map(({ updated_at: _u, ...rest }) => rest);
      await reader.rebuildDailySummary(NOW);
      const rebuilt = (await reader.summaries('2026-01-01', '2026-12-31')).map(({ updated_at: _u, ...rest }) => rest);
      // Sums of floats (latency, ttft, tokens/s) are added in another grouping by the rebuild: equal to 1e-9 relative; every other column exactly.
      const floats = ['latency_sum_ms', 'ttft_sum_ms', 'tokens_per_second_sum'] as const;
      const exact = (list: typeof rebuilt) => list.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !(floats as readonly string[]).includes(k))));
      expect(exact(rebuilt)).toEqual(exact(incremental));
      rebuilt.forEach((r, i) => {
        for (const k of floats) expect(Math.abs(r[k] - incremental[i]![k])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(r[k])));
      });
      expect(sum(rebuilt as never)).toEqual(afterWrites);
    } finally {
      await reader.close();
      for (const w of writers) await w.close();
    }
  }, 120_000);

  it('MetricsReader.open follows storage.url', async () => {
    const file = join(root.dir, 'follow.db');
    MetricsStore.open(file).close();
    const sqlite = await MetricsReader.open({ storage: {}, monitoring: { busyTimeoutMs: 1000 } as never }, { metricsDb: file });
    open.push(sqlite);
    expect(sqlite.dialect).toBe('sqlite');
    const url = server.createDatabase(`follow_${randomBytes(4).toString('hex')}`);
    const postgres = await MetricsReader.open({ storage: { url }, monitoring: { busyTimeoutMs: 1000 } as never }, { metricsDb: file });
    open.push(postgres);
    expect(postgres.dialect).toBe('postgres');
    expect(await postgres.summaries('2026-01-01', '2026-12-31')).toEqual([]);
  });
});
