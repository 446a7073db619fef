import type { Kysely } from 'kysely';
import type { FeedbackDatabase } from './schema/feedback-database.js';
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

/** Ratings in [from, to) counted per rating: the figure of `feedback rate`. */
export function satisfactionQuery(db: Kysely<FeedbackDatabase>, from: Date, to: Date) {
  return db
    .selectFrom('feedback')
    .select(['rating', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('timestamp', '>=', from.toISOString())
    .where('timestamp', '<', to.toISOString())
    .groupBy('rating');
}

/** The satisfaction figure from satisfactionQuery's rows (PostgreSQL counts arrive as strings: bigint). */
export function satisfactionOf(rows: ReadonlyArray<{ rating: string; n: number | string }>): { up: number; down: number; total: number; ratePct: number | null } {
  const up = Number(rows.find((r) => r.rating === 'thumbs_up')?.n ?? 0);
  const down = Number(rows.find((r) => r.rating === 'thumbs_down')?.n ?? 0);
  const total = up + down;
  return { up, down, total, ratePct: total === 0 ? null : (100 * up) / total };
}
