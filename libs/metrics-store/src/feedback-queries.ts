import type { Insertable, Kysely } from 'kysely';
import type { FeedbackDatabase, FeedbackTable, Rating } from './schema/feedback-database.js';

/**
 * The feedback write statements, written once: FeedbackStore runs them synchronously on SQLite,
 * PostgresFeedbackStore through kysely's PostgresDialect.
 */

export function insertFeedbackQuery(db: Kysely<FeedbackDatabase>, values: Insertable<FeedbackTable>) {
  return db.insertInto('feedback').values(values);
}

/** Entries with a timestamp in [from, to), newest first: `feedback list`. */
export function feedbackListQuery(db: Kysely<FeedbackDatabase>, from: Date, to: Date, limit: number) {
  return db
    .selectFrom('feedback')
    .selectAll()
    .where('timestamp', '>=', from.toISOString())
    .where('timestamp', '<', to.toISOString())
    .orderBy('timestamp', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
}

/** The rating row of a query id (at most one: rateQuery replaces). */
export function feedbackByQueryIdQuery(db: Kysely<FeedbackDatabase>, queryId: string) {
  return db.selectFrom('feedback').select('id').where('query_id', '=', queryId);
}

/** Replace a rating: rating, comment and time, and the texts when given (null: keep the stored ones). */
export function updateFeedbackQuery(
  db: Kysely<FeedbackDatabase>,
  id: number,
  change: { rating: Rating; comment: string | null; timestamp: string; query: string | null; response: string | null },
) {
  const { rating, comment, timestamp, query, response } = change;
  return db
    .updateTable('feedback')
    .set({ rating, comment, timestamp, ...(query !== null ? { query } : {}), ...(response !== null ? { response } : {}) })
    .where('id', '=', id);
}
