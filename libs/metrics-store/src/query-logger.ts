import { BatchedWriter, type Clock, type Logger, StorageError, silentLogger, systemClock } from '@web4/core';
import { parseRating } from './feedback-store.js';
import { MetricsStore, type MetricsStoreOptions } from './metrics-store.js';
import type { PostgresMetricsStore } from './postgres-stores.js';
import { type QueryRecord, type QueryRow, toQueryRow } from './query-record.js';
import type { Rating } from './schema/feedback-database.js';

export interface QueryLoggerOptions {
  /** Rows per write transaction; a full batch is written on the next turn of the event loop. */
  batchSize?: number;
  /** The longest a logged row waits before it is written (ms). */
  flushIntervalMs?: number;
  /** Rows kept in memory while the database cannot be written; beyond it `log()` throws. */
  maxPending?: number;
  /** Largest error / errorContext text accepted (bytes). */
  maxTextBytes?: number;
  clock?: Clock;
  logger?: Logger;
  /** Flush on process exit, SIGINT and SIGTERM (default true). */
  flushOnExit?: boolean;
}

export interface QueryLoggerStats {
  logged: number;
  written: number;
  pending: number;
  failedFlushes: number;
  /** Rows not written because a row with the same query id was already stored. */
  duplicates: number;
  /** Rows PostgreSQL refused as data (logged with their query id; SQLite stores every validated row). */
  rejected: number;
}

/**
 * The serving path's query logger. `log()` validates and enqueues, nothing else: no I/O, no
 * promise, no timer per call. A batcher writes the queue in transactions of `batchSize` rows
 * when a batch is full (on the next event-loop turn) or after `flushIntervalMs`, and on
 * `flush()`, `close()`, process exit, SIGINT and SIGTERM. Rows of a failed write stay queued
 * and are retried on the next flush; nothing is dropped silently. The queue is @web4/core's
 * `BatchedWriter` (its doc says what a crash may lose).
 *
 * On SQLite (`MetricsStore`) writes are synchronous and `flush()`/`close()` work, also from the
 * exit hook. On PostgreSQL (`PostgresMetricsStore`) they are asynchronous: use `flushAsync()`,
 * `closeAsync()`, `hasQueryAsync()`, `setUserFeedbackAsync()` (they work on SQLite too, which is
 * what callers that serve either dialect use); the writer flushes on SIGINT/SIGTERM and
 * `beforeExit`, and rows still queued at a bare `process.exit()` are reported on stderr, not written.
 */
export class QueryLogger<S extends MetricsStore | PostgresMetricsStore = MetricsStore> {
  private readonly writer: BatchedWriter<QueryRow>;
  private readonly maxTextBytes: number;
  private readonly now: () => Date;
  private readonly logger: Logger;
  private duplicates = 0;
  private rejected = 0;
  /** Queued rows rated by setUserFeedback: if one turns out to be a duplicate, its rating goes to the stored row. */
  private readonly ratedWhileQueued = new WeakSet<QueryRow>();
  /**
   * Ratings given to a queued row that was not written because its query id was already stored
   * (or queued before it), still to be set on the stored row: query id → rating. Set after the
   * batch's transaction; one that fails then is kept here and retried after the next write, and
   * by flush() and close(), which throw while it cannot be set (it is never dropped silently).
   */
  private readonly heldRatings = new Map<string, Rating>();

  constructor(
    readonly store: S,
    options: QueryLoggerOptions = {},
    private readonly ownsStore = false,
  ) {
    this.maxTextBytes = options.maxTextBytes ?? 1_000_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now();
    this.logger = options.logger ?? silentLogger();
    this.writer = new BatchedWriter<QueryRow>({
      name: 'query metrics',
      ...(store instanceof MetricsStore ? { write: (rows: QueryRow[]) => this.writeBatch(rows) } : { writeAsync: (rows: QueryRow[]) => this.writeBatchAsync(rows) }),
      batchSize: options.batchSize ?? 1000,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      maxPending: options.maxPending ?? 100_000,
      maxBackoffMs: Math.max(options.flushIntervalMs ?? 200, 1000),
      overflow: 'throw',
      overflowError: (pending) =>
        new StorageError(`${pending} query records are waiting because ${this.store.path} cannot be written.`, {
          hint: 'See the error logged by the query logger (disk full, permissions, a lock held by another process).',
        }),
      logger: this.logger,
      flushOnExit: options.flushOnExit ?? true,
      canFlushAtExit: () => (this.store instanceof MetricsStore ? this.store.file.isOpen : this.store.isOpen),
    });
  }

  /** Open `path` (creating it) and log into it; `close()` closes the database too. */
  static open(path: string, options: QueryLoggerOptions & MetricsStoreOptions = {}): QueryLogger<MetricsStore> {
    return new QueryLogger(MetricsStore.open(path, options), options, true);
  }

  /**
   * Record one query. Throws InputError for an invalid record (nothing is queued), and
   * StorageError only when `maxPending` rows are waiting because writes keep failing.
   */
  log(record: QueryRecord): void {
    if (this.writer.closed) throw new StorageError('This query logger is closed.', { hint: 'Log before close(), or open a new QueryLogger.' });
    this.writer.enqueue(toQueryRow(record, this.now, this.maxTextBytes));
  }

  /** Write everything queued now (synchronously). Throws StorageError when the database refuses; the rows stay queued. */
  flush(): void {
    this.writer.flush();
    this.applyHeldRatings(true);
  }

  /** Flush and stop; throws when rows could not be written (they are reported, not lost silently). */
  close(): void {
    if (this.writer.closed) return;
    const store = this.sqlite('close()');
    try {
      this.writer.close();
      this.applyHeldRatings(true);
    } finally {
      if (this.ownsStore) store.close();
    }
  }

  /** Write everything queued now, on either dialect; rejects when the database refuses (the rows stay queued). */
  async flushAsync(): Promise<void> {
    await this.writer.flushAsync();
    await this.applyHeldRatingsAsync(true);
  }

  /** Flush and stop, on either dialect; rejects when rows could not be written (they are reported). */
  async closeAsync(): Promise<void> {
    if (this.writer.closed) return;
    try {
      await this.writer.closeAsync();
      await this.applyHeldRatingsAsync(true);
    } finally {
      if (this.ownsStore) await this.store.close();
    }
  }

  /** Whether a query with this id was logged: still queued here, or stored. */
  hasQuery(queryId: string): boolean {
    return this.pendingRow(queryId) !== undefined || this.sqlite('hasQuery()').hasQuery(queryId);
  }

  async hasQueryAsync(queryId: string): Promise<boolean> {
    return this.pendingRow(queryId) !== undefined || (await this.store.hasQuery(queryId));
  }

  /** setUserFeedback on either dialect. A row being written right now is rated after its write. */
  async setUserFeedbackAsync(queryId: string, rating: string): Promise<boolean> {
    const value = parseRating(rating);
    if (this.writer.async && this.pendingRow(queryId)) await this.writer.flushAsync();
    // The newest rating wins over one still held from a duplicate row.
    this.heldRatings.delete(queryId);
    const row = this.pendingRow(queryId);
    if (row) {
      this.rateQueued(row, value);
      return true;
    }
    return this.store.setUserFeedback(queryId, value);
  }

  /**
   * Record the user's rating of a logged query (a later call replaces an earlier one): on the
   * queued row when it is not written yet, else through `MetricsStore.setUserFeedback`. False
   * when no query with this id was logged. InputError for a rating other than up/down. A queued
   * row that turns out to be a duplicate (its id already stored, or queued twice) is not written:
   * its rating is then set on the stored row right after the batch.
   */
  setUserFeedback(queryId: string, rating: string): boolean {
    const value = parseRating(rating);
    // The newest rating wins over one still held from a duplicate row.
    this.heldRatings.delete(queryId);
    const row = this.pendingRow(queryId);
    if (row) {
      this.rateQueued(row, value);
      return true;
    }
    return this.sqlite('setUserFeedback()').setUserFeedback(queryId, value);
  }

  get pending(): number {
    return this.writer.pending;
  }

  stats(): QueryLoggerStats {
    const s = this.writer.stats();
    return { logged: s.enqueued, written: s.written - this.duplicates - this.rejected, pending: s.pending, failedFlushes: s.failedWrites, duplicates: this.duplicates, rejected: this.rejected };
  }

  /** @internal flushes like the exit hook does (the shared writer registers itself for exit). */
  flushForExit(): void {
    this.writer.flushForExit();
  }

  private sqlite(method: string): MetricsStore {
    if (this.store instanceof MetricsStore) return this.store;
    throw new Error(`QueryLogger.${method} is synchronous and the records are in PostgreSQL: use its async twin (flushAsync, closeAsync, hasQueryAsync, setUserFeedbackAsync).`);
  }

  private rateQueued(row: QueryRow, value: Rating): void {
    row[9] = value;
    this.ratedWhileQueued.add(row);
  }

  /**
   * After a batch with duplicates: the ratings given to its queued rows, to be set on the stored
   * rows (a duplicate's own row was not written). The rows that were written already carry
   * theirs, so setting it again changes nothing; the last row of an id in the batch decides.
   */
  private holdRatings(rows: readonly QueryRow[]): void {
    for (const row of rows) {
      if (!this.ratedWhileQueued.has(row) || row[12] === null || row[9] === null) continue;
      this.heldRatings.delete(row[12]);
      this.heldRatings.set(row[12], row[9] as Rating);
    }
  }

  /** Set the held ratings on their stored rows; `report`: throw when one cannot be set (it stays held), else log it. */
  private applyHeldRatings(report: boolean): void {
    const store = this.sqlite('flush()');
    for (const [queryId, rating] of this.heldRatings) {
      try {
        if (!store.setUserFeedback(queryId, rating)) this.logger.warn({ queryId }, 'query metrics: a rating was held for a query id that is not stored');
      } catch (error) {
        this.logger.error({ err: error, queryId, held: this.heldRatings.size }, 'query metrics: a rating given while its row was queued could not be set yet; kept for the next try');
        if (report) throw error;
        return;
      }
      this.heldRatings.delete(queryId);
    }
  }

  private async applyHeldRatingsAsync(report: boolean): Promise<void> {
    if (this.store instanceof MetricsStore) return this.applyHeldRatings(report);
    for (const [queryId, rating] of this.heldRatings) {
      try {
        if (!(await this.store.setUserFeedback(queryId, rating))) this.logger.warn({ queryId }, 'query metrics: a rating was held for a query id that is not stored');
      } catch (error) {
        this.logger.error({ err: error, queryId, held: this.heldRatings.size }, 'query metrics: a rating given while its row was queued could not be set yet; kept for the next try');
        if (report) throw error;
        return;
      }
      // A newer rating given meanwhile replaced this one: it stays held for the next pass.
      if (this.heldRatings.get(queryId) === rating) this.heldRatings.delete(queryId);
    }
  }

  private async writeBatchAsync(rows: QueryRow[]): Promise<void> {
    const { duplicates, rejected } = await (this.store as PostgresMetricsStore).writeQueries(rows);
    if (duplicates > 0) {
      this.duplicates += duplicates;
      this.logger.warn({ duplicates }, 'query metrics: rows with an already stored query id were not written');
      this.holdRatings(rows);
    }
    for (const r of rejected) {
      this.rejected++;
      this.logger.error({ queryId: r.row[12], timestamp: r.row[0], error: r.error }, 'query metrics: PostgreSQL refused this row; it was not written (the rows around it were)');
    }
    // The batch is committed: a rating that cannot be set now must not make it look failed (it would be written again).
    await this.applyHeldRatingsAsync(false);
  }

  private writeBatch(rows: QueryRow[]): void {
    const duplicates = this.sqlite('flush()').writeQueries(rows, 0, rows.length);
    if (duplicates > 0) {
      this.duplicates += duplicates;
      this.logger.warn({ duplicates }, 'query metrics: rows with an already stored query id were not written');
      this.holdRatings(rows);
    }
    // The batch is committed: a rating that cannot be set now must not make it look failed (it would be written again).
    this.applyHeldRatings(false);
  }

  /** The queued row with this query id, newest first (feedback follows the answer closely). */
  private pendingRow(queryId: string): QueryRow | undefined {
    const queue = this.writer.pendingRows();
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]![12] === queryId) return queue[i];
    return undefined;
  }
}
