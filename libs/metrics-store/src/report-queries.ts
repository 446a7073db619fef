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

/**
 * Raw rows of one day (YYYY-MM-DD), newest first (equal timestamps: higher id first), at most
 * `limit`: `monitor errors`. The day is [dayT, next dayT) in ISO text, which orders the same under
 * any collation.
 */
export function queriesOfDayQuery(db: Kysely<MetricsDatabase>, day: string, options: { errorsOnly?: boolean; limit?: number } = {}) {
  const next = new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
  let q = db.selectFrom('query_metrics').selectAll().where('timestamp', '>=', `${day}T`).where('timestamp', '<', `${next}T`);
  if (options.errorsOnly) q = q.where('error', 'is not', null);
  return q.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(options.limit ?? 100);
}

/** How many query rows are stored. */
export function countQueriesQuery(db: Kysely<MetricsDatabase>) {
  return db.selectFrom('query_metrics').select((eb) => eb.fn.countAll<number | string>().as('n'));
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
