import { sql, type Kysely, type Selectable } from 'kysely';
import type { StatePaths, Web4Config } from '@web4/core';
import { PostgresDatabase, SqliteFile, storageTarget, type StorageDialect } from '@web4/storage';
import type { Satisfaction } from './feedback-store.js';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { DailyRollup } from './daily-rollup.js';
import { INSERT_COLUMNS, type QueryRow } from './query-record.js';
import { countQueriesQuery, dailySummariesQuery, queriesOfDayQuery, satisfactionOf, satisfactionQuery } from './report-queries.js';
import { latestValidationsQuery, runIdsQuery, runStepsQuery, validationBeforeQuery, validationsSinceQuery } from './records-queries.js';
import { toStep, type RunStep } from './run-recorder.js';
import { toStored, type StoredValidation } from './validation-log.js';
import { clearDailySummaryQuery, rollupSourceQuery, upsertSummaryQuery } from './write-queries.js';
import type { FeedbackDatabase } from './schema/feedback-database.js';
import type { DailySummaryTable, MetricsDatabase, QueryMetricsTable } from './schema/metrics-database.js';

/** daily_summary rows per upsert statement of a rebuild (PostgreSQL takes at most 65,535 parameters). */
const REBUILD_CHUNK = 1000;

/** The run journal, read (nightHistory / readNight in @web4/evening-loop). */
export interface RunsReader {
  /** The newest `limit` runs whose id starts with `prefix`, newest first, each with its steps in the order they started. */
  recentRuns(limit: number, prefix?: string): Promise<Array<{ runId: string; steps: RunStep[] }>>;
  /** The steps of one run in the order they started (empty when it was never recorded). */
  runSteps(runId: string): Promise<RunStep[]>;
}

/** The morning checks, read (morningHistory in @web4/canary-suite, the /metrics gauges). */
export interface ValidationsReader {
  /** Validations run at or after `from`, oldest first. */
  validationsSince(from: Date): Promise<StoredValidation[]>;
  /** The newest validation run before `before`, if any. */
  validationBefore(before: Date): Promise<StoredValidation | undefined>;
  /** The newest `limit` validations, newest first. */
  latestValidations(limit: number): Promise<StoredValidation[]>;
}

/**
 * The reports' read path, asynchronous, on either dialect: the same kysely queries
 * (report-queries.ts) through kysely's SqliteDialect over better-sqlite3 or its PostgresDialect
 * over `pg`. Writing stays with `MetricsStore` / `QueryLogger` / `PostgresMetricsStore`, except
 * `monitor rebuild`'s recomputation of daily_summary (rebuildDailySummary).
 */
export class MetricsReader implements RunsReader, ValidationsReader {
  private constructor(
    readonly dialect: StorageDialect,
    readonly db: Kysely<MetricsDatabase>,
    private readonly release: () => Promise<void>,
  ) {}

  /** The metrics file (migrated like every opener does). */
  static sqlite(path: string, options: { busyTimeoutMs?: number } = {}): MetricsReader {
    const file = SqliteFile.open<MetricsDatabase>(path, metricsMigrations, { setting: 'paths.metricsDb', ...options });
    return new MetricsReader('sqlite', file.db, () => file.destroy());
  }

  /** The `metrics` schema of a PostgreSQL database (migrated, under the advisory lock). */
  static async postgres(url: string): Promise<MetricsReader> {
    const database = await PostgresDatabase.open<MetricsDatabase>(url, metricsMigrations, { schema: 'metrics', label: 'metrics' });
    return new MetricsReader('postgres', database.db, () => database.destroy());
  }

  /** Where `storage.url` says the records are. */
  static async open(config: Pick<Web4Config, 'storage' | 'monitoring'>, paths: Pick<StatePaths, 'metricsDb'>): Promise<MetricsReader> {
    const target = storageTarget(config);
    return target.dialect === 'postgres' ? MetricsReader.postgres(target.url) : MetricsReader.sqlite(paths.metricsDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs });
  }

  async summaries(fromDay: string, toDay: string): Promise<DailySummaryTable[]> {
    return dailySummariesQuery(this.db, fromDay, toDay).execute();
  }

  /** Raw rows of one day, newest first, at most `limit` (MetricsStore.queriesOfDay): `monitor errors`. */
  async queriesOfDay(day: string, options: { errorsOnly?: boolean; limit?: number } = {}): Promise<Selectable<QueryMetricsTable>[]> {
    return queriesOfDayQuery(this.db, day, options).execute();
  }

  async recentRuns(limit: number, prefix?: string): Promise<Array<{ runId: string; steps: RunStep[] }>> {
    const ids = (await runIdsQuery(this.db, limit, prefix).execute()).map((r) => r.run_id);
    const byRun = new Map<string, RunStep[]>(ids.map((id) => [id, []]));
    for (const row of await runStepsQuery(this.db, ids).execute()) byRun.get(row.run_id)?.push(toStep(row));
    return ids.map((runId) => ({ runId, steps: byRun.get(runId)! }));
  }

  async runSteps(runId: string): Promise<RunStep[]> {
    return (await runStepsQuery(this.db, [runId]).execute()).map(toStep);
  }

  async validationsSince(from: Date): Promise<StoredValidation[]> {
    return (await validationsSinceQuery(this.db, from).execute()).map(toStored);
  }

  async validationBefore(before: Date): Promise<StoredValidation | undefined> {
    return (await validationBeforeQuery(this.db, before).execute()).map(toStored)[0];
  }

  async latestValidations(limit: number): Promise<StoredValidation[]> {
    return (await latestValidationsQuery(this.db, limit).execute()).map(toStored);
  }

  async countQueries(): Promise<number> {
    const row = await countQueriesQuery(this.db).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Recompute daily_summary from query_metrics in one transaction (MetricsStore.rebuildDailySummary
   * on either dialect, through the same statements): `monitor rebuild`. Returns the number of days.
   * On PostgreSQL the two tables are locked first (SHARE ROW EXCLUSIVE: reads go on, writers wait
   * for the rebuild and a rebuild waits for writers in flight), so no batch lands between the read
   * of the rows and the new rollups. On SQLite the transaction's first statement is a write, which
   * takes the write lock at once (busy timeout as configured).
   */
  async rebuildDailySummary(now: Date = new Date()): Promise<number> {
    const updatedAt = now.toISOString();
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`lock table query_metrics, daily_summary in share row exclusive mode`.execute(trx);
      await clearDailySummaryQuery(trx).execute();
      const stored = await rollupSourceQuery(trx).execute();
      const rows = stored.map((r) => INSERT_COLUMNS.map((c) => r[c]) as unknown as QueryRow);
      const summaries = [...DailyRollup.fromRows(rows).values()].map((rollup) => rollup.toRow(undefined, updatedAt));
      for (let i = 0; i < summaries.length; i += REBUILD_CHUNK) await upsertSummaryQuery(trx, summaries.slice(i, i + REBUILD_CHUNK)).execute();
      return summaries.length;
    });
  }

  async close(): Promise<void> {
    await this.release();
  }
}

/** The same for the feedback records: `feedback rate` on either dialect. */
export class FeedbackReader {
  private constructor(
    readonly dialect: StorageDialect,
    readonly db: Kysely<FeedbackDatabase>,
    private readonly release: () => Promise<void>,
  ) {}

  static sqlite(path: string, options: { busyTimeoutMs?: number } = {}): FeedbackReader {
    const file = SqliteFile.open<FeedbackDatabase>(path, feedbackMigrations, { setting: 'paths.feedbackDb', ...options });
    return new FeedbackReader('sqlite', file.db, () => file.destroy());
  }

  /** The `feedback` schema of a PostgreSQL database (migrated, under the advisory lock). */
  static async postgres(url: string): Promise<FeedbackReader> {
    const database = await PostgresDatabase.open<FeedbackDatabase>(url, feedbackMigrations, { schema: 'feedback', label: 'feedback' });
    return new FeedbackReader('postgres', database.db, () => database.destroy());
  }

  static async open(config: Pick<Web4Config, 'storage' | 'monitoring'>, paths: Pick<StatePaths, 'feedbackDb'>): Promise<FeedbackReader> {
    const target = storageTarget(config);
    return target.dialect === 'postgres' ? FeedbackReader.postgres(target.url) : FeedbackReader.sqlite(paths.feedbackDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs });
  }

  /** Thumbs-up share of the ratings in [from, to), as FeedbackStore.satisfaction. */
  async satisfaction(from: Date, to: Date): Promise<Satisfaction> {
    return satisfactionOf(await satisfactionQuery(this.db, from, to).execute());
  }

  async close(): Promise<void> {
    await this.release();
  }
}
