import type { Kysely } from 'kysely';
import type { StatePaths, Web4Config } from '@web4/core';
import { PostgresDatabase, SqliteFile, storageTarget, type StorageDialect } from '@web4/storage';
import { metricsMigrations } from './migrations/metrics/index.js';
import { dailySummariesQuery } from './report-queries.js';
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
