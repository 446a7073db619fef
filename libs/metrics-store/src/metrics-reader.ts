import type { Kysely } from 'kysely';
import type { StatePaths, Web4Config } from '@web4/core';
import { PostgresDatabase, SqliteFile, storageTarget, type StorageDialect } from '@web4/storage';
import type { Satisfaction } from './feedback-store.js';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { dailySummariesQuery, satisfactionOf, satisfactionQuery } from './report-queries.js';
import type { FeedbackDatabase } from './schema/feedback-database.js';
import type { DailySummaryTable, MetricsDatabase } from './schema/metrics-database.js';

/**
 * The reports' read path, asynchronous, on either dialect: the same kysely queries
 * (report-queries.ts) through kysely's SqliteDialect over better-sqlite3 or its PostgresDialect
 * over `pg`. Writing stays with `MetricsStore` / `QueryLogger` (synchronous SQLite: the logger
 * flushes on process exit, where nothing asynchronous runs).
 */
export class MetricsReader {
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
