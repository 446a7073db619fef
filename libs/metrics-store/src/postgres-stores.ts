import { type Clock, type Logger, silentLogger, systemClock } from '@web4/core';
import { PostgresDatabase, toPostgresError } from '@web4/storage';
import { sql, type Kysely, type Transaction } from 'kysely';
import { DailyRollup, type StoredHistograms } from './daily-rollup.js';
import type { QueryRow } from './query-record.js';
import { checkedFeedback, checkedRating } from './feedback-input.js';
import { type FeedbackEntry, type FeedbackInput, parseRating, type QueryRatingInput, type Satisfaction } from './feedback-store.js';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { satisfactionOf, satisfactionQuery } from './report-queries.js';
import type { FeedbackDatabase } from './schema/feedback-database.js';
import type { MetricsDatabase } from './schema/metrics-database.js';
import {
  feedbackDelta,
  hasQueryQuery,
  insertQueriesQuery,
  moveFeedbackCountersQuery,
  queryRowValues,
  ratedQueryQuery,
  setRatingQuery,
  summaryHistogramsQuery,
  upsertSummaryQuery,
} from './write-queries.js';
import { feedbackByQueryIdQuery, feedbackListQuery, insertFeedbackQuery, updateFeedbackQuery } from './feedback-queries.js';

/** Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters; a row has 20). */
const INSERT_CHUNK = 2000;

/** What one write of query rows did. */
export interface QueryWriteResult {
  /** Rows skipped because a row with the same query id was already stored. */
  duplicates: number;
  /** Rows the server refused as data (e.g. a NUL character in a text, which SQLite stores and PostgreSQL does not); written nowhere, logged. */
  rejected: Array<{ row: QueryRow; error: string }>;
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity): the row itself is wrong, a retry cannot help. */
function isRowError(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  return code.startsWith('22') || code.startsWith('23');
}

/**
 * The query records in the `metrics` schema of a PostgreSQL database (storage.url): the async
 * twin of MetricsStore's write path, through the same statements (write-queries.ts).
 * Runs and validations reach PostgreSQL through RecordsPublisher; the model registry and run
 * locks stay in the SQLite file.
 */
export class PostgresMetricsStore {
  readonly dialect = 'postgres' as const;
  private duplicates = 0;
  private open = true;

  private constructor(
    readonly database: PostgresDatabase<MetricsDatabase>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Connect and migrate (ConfigError naming storage.url when the server is unreachable or refuses the login). */
  static async open(url: string, options: { clock?: Clock; logger?: Logger; poolMax?: number } = {}): Promise<PostgresMetricsStore> {
    const database = await PostgresDatabase.open<MetricsDatabase>(url, metricsMigrations, {
      schema: 'metrics',
      label: 'metrics',
      ...(options.poolMax !== undefined ? { poolMax: options.poolMax } : {}),
    });
    return new PostgresMetricsStore(database, options.clock ?? systemClock, options.logger ?? silentLogger());
  }

  /** storage.url without its password (named in messages as MetricsStore names its file). */
  get path(): string {
    return this.database.displayUrl;
  }

  get isOpen(): boolean {
    return this.open;
  }

  get db(): Kysely<MetricsDatabase> {
    return this.database.db;
  }

  get duplicateQueries(): number {
    return this.duplicates;
  }

  /**
   * MetricsStore.writeQueries on PostgreSQL: rows and their days' rollups in ONE transaction;
   * a row whose query id is stored is skipped. The read-modify-write of each day's histograms
   * runs under a transaction-scoped advisory lock per day (taken in day order, before the
   * inserts), so several processes adding to one day serialise there and none loses another's
   * counts. A row the server refuses as data is set aside (returned in `rejected`) and the others
   * are written: one bad row never blocks the rows behind it.
   */
  async writeQueries(rows: readonly QueryRow[]): Promise<QueryWriteResult> {
    if (rows.length === 0) return { duplicates: 0, rejected: [] };
    try {
      try {
        return await this.db.transaction().execute((trx) => this.writeIn(trx, rows, false));
      } catch (error) {
        if (!isRowError(error)) throw error;
        return await this.db.transaction().execute((trx) => this.writeIn(trx, rows, true));
      }
    } catch (error) {
      throw toPostgresError(error, this.database.url, `write ${rows.length} query records`);
    }
  }

  private async writeIn(trx: Transaction<MetricsDatabase>, rows: readonly QueryRow[], rowByRow: boolean): Promise<QueryWriteResult> {
    const days = [...new Set(rows.map((r) => r[0].slice(0, 10)))].sort();
    for (const day of days) await sql`select pg_advisory_xact_lock(hashtext('web4.daily_summary'), hashtext(${day}))`.execute(trx);
    const inserted = new Map<string, number>();
    const rejected: QueryWriteResult['rejected'] = [];
    const rejectedRows = new Set<QueryRow>();
    const count = (out: Array<{ query_id: string | null }>) => {
      for (const r of out) if (r.query_id !== null) inserted.set(r.query_id, (inserted.get(r.query_id) ?? 0) + 1);
    };
    if (!rowByRow) {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        count(await insertQueriesQuery(trx, rows.slice(i, i + INSERT_CHUNK).map(queryRowValues)).returning('query_id').execute());
      }
    } else {
      for (const row of rows) {
        await sql`savepoint web4_row`.execute(trx);
        try {
          count(await insertQueriesQuery(trx, [queryRowValues(row)]).returning('query_id').execute());
          await sql`release savepoint web4_row`.execute(trx);
        } catch (error) {
          if (!isRowError(error)) throw error;
          await sql`rollback to savepoint web4_row`.execute(trx);
          rejected.push({ row, error: (error as Error).message });
          rejectedRows.add(row);
        }
      }
    }
    // A row counts when the insert returned its id (the first of equal ids in a batch), or has no id.
    const kept: QueryRow[] = [];
    let duplicates = 0;
    for (const row of rows) {
      if (rejectedRows.has(row)) continue;
      const id = row[12];
      if (id === null) kept.push(row);
      else if ((inserted.get(id) ?? 0) > 0) {
        inserted.set(id, inserted.get(id)! - 1);
        kept.push(row);
      } else duplicates++;
    }
    const rollups = [...DailyRollup.fromRows(kept).values()];
    if (rollups.length > 0) {
      const stored = new Map<string, StoredHistograms>();
      for (const s of await summaryHistogramsQuery(trx, rollups.map((r) => r.day)).execute()) stored.set(s.day, s);
      const updatedAt = this.clock.now().toISOString();
      await upsertSummaryQuery(trx, rollups.map((r) => r.toRow(stored.get(r.day), updatedAt))).execute();
    }
    this.duplicates += duplicates;
    return { duplicates, rejected };
  }

  async hasQuery(queryId: string): Promise<boolean> {
    try {
      return (await hasQueryQuery(this.db, queryId).execute()).length > 0;
    } catch (error) {
      throw toPostgresError(error, this.database.url, 'read query_metrics');
    }
  }

  /** MetricsStore.setUserFeedback on PostgreSQL (the row's rating and its day's counters in one transaction). */
  async setUserFeedback(queryId: string, rating: string): Promise<boolean> {
    const value = parseRating(rating);
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = (await ratedQueryQuery(trx, queryId).forUpdate().execute())[0];
        if (!row) return false;
        if (row.user_feedback === value) return true;
        const day = row.timestamp.slice(0, 10);
        // The day's counters are moved under the same lock the writers take for that day.
        await sql`select pg_advisory_xact_lock(hashtext('web4.daily_summary'), hashtext(${day}))`.execute(trx);
        await setRatingQuery(trx, row.id, value).execute();
        const { up, down } = feedbackDelta(row.user_feedback, value);
        await moveFeedbackCountersQuery(trx, day, up, down, this.clock.now().toISOString()).execute();
        return true;
      });
    } catch (error) {
      throw toPostgresError(error, this.database.url, `set the feedback of query ${queryId}`);
    }
  }

  async countQueries(): Promise<number> {
    const row = (await this.db.selectFrom('query_metrics').select((eb) => eb.fn.countAll<string>().as('n')).execute())[0];
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.database.destroy();
    this.logger.debug?.({ url: this.path }, 'metrics: PostgreSQL pool closed');
  }
}

/** FeedbackStore on PostgreSQL (the `feedback` schema of storage.url), through the same statements. */
export class PostgresFeedbackStore {
  readonly dialect = 'postgres' as const;

  private constructor(
    readonly database: PostgresDatabase<FeedbackDatabase>,
    private readonly clock: Clock,
    private readonly maxTextBytes: number,
  ) {}

  static async open(url: string, options: { clock?: Clock; maxTextBytes?: number } = {}): Promise<PostgresFeedbackStore> {
    const database = await PostgresDatabase.open<FeedbackDatabase>(url, feedbackMigrations, { schema: 'feedback', label: 'feedback' });
    return new PostgresFeedbackStore(database, options.clock ?? systemClock, options.maxTextBytes ?? 1_000_000);
  }

  get path(): string {
    return this.database.displayUrl;
  }

  /** FeedbackStore.add: validate, insert one row, return its id. */
  async add(input: FeedbackInput): Promise<number> {
    const { timestamp, query, response, rating, comment } = checkedFeedback(input, this.maxTextBytes, this.clock);
    try {
      const out = await insertFeedbackQuery(this.database.db, { timestamp, query, response, rating, comment, query_id: null }).returning('id').executeTakeFirstOrThrow();
      return Number(out.id);
    } catch (error) {
      throw toPostgresError(error, this.database.url, 'add feedback');
    }
  }

  /**
   * FeedbackStore.rateQuery: one row per query id, a later call replaces the rating. Concurrent
   * calls for one id serialise on an advisory lock of that id, so they still leave one row.
   */
  async rateQuery(input: QueryRatingInput): Promise<{ id: number; replaced: boolean }> {
    const { queryId, rating, comment, query, response, timestamp } = checkedRating(input, this.maxTextBytes, this.clock);
    try {
      return await this.database.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('web4.feedback'), hashtext(${queryId}))`.execute(trx);
        const existing = (await feedbackByQueryIdQuery(trx, queryId).execute())[0];
        if (existing) {
          await updateFeedbackQuery(trx, existing.id, { rating, comment, timestamp, query, response }).execute();
          return { id: Number(existing.id), replaced: true };
        }
        const out = await insertFeedbackQuery(trx, { timestamp, query: query ?? '', response: response ?? '', rating, comment, query_id: queryId }).returning('id').executeTakeFirstOrThrow();
        return { id: Number(out.id), replaced: false };
      });
    } catch (error) {
      throw toPostgresError(error, this.database.url, `rate query ${queryId}`);
    }
  }

  async satisfaction(from: Date, to: Date): Promise<Satisfaction> {
    try {
      return satisfactionOf(await satisfactionQuery(this.database.db, from, to).execute());
    } catch (error) {
      throw toPostgresError(error, this.database.url, 'read feedback');
    }
  }

  /** FeedbackStore.list: entries in [from, to), newest first. */
  async list(from: Date, to: Date, limit = 100): Promise<FeedbackEntry[]> {
    try {
      return (await feedbackListQuery(this.database.db, from, to, limit).execute()).map((e) => ({ ...e, id: Number(e.id) }));
    } catch (error) {
      throw toPostgresError(error, this.database.url, 'read feedback');
    }
  }

  async close(): Promise<void> {
    await this.database.destroy();
  }
}
