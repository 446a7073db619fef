import type { Kysely } from 'kysely';
import { ROLLUP_COUNTERS } from './daily-rollup.js';
import { INSERT_COLUMNS, type QueryRow } from './query-record.js';
import type { DailySummaryTable, MetricsDatabase } from './schema/metrics-database.js';

/**
 * The statements of the write path, one kysely builder each, written once for both dialects:
 * `MetricsStore` compiles them with placeholder values and prepares them on its SQLite handle
 * (synchronous, for the exit flush); `PostgresMetricsStore` runs them with the rows' values
 * through kysely's PostgresDialect. What only one dialect needs (the per-day advisory lock on
 * PostgreSQL) is beside them, not in them.
 */

type QueryMetricsValues = Record<(typeof INSERT_COLUMNS)[number], unknown>;

/** The insert of query rows; a row whose query id is already stored is skipped (ON CONFLICT DO NOTHING: the only unique key a validated row can break). */
export function insertQueriesQuery(db: Kysely<MetricsDatabase>, values: readonly QueryMetricsValues[]) {
  return db
    .insertInto('query_metrics')
    .values(values as never)
    .onConflict((oc) => oc.doNothing());
}

/** The rows as insert values (column → value), in INSERT_COLUMNS order. */
export function queryRowValues(row: QueryRow): QueryMetricsValues {
  const out = {} as Record<string, unknown>;
  for (let k = 0; k < INSERT_COLUMNS.length; k++) out[INSERT_COLUMNS[k]!] = row[k];
  return out as QueryMetricsValues;
}

/** The columns of a daily_summary upsert, in its parameter order. */
export function summaryColumns(): (keyof DailySummaryTable)[] {
  return ['day', ...ROLLUP_COUNTERS, 'latency_max_ms', 'latency_histogram', 'ttft_histogram', 'updated_at'];
}

/**
 * Add a batch's rollup to its day: insert the day, or add the counters to the stored ones, keep
 * the larger maximum, and store the histograms (merged with the stored ones by the caller, who
 * read them under the day's lock). CASE rather than max(a, b): SQLite's two-argument max is
 * PostgreSQL's GREATEST, and the statement must be the same on both.
 */
export function upsertSummaryQuery(db: Kysely<MetricsDatabase>, values: readonly DailySummaryTable[]) {
  return db
    .insertInto('daily_summary')
    .values(values as DailySummaryTable[])
    .onConflict((oc) =>
      oc.column('day').doUpdateSet((eb) => ({
        ...Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, eb(`daily_summary.${c}`, '+', eb.ref(`excluded.${c}`))])),
        latency_max_ms: eb
          .case()
          .when(eb.ref('excluded.latency_max_ms'), '>', eb.ref('daily_summary.latency_max_ms'))
          .then(eb.ref('excluded.latency_max_ms'))
          .else(eb.ref('daily_summary.latency_max_ms'))
          .end(),
        latency_histogram: eb.ref('excluded.latency_histogram'),
        ttft_histogram: eb.ref('excluded.ttft_histogram'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    );
}

/** The stored histograms of the days (read under the write lock before the upsert merges into them). */
export function summaryHistogramsQuery(db: Kysely<MetricsDatabase>, days: readonly string[]) {
  return db.selectFrom('daily_summary').select(['day', 'latency_histogram', 'ttft_histogram']).where('day', 'in', days as string[]);
}

/** The row a rating goes on: its id, day and current rating. */
export function ratedQueryQuery(db: Kysely<MetricsDatabase>, queryId: string) {
  return db.selectFrom('query_metrics').select(['id', 'timestamp', 'user_feedback']).where('query_id', '=', queryId).limit(1);
}

/** Whether a query id is stored. */
export function hasQueryQuery(db: Kysely<MetricsDatabase>, queryId: string) {
  return db.selectFrom('query_metrics').select('id').where('query_id', '=', queryId).limit(1);
}

/** Set the rating of one query_metrics row. */
export function setRatingQuery(db: Kysely<MetricsDatabase>, id: number, value: string | null) {
  return db.updateTable('query_metrics').set({ user_feedback: value as never }).where('id', '=', id);
}

/** Move a day's feedback counters when a rating changes (`up`/`down`: +1, 0 or -1). */
export function moveFeedbackCountersQuery(db: Kysely<MetricsDatabase>, day: string, up: number, down: number, updatedAt: string) {
  return db
    .updateTable('daily_summary')
    .set((eb) => ({ feedback_up: eb('feedback_up', '+', up), feedback_down: eb('feedback_down', '+', down), updated_at: updatedAt }))
    .where('day', '=', day);
}

/** How the day's feedback counters move when a row's rating goes from `before` to `after`. */
export function feedbackDelta(before: string | null, after: string): { up: number; down: number } {
  return {
    up: (after === 'thumbs_up' ? 1 : 0) - (before === 'thumbs_up' ? 1 : 0),
    down: (after === 'thumbs_down' ? 1 : 0) - (before === 'thumbs_down' ? 1 : 0),
  };
}

/** Every query row in INSERT_COLUMNS order, oldest id first: what `monitor rebuild` rolls up again. */
export function rollupSourceQuery(db: Kysely<MetricsDatabase>) {
  return db.selectFrom('query_metrics').select(INSERT_COLUMNS).orderBy('id');
}

/** Empty daily_summary (the first statement of `monitor rebuild`, in its transaction). */
export function clearDailySummaryQuery(db: Kysely<MetricsDatabase>) {
  return db.deleteFrom('daily_summary');
}
