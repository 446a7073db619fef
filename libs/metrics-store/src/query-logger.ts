import { type Clock, type Logger, StorageError, silentLogger, systemClock } from '@web4/core';
import { parseRating } from './feedback-store.js';
import { MetricsStore, type MetricsStoreOptions } from './metrics-store.js';
import { type QueryRecord, type QueryRow, toQueryRow } from './query-record.js';
import { registerForExit, unregisterForExit } from './shutdown-flush.js';

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
}

/**
 * The serving path's query logger. `log()` validates and enqueues, nothing else: no I/O, no
 * promise, no timer per call. A batcher writes the queue in transactions of `batchSize` rows
 * when a batch is full (on the next event-loop turn) or after `flushIntervalMs`, and on
 * `flush()`, `close()`, process exit, SIGINT and SIGTERM. Rows of a failed write stay queued
 * and are retried on the next flush; nothing is dropped silently.
 */
export class QueryLogger {
  private queue: QueryRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  /** The last write failed: wait for the timer instead of retrying on every call. */
  private failing = false;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  private readonly maxTextBytes: number;
  private readonly now: () => Date;
  private readonly logger: Logger;
  private readonly counts = { logged: 0, written: 0, failedFlushes: 0, duplicates: 0 };
  private readonly flushTick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.flushQuietly();
  };

  constructor(
    readonly store: MetricsStore,
    options: QueryLoggerOptions = {},
    private readonly ownsStore = false,
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.maxPending = options.maxPending ?? 100_000;
    this.maxTextBytes = options.maxTextBytes ?? 1_000_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now();
    this.logger = options.logger ?? silentLogger();
    if (options.flushOnExit ?? true) registerForExit(this);
  }

  /** Open `path` (creating it) and log into it; `close()` closes the database too. */
  static open(path: string, options: QueryLoggerOptions & MetricsStoreOptions = {}): QueryLogger {
    return new QueryLogger(MetricsStore.open(path, options), options, true);
  }

  /**
   * Record one query. Throws InputError for an invalid record (nothing is queued), and
   * StorageError only when `maxPending` rows are waiting because writes keep failing.
   */
  log(record: QueryRecord): void {
    if (this.closed) throw new StorageError('This query logger is closed.', { hint: 'Log before close(), or open a new QueryLogger.' });
    const row = toQueryRow(record, this.now, this.maxTextBytes);
    if (this.queue.length >= this.maxPending) {
      // While writes fail, the timer retries; do not stall every caller on the busy timeout.
      if (!this.failing) this.flushQuietly();
      if (this.queue.length >= this.maxPending) {
        throw new StorageError(`${this.queue.length} query records are waiting because ${this.store.path} cannot be written.`, {
          hint: 'See the error logged by the query logger (disk full, permissions, a lock held by another process).',
        });
      }
    }
    this.queue.push(row);
    this.counts.logged++;
    if (this.queue.length >= this.batchSize) {
      // A caller that logs in a loop without yielding never lets the immediate run: past ten
      // batches, write now. Keeps memory flat and the rows young (cheap for the GC).
      if (this.queue.length >= this.batchSize * 10 && !this.failing) this.flushQuietly();
      else this.immediate ??= setImmediate(this.flushTick);
    } else if (!this.timer) {
      this.timer = setTimeout(this.flushTick, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Write everything queued now (synchronously). Throws StorageError when the database refuses; the rows stay queued. */
  flush(): void {
    this.cancelScheduled();
    const queue = this.queue;
    let done = 0;
    try {
      while (done < queue.length) {
        const end = Math.min(done + this.batchSize, queue.length);
        const duplicates = this.store.writeQueries(queue, done, end);
        this.counts.written += end - done - duplicates;
        if (duplicates > 0) {
          this.counts.duplicates += duplicates;
          this.logger.warn({ duplicates }, 'query metrics: rows with an already stored query id were not written');
        }
        done = end;
      }
    } catch (error) {
      this.counts.failedFlushes++;
      throw error;
    } finally {
      // Drop the written prefix once (not per batch: a long queue would be copied again and again).
      this.queue = done === queue.length ? [] : queue.slice(done);
    }
  }

  /** Flush and stop; throws when rows could not be written (they are reported, not lost silently). */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      unregisterForExit(this);
      this.cancelScheduled();
      if (this.ownsStore) this.store.close();
    }
  }

  /** Whether a query with this id was logged: still queued here, or stored. */
  hasQuery(queryId: string): boolean {
    return this.pendingRow(queryId) !== undefined || this.store.hasQuery(queryId);
  }

  /**
   * Record the user's rating of a logged query (a later call replaces an earlier one): on the
   * queued row when it is not written yet, else through `MetricsStore.setUserFeedback`. False
   * when no query with this id was logged. InputError for a rating other than up/down.
   */
  setUserFeedback(queryId: string, rating: string): boolean {
    const value = parseRating(rating);
    const row = this.pendingRow(queryId);
    if (row) {
      row[9] = value;
      return true;
    }
    return this.store.setUserFeedback(queryId, value);
  }

  get pending(): number {
    return this.queue.length;
  }

  stats(): QueryLoggerStats {
    return { ...this.counts, pending: this.queue.length };
  }

  /** @internal called by the exit hook. */
  flushForExit(): void {
    if (!this.closed && this.store.file.isOpen) this.flush();
  }

  /** The queued row with this query id, newest first (feedback follows the answer closely). */
  private pendingRow(queryId: string): QueryRow | undefined {
    const queue = this.queue;
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]![12] === queryId) return queue[i];
    return undefined;
  }

  private flushQuietly(): void {
    try {
      this.flush();
      this.failing = false;
    } catch (error) {
      this.failing = true;
      this.logger.error({ err: error, pending: this.queue.length }, 'query metrics: write failed; rows kept for the next flush');
      if (!this.timer && !this.closed) {
        this.timer = setTimeout(this.flushTick, Math.max(this.flushIntervalMs, 1000));
        this.timer.unref();
      }
    }
  }

  private cancelScheduled(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
