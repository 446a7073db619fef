/**
 * metrics-store on PostgreSQL: one JSON object per figure per line, as metrics-store.bench.ts.
 *   npx tsx libs/metrics-store/src/bench/postgres.bench.ts
 * Starts its own throwaway PostgreSQL server (PostgresServer: initdb in a temp folder, fsync off,
 * as in the tests) and removes it at the end; every baseline runs in the same process against
 * the same server (ingest) or on the same records in a SQLite file (reports).
 * Exit code 1 when a figure misses its target.
 */
import { configSchema } from '@web4/core';
import { PostgresServer } from '@web4/local-services';
import { PostgresDatabase } from '@web4/storage';
import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { FeedbackStore } from '../feedback-store.js';
import { FeedbackReader, MetricsReader } from '../metrics-reader.js';
import { MetricsStore } from '../metrics-store.js';
import { buildMonitoringReport, formatMonitoringReport } from '../monitoring-report.js';
import { PostgresFeedbackStore, PostgresMetricsStore } from '../postgres-stores.js';
import { QueryLogger } from '../query-logger.js';
import { INSERT_COLUMNS, type QueryRow, toQueryRow } from '../query-record.js';
import { makeRecords, median, round, timeIt } from './bench-records.js';
import { buildQueryTypesReport, formatQueryTypesReport, readQueryTypesReport } from '../query-types-report.js';

const targets = configSchema.parse({}).monitoring.targets;
let failed = false;
function emit(figure: Record<string, unknown> & { bench: string; pass: boolean }): void {
  if (!figure.pass) failed = true;
  process.stdout.write(JSON.stringify(figure) + '\n');
}

const dir = mkdtempSync(join(tmpdir(), 'web4-pg-bench-'));
const server = await PostgresServer.start();
let dbCounter = 0;
const freshDatabase = (): string => server.createDatabase(`bench_${dbCounter++}`);
const now = new Date();

try {
  // --- ingest through the batched writer vs bare pg batched inserts -----------------------
  const N = 200_000;
  const records = makeRecords(N, now.getTime() - 86_400_000, 86_400_000, { gateway: true });

  /**
   * As a busy server logs: bursts of 1,000 calls with the event loop turning between them (the
   * writes happen there), the callers slowed down only when 20 batches wait (the writer's queue
   * holds at most maxPending, 100,000, rows): the figure is the rate the writer sustains.
   */
  const ingestThroughLogger = async (): Promise<number> => {
    const logger = new QueryLogger(await PostgresMetricsStore.open(freshDatabase()), { flushOnExit: false }, true);
    const t0 = performance.now();
    for (let i = 0; i < records.length; i++) {
      logger.log(records[i]!);
      if (i % 1000 === 999) {
        await new Promise((r) => setImmediate(r));
        while (logger.pending >= 20_000) await new Promise((r) => setTimeout(r, 1));
      }
    }
    await logger.closeAsync();
    const rate = records.length / ((performance.now() - t0) / 1000);
    if (logger.stats().written !== N) throw new Error(`the logger wrote ${logger.stats().written} of ${N} rows`);
    return rate;
  };
  const rows: QueryRow[] = records.map((r) => toQueryRow(r, () => now, 1_000_000));
  /** The ceiling: bare pg, the same rows into a scratch table like query_metrics (its indexes too), 1,000-row INSERTs, one transaction each. */
  const ingestBare = async (): Promise<number> => {
    const url = freshDatabase();
    (await PostgresMetricsStore.open(url)).close(); // the schema
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('create table public.scratch (like metrics.query_metrics including all)');
    const cols = INSERT_COLUMNS.join(', ');
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 1000) {
      const batch = rows.slice(i, i + 1000);
      const params: unknown[] = [];
      const tuples = batch.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
      await client.query(`insert into public.scratch (${cols}) values ${tuples.join(', ')}`, params);
    }
    const rate = rows.length / ((performance.now() - t0) / 1000);
    await client.end();
    return rate;
  };
  await ingestThroughLogger(); // warm-up
  const loggerRates: number[] = [];
  const bareRates: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    loggerRates.push(await ingestThroughLogger());
    bareRates.push(await ingestBare());
  }
  const ingest = median(loggerRates);
  const ceiling = median(bareRates);
  emit({
    bench: 'metrics-store.postgres_ingest_vs_ceiling',
    value: round(ingest),
    unit: 'records/s',
    baseline: round(ceiling),
    baseline_name: 'ceiling: bare pg, same rows into a copy of query_metrics (same indexes), 1,000-row INSERTs, no rollups',
    ratio: round(ingest / ceiling, 2),
    target: '>= 0.5 of the ceiling',
    pass: ingest / ceiling >= 0.5,
    rows: N,
    reps: loggerRates.map((x) => round(x)),
    baseline_reps: bareRates.map((x) => round(x)),
  });

  // --- the reports over 1,000,000 queries in 90 days, PostgreSQL beside SQLite ----------------
  const url = freshDatabase();
  const file = join(dir, 'reports.db');
  const days = 90;
  const start = now.getTime() - (days - 1) * 86_400_000 - (now.getTime() % 86_400_000);
  const pgStore = await PostgresMetricsStore.open(url);
  const sqliteStore = MetricsStore.open(file);
  for (let chunk = 0; chunk < 10; chunk++) {
    const part = makeRecords(100_000, start + chunk * 9 * 86_400_000, 9 * 86_400_000, { seed: chunk + 7, gateway: true }).map((r) => toQueryRow(r, () => now, 1_000_000));
    for (let i = 0; i < part.length; i += 10_000) {
      await pgStore.writeQueries(part.slice(i, i + 10_000));
      sqliteStore.writeQueries(part, i, Math.min(i + 10_000, part.length));
    }
  }
  const loaded = await pgStore.countQueries();
  await pgStore.close();
  // 200,000 ratings over the 90 days, the same in both.
  const pgFeedback = await PostgresFeedbackStore.open(url);
  const sqliteFeedback = FeedbackStore.open(join(dir, 'feedback.db'));
  const feedbackRows = Array.from({ length: 200_000 }, (_, i) => ({
    timestamp: new Date(start + Math.floor((i / 200_000) * days * 86_400_000)).toISOString(),
    query: `q${i}`,
    response: 'r',
    rating: (i % 7 === 0 ? 'thumbs_down' : 'thumbs_up') as 'thumbs_up' | 'thumbs_down',
    comment: null,
    query_id: `f${i}`,
  }));
  for (let i = 0; i < feedbackRows.length; i += 5000) await pgFeedback.database.db.insertInto('feedback').values(feedbackRows.slice(i, i + 5000)).execute();
  sqliteFeedback.file.writeTransaction(() => {
    for (const row of feedbackRows) sqliteFeedback.file.runNow(sqliteFeedback.file.db.insertInto('feedback').values(row));
  });
  await pgFeedback.close();
  sqliteFeedback.close();
  // Fresh statistics, as autovacuum would have them on a server that has been running.
  const admin = PostgresDatabase.connect<unknown>(url, { schema: 'metrics' });
  await sql`analyze`.execute(admin.db);
  await admin.destroy();

  const reader = await MetricsReader.postgres(url);
  const feedbackReader = await FeedbackReader.postgres(url);
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const weekAgo = new Date(today.getTime() - 6 * 86_400_000);
  const tomorrow = new Date(today.getTime() + 86_400_000);
  const day = today.toISOString().slice(0, 10);
  const figures: Array<[string, () => Promise<unknown>, () => Promise<unknown>, () => Promise<unknown>]> = [
    [
      'monitor_report_7d',
      async () => formatMonitoringReport(await buildMonitoringReport({ store: reader, targets, now, days: 7 })),
      async () => {
        const r = await MetricsReader.postgres(url);
        formatMonitoringReport(await buildMonitoringReport({ store: r, targets, now, days: 7 }));
        await r.close();
      },
      async () => {
        const s = MetricsStore.open(file);
        formatMonitoringReport(await buildMonitoringReport({ store: s, targets, now, days: 7 }));
        s.close();
      },
    ],
    [
      'monitor_report_90d',
      async () => formatMonitoringReport(await buildMonitoringReport({ store: reader, targets, now, days: 90 })),
      async () => {
        const r = await MetricsReader.postgres(url);
        formatMonitoringReport(await buildMonitoringReport({ store: r, targets, now, days: 90 }));
        await r.close();
      },
      async () => {
        const s = MetricsStore.open(file);
        formatMonitoringReport(await buildMonitoringReport({ store: s, targets, now, days: 90 }));
        s.close();
      },
    ],
    [
      'monitor_query_types',
      async () => formatQueryTypesReport(await readQueryTypesReport(reader, day, targets)),
      async () => {
        const r = await MetricsReader.postgres(url);
        formatQueryTypesReport(await readQueryTypesReport(r, day, targets));
        await r.close();
      },
      async () => {
        const s = MetricsStore.open(file);
        formatQueryTypesReport(buildQueryTypesReport(s, day, targets));
        s.close();
      },
    ],
    [
      'feedback_rate_7d',
      async () => feedbackReader.satisfaction(weekAgo, tomorrow),
      async () => {
        const r = await FeedbackReader.postgres(url);
        await r.satisfaction(weekAgo, tomorrow);
        await r.close();
      },
      async () => {
        const s = FeedbackStore.open(join(dir, 'feedback.db'));
        s.satisfaction(weekAgo, tomorrow);
        s.close();
      },
    ],
  ];
  for (const [name, warm, opened, sqlite] of figures) {
    const ms = await timeIt(warm);
    const openedMs = await timeIt(opened, 5);
    const sqliteMs = await timeIt(sqlite);
    emit({
      bench: `metrics-store.postgres_${name}`,
      value: round(ms, 2),
      unit: 'ms',
      baseline: round(sqliteMs, 2),
      baseline_name: 'the same report on the same records in a SQLite file (opened per call, as the command does)',
      ratio: round(ms / sqliteMs, 2),
      target: '<= 100 ms over 1,000,000 queries / 90 days (200,000 ratings), reader open (a gateway, the dashboard)',
      pass: ms <= 100,
      with_open_ms: round(openedMs, 1),
      with_open_note: 'connect, check the schema version, run, close: what one CLI call pays besides starting node',
      queries: loaded,
    });
  }
  await reader.close();
  await feedbackReader.close();
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
