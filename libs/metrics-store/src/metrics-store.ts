import { type Clock, systemClock } from '@web4/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, Selectable } from 'kysely';
import { DailyRollup, type StoredHistograms } from './daily-rollup.js';
import { parseRating } from './feedback-store.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { INSERT_COLUMNS, type QueryRow } from './query-record.js';
import { ModelRegistryStore } from './model-registry-store.js';
import { countQueriesQuery, dailySummariesQuery, queriesOfDayQuery } from './report-queries.js';
import { RunLocks } from './run-locks.js';
import { RunRecorder } from './run-recorder.js';
import type { DailySummaryTable, MetricsDatabase, QueryMetricsTable } from './schema/metrics-database.js';
import { SqliteFile, type SqliteFileOptions } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';
import { ValidationLog } from './validation-log.js';
import {
  clearDailySummaryQuery,
  feedbackDelta,
  hasQueryQuery,
  insertQueriesQuery,
  moveFeedbackCountersQuery,
  ratedQueryQuery,
  rollupSourceQuery,
  setRatingQuery,
  summaryColumns,
  summaryHistogramsQuery,
  upsertSummaryQuery,
} from './write-queries.js';

export interface MetricsStoreOptions extends SqliteFileOptions {
  clock?: Clock;
}

/** What changed in the run journal or the validations (MetricsStore.onChange). */
export type RecordsChange = { kind: 'run'; runId: string } | { kind: 'validation' };

/**
 * `logs/production_metrics.db`: raw query rows, their daily rollups, and the run and
 * validation records of the nightly and morning jobs.
 *
 * Writes are synchronous on purpose: the query logger flushes from `process.on('exit')`, where
 * nothing asynchronous runs. Every statement is built by kysely; the hot ones are compiled once.
 */
export class MetricsStore {
  readonly runs: RunRecorder;
  readonly validations: ValidationLog;
  readonly models: ModelRegistryStore;
  readonly locks: RunLocks;
  private readonly clock: Clock;
  private insertQuery?: BetterSqlite3.Statement;
  private readSummaryHistogram?: BetterSqlite3.Statement;
  private upsertSummary?: BetterSqlite3.Statement;
  private duplicates = 0;
  private readonly listeners = new Set<(change: RecordsChange) => void>();

  private constructor(
    readonly file: SqliteFile<MetricsDatabase>,
    options: MetricsStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.runs = new RunRecorder(file, this.clock, (runId) => this.emit({ kind: 'run', runId }));
    this.validations = new ValidationLog(file, this.clock, () => this.emit({ kind: 'validation' }));
    this.models = new ModelRegistryStore(file, this.clock);
    this.locks = new RunLocks(file, this.clock);
  }

  static open(path: string, options: MetricsStoreOptions = {}): MetricsStore {
    return new MetricsStore(SqliteFile.open<MetricsDatabase>(path, metricsMigrations, { setting: 'paths.metricsDb', ...options }), options);
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * Be told after each write to the run journal or the validations (RecordsPublisher). A
   * listener must not throw; one that does is ignored, never the write. Returns the unsubscriber.
   */
  onChange(listener: (change: RecordsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: RecordsChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own (it was told not to throw): the row is written.
      }
    }
  }

  /**
   * Insert rows and add them to their days' rollups in ONE write transaction, so the summary
   * never disagrees with the rows, even with several processes writing. A row whose query id is
   * already stored is skipped (and left out of the rollups): retrying a batch never duplicates a
   * call, and one bad id never blocks the rows queued behind it. Returns the rows skipped.
   */
  writeQueries(rows: readonly QueryRow[], start = 0, end = rows.length): number {
    if (end <= start) return 0;
    let rollups = DailyRollup.fromRows(rows, start, end);
    const updatedAt = this.clock.now().toISOString();
    const insert = (this.insertQuery ??= this.prepareInsert());
    // The '?' value only makes kysely emit a placeholder; the day is bound per call.
    const read = (this.readSummaryHistogram ??= this.file.prepare(summaryHistogramsQuery(this.file.db, ['?'])));
    const upsert = (this.upsertSummary ??= this.prepareUpsert());
    try {
      const skipped = this.file.writeTransaction(() => {
        let duplicates: QueryRow[] | undefined;
        for (let i = start; i < end; i++) {
          const row = rows[i]!;
          if (insert.run(row).changes === 0) (duplicates ??= []).push(row);
        }
        if (duplicates) {
          const skip = new Set(duplicates);
          rollups = DailyRollup.fromRows(rows.slice(start, end).filter((r) => !skip.has(r)));
        }
        for (const rollup of rollups.values()) {
          const stored = read.get(rollup.day) as StoredHistograms | undefined;
          upsert.run(summaryParams(rollup.toRow(stored, updatedAt)));
        }
        return duplicates?.length ?? 0;
      });
      this.duplicates += skipped;
      return skipped;
    } catch (error) {
      throw toStorageError(error, this.path, `write ${end - start} query records`);
    }
  }

  /** Rows this store skipped because their query id was already stored. */
  get duplicateQueries(): number {
    return this.duplicates;
  }

  /** Whether a row with this query id is stored (rows still queued in a QueryLogger are not). */
  hasQuery(queryId: string): boolean {
    const row = this.read(hasQueryQuery(this.file.db, queryId), 'read query_metrics');
    return row.length > 0;
  }

  /**
   * Set the user's rating on the row with this query id (a later call replaces an earlier one),
   * and move the day's feedback counters with it in the same transaction. `rating`: up/down or
   * thumbs_up/thumbs_down (InputError otherwise). False when no row has this id.
   */
  setUserFeedback(queryId: string, rating: string): boolean {
    const value = parseRating(rating);
    const db = this.file.db;
    try {
      return this.file.writeTransaction(() => {
        const row = this.file.allNow(ratedQueryQuery(db, queryId))[0];
        if (!row) return false;
        if (row.user_feedback === value) return true;
        this.file.runNow(setRatingQuery(db, row.id, value));
        const { up, down } = feedbackDelta(row.user_feedback, value);
        this.file.runNow(moveFeedbackCountersQuery(db, row.timestamp.slice(0, 10), up, down, this.clock.now().toISOString()));
        return true;
      });
    } catch (error) {
      throw toStorageError(error, this.path, `set the feedback of query ${queryId}`);
    }
  }

  /** daily_summary rows for days in [fromDay, toDay] (YYYY-MM-DD, inclusive). */
  summaries(fromDay: string, toDay: string): DailySummaryTable[] {
    return this.read(dailySummariesQuery(this.file.db, fromDay, toDay), 'read daily_summary');
  }

  /** The first and last day with any query, or undefined for an empty database. */
  dayRange(): { first: string; last: string } | undefined {
    const row = this.read(
      this.file.db.selectFrom('daily_summary').select((eb) => [eb.fn.min('day').as('first'), eb.fn.max('day').as('last')]),
      'read daily_summary',
    )[0];
    return row?.first && row.last ? { first: row.first, last: row.last } : undefined;
  }

  countQueries(): number {
    const row = this.read(countQueriesQuery(this.file.db), 'count query_metrics')[0];
    return Number(row?.n ?? 0);
  }

  /** Raw rows of one day (for investigating a missed target); newest first, at most `limit`. */
  queriesOfDay(day: string, options: { errorsOnly?: boolean; limit?: number } = {}): Selectable<QueryMetricsTable>[] {
    return this.read(queriesOfDayQuery(this.file.db, day, options), 'read query_metrics');
  }

  /**
   * Recompute daily_summary from query_metrics (for rows written by other tools, e.g. the
   * original Python scripts). Runs in one write transaction; returns the number of days.
   */
  rebuildDailySummary(): number {
    const db = this.file.db;
    const select = this.file.prepare(rollupSourceQuery(db));
    const updatedAt = this.clock.now().toISOString();
    try {
      return this.file.writeTransaction(() => {
        this.file.runNow(clearDailySummaryQuery(db));
        const rows: QueryRow[] = [];
        for (const r of select.raw(true).iterate() as IterableIterator<QueryRow>) rows.push(r);
        const rollups = DailyRollup.fromRows(rows);
        const upsert = (this.upsertSummary ??= this.prepareUpsert());
        for (const rollup of rollups.values()) upsert.run(summaryParams(rollup.toRow(undefined, updatedAt)));
        return rollups.size;
      });
    } catch (error) {
      throw toStorageError(error, this.path, 'rebuild daily_summary');
    }
  }

  close(): void {
    this.file.close();
  }

  private read<R>(query: Compilable<R>, action: string): R[] {
    try {
      return this.file.allNow(query);
    } catch (error) {
      throw toStorageError(error, this.path, action);
    }
  }

  private prepareInsert(): BetterSqlite3.Statement {
    const values = Object.fromEntries(INSERT_COLUMNS.map((c) => [c, `\u0000${c}`]));
    const compiled = insertQueriesQuery(this.file.db, [values as never]).compile();
    // The tuple order of QueryRow must be the parameter order kysely emitted.
    if (compiled.parameters.join('|') !== INSERT_COLUMNS.map((c) => `\u0000${c}`).join('|')) {
      throw new Error('query_metrics insert: parameter order differs from INSERT_COLUMNS');
    }
    return this.file.handle.prepare(compiled.sql);
  }

  private prepareUpsert(): BetterSqlite3.Statement {
    const columns = summaryColumns();
    const values = Object.fromEntries(columns.map((c) => [c, `\u0000${c}`]));
    const compiled = upsertSummaryQuery(this.file.db, [values as never]).compile();
    if (compiled.parameters.join('|') !== columns.map((c) => `\u0000${c}`).join('|')) {
      throw new Error('daily_summary upsert: parameter order differs from summaryColumns()');
    }
    return this.file.handle.prepare(compiled.sql);
  }
}

function summaryParams(row: DailySummaryTable): unknown[] {
  return summaryColumns().map((c) => row[c]);
}
