import type { Kysely } from 'kysely';
import type { MetricsDatabase } from './schema/metrics-database.js';

/**
 * The queries behind the reports, one kysely builder per figure, written once for both dialects:
 * `MetricsStore` runs them synchronously on its SQLite handle, `MetricsReader` through kysely's
 * async executor on SQLite (SqliteDialect over better-sqlite3) or PostgreSQL (PostgresDialect).
 */

/** daily_summary rows for days in [fromDay, toDay] (YYYY-MM-DD, inclusive), oldest first: every figure of `monitor report`. */
export function dailySummariesQuery(db: Kysely<MetricsDatabase>, fromDay: string, toDay: string) {
  return db.selectFrom('daily_summary').selectAll().where('day', '>=', fromDay).where('day', '<=', toDay).orderBy('day');
}
