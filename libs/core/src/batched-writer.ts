import { silentLogger, type Logger } from './logger.js';
import { registerForExit, unregisterForExit } from './shutdown-flush.js';

export interface BatchedWriterOptions<T> {
  /** Named in log lines and errors ("query metrics", "hot-PDCA accesses"). */
  name: string;
  /** Write one batch in one transaction; throw when nothing was written (the rows stay queued). */
  write?: (rows: T[]) => void;
  /**
   * The same, for a database reached asynchronously (PostgreSQL): give exactly one of `write` and
   * `writeAsync`. An asynchronous writer flushes with `flushAsync()`/`closeAsync()`; the `exit`
   * event cannot wait for it, so it flushes on SIGINT/SIGTERM and `beforeExit` instead (see
   * shutdown-flush.ts), and the rows still queued when the process exits otherwise are reported.
   */
  writeAsync?: (rows: T[]) => Promise<void>;
  /** Rows per write; a full batch is written on the next turn of the event loop (default 1000). */
  batchSize?: number;
  /** The longest an enqueued row waits before it is written, in ms (default 200). */
  flushIntervalMs?: number;
  /** Rows kept while writes fail (default 100,000). Beyond it see `overflow`. */
  maxPending?: number;
  /**
   * What `enqueue` does when `maxPending` rows wait: `'drop-oldest'` (default) drops the oldest
   * row, counts it in `stats().dropped` and logs a warning once per failing stretch; `'throw'`
   * throws the error `overflowError()` returns and queues nothing.
   */
  overflow?: 'drop-oldest' | 'throw';
  overflowError?: (pending: number) => Error;
  /** Longest wait between retries of a failing write, in ms (default 5000). Retries start at `flushIntervalMs` and double. */
  maxBackoffMs?: number;
  logger?: Logger;
  /** Flush on process exit, SIGINT and SIGTERM (default true). */
  flushOnExit?: boolean;
  /** Checked before the exit flush (e.g. "the database is still open"); default always. */
  canFlushAtExit?: () => boolean;
}

export interface BatchedWriterStats {
  enqueued: number;
  written: number;
  pending: number;
  /** Writes that threw (each retried later). */
  failedWrites: number;
  /** Rows dropped because `maxPending` rows were waiting (overflow `'drop-oldest'`). */
  dropped: number;
}

/**
 * One write-behind queue for every path that records rows off the caller's hot path.
 *
 * - `enqueue()` is O(1) on the caller's thread: a push, no I/O, no promise, at most one timer.
 * - A batch leaves the queue only after `write()` returned; a write that throws keeps its rows,
 *   in order, at the head of the queue, and the writer retries on a timer with backoff
 *   (`flushIntervalMs`, doubling up to `maxBackoffMs`). Errors from timer-driven writes go to
 *   the logger and `stats().failedWrites`; nothing is thrown into a timer.
 * - `flush()` writes everything now and throws when the database refuses (rows kept);
 *   `close()` flushes and stops the timers; process exit, SIGINT and SIGTERM flush too.
 *
 * What a crash may lose: `kill -9` (or a power cut) loses the rows enqueued since the last
 * successful write and nothing written before it: at most `flushIntervalMs` worth of rows, or
 * `batchSize` rows when they come faster than that (a full batch is written on the next turn of
 * the event loop) — more only while writes are failing, when up to `maxPending` rows wait.
 * Each batch is one transaction, so what arrives is always a prefix of what was enqueued.
 */
export class BatchedWriter<T> {
  private queue: T[] = [];
  /** Index of the oldest queued row: dropping and writing advance it, compaction resets it. */
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closedFlag = false;
  private failures = 0;
  private warnedOverflow = false;
  readonly name: string;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxPending: number;
  private readonly maxBackoffMs: number;
  private readonly overflow: 'drop-oldest' | 'throw';
  private readonly logger: Logger;
  private readonly counts = { enqueued: 0, written: 0, failedWrites: 0, dropped: 0 };
  /** The asynchronous write in progress (writeAsync), and how many rows at the head it covers. */
  private inFlight: Promise<void> | undefined;
  private inFlightCount = 0;
  private readonly flushTick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.flushQuietly();
  };

  constructor(private readonly options: BatchedWriterOptions<T>) {
    this.name = options.name;
    if ((options.write === undefined) === (options.writeAsync === undefined)) throw new TypeError(`BatchedWriter ${options.name}: give exactly one of write and writeAsync.`);
    this.batchSize = positive(options.batchSize ?? 1000, 'batchSize');
    this.flushIntervalMs = positive(options.flushIntervalMs ?? 200, 'flushIntervalMs');
    this.maxPending = positive(options.maxPending ?? 100_000, 'maxPending');
    this.maxBackoffMs = Math.max(this.flushIntervalMs, options.maxBackoffMs ?? 5000);
    this.overflow = options.overflow ?? 'drop-oldest';
    this.logger = options.logger ?? silentLogger();
    if (options.flushOnExit ?? true) registerForExit(this);
  }

  get exitName(): string {
    return this.name;
  }

  /** Whether writes are asynchronous (`writeAsync`): flush with `flushAsync()`, close with `closeAsync()`. */
  get async(): boolean {
    return this.options.writeAsync !== undefined;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Whether the last write failed (the timer retries; callers should not stall on it). */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** Queue one row. Throws only when closed, or when full with overflow `'throw'`. */
  enqueue(row: T): void {
    if (this.closedFlag) throw new Error(`The ${this.name} writer is closed; enqueue before close().`);
    if (this.pending >= this.maxPending) this.makeRoom();
    this.queue.push(row);
    this.counts.enqueued++;
    const pending = this.pending;
    if (pending >= this.batchSize) {
      // A caller that enqueues in a loop without yielding never lets the immediate run: past ten
      // batches, write now (keeps memory flat) unless writes are failing.
      if (pending >= this.batchSize * 10 && !this.failing) this.flushQuietly();
      else if (!this.failing) this.immediate ??= setImmediate(this.flushTick);
    } else if (!this.timer) {
      this.timer = setTimeout(this.flushTick, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Write everything queued now, in batches. Throws when a write fails; its rows and those after it stay queued. */
  flush(): void {
    const write = this.options.write;
    if (!write) throw new Error(`The ${this.name} writer writes asynchronously: use flushAsync() / closeAsync().`);
    this.cancelScheduled();
    try {
      while (this.head < this.queue.length) {
        const end = Math.min(this.head + this.batchSize, this.queue.length);
        write(this.queue.slice(this.head, end));
        this.counts.written += end - this.head;
        this.head = end;
      }
      this.failures = 0;
      this.warnedOverflow = false;
    } catch (error) {
      this.counts.failedWrites++;
      this.failures++;
      throw error;
    } finally {
      this.compact();
    }
  }

  /**
   * Write everything queued now, on either kind of writer. With `writeAsync`, one write runs at a
   * time (a second caller waits for it, then writes what is left); a row leaves the queue only
   * after its batch's write resolved; a rejected write keeps its rows and those after it, in
   * order, and rejects. Rows enqueued meanwhile are written by the same call.
   */
  async flushAsync(): Promise<void> {
    if (!this.options.writeAsync) {
      this.flush();
      return;
    }
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    this.cancelScheduled();
    const run = this.drainAsync();
    this.inFlight = run.finally(() => {
      this.inFlight = undefined;
    });
    try {
      await this.inFlight;
    } catch (error) {
      // The caller gets the error; the rows are retried on the backoff timer all the same.
      this.scheduleRetry();
      throw error;
    }
  }

  /** Flush (asynchronously when `writeAsync`) and stop; rejects when rows could not be written. */
  async closeAsync(): Promise<void> {
    if (this.closedFlag) return;
    try {
      await this.flushAsync();
    } finally {
      this.closedFlag = true;
      unregisterForExit(this);
      this.cancelScheduled();
    }
  }

  /** Flush and stop the timers; throws when rows could not be written (they are reported, not dropped silently). */
  close(): void {
    if (this.closedFlag) return;
    try {
      this.flush();
    } finally {
      this.closedFlag = true;
      unregisterForExit(this);
      this.cancelScheduled();
    }
  }

  /** The queued rows, oldest first (read-only view for lookups such as "is this id still pending"). */
  pendingRows(): readonly T[] {
    if (this.head > 0) this.compact(true);
    return this.queue;
  }

  stats(): BatchedWriterStats {
    return { ...this.counts, pending: this.pending };
  }

  /** @internal called by the exit hook. */
  flushForExit(): void {
    if (this.closedFlag || this.pending === 0) return;
    if (this.options.canFlushAtExit && !this.options.canFlushAtExit()) return;
    if (this.async) throw new Error(`${this.pending} rows were not written: the process exited before they could be (asynchronous writes cannot run at exit).`);
    this.flush();
  }

  /** @internal called by the signal and beforeExit hooks for an asynchronous writer. */
  async flushForExitAsync(): Promise<void> {
    if (this.closedFlag || this.pending === 0) return;
    if (this.options.canFlushAtExit && !this.options.canFlushAtExit()) return;
    await this.flushAsync();
  }

  private async drainAsync(): Promise<void> {
    const write = this.options.writeAsync!;
    try {
      while (this.head < this.queue.length) {
        const end = Math.min(this.head + this.batchSize, this.queue.length);
        this.inFlightCount = end - this.head;
        await write(this.queue.slice(this.head, end));
        // Compaction while the write ran keeps the in-flight rows at the head.
        this.counts.written += this.inFlightCount;
        this.head += this.inFlightCount;
        this.inFlightCount = 0;
        this.compact();
      }
      this.failures = 0;
      this.warnedOverflow = false;
    } catch (error) {
      this.counts.failedWrites++;
      this.failures++;
      throw error;
    } finally {
      this.inFlightCount = 0;
      this.compact();
    }
  }

  private makeRoom(): void {
    // While writes fail, the timer retries; do not stall every caller on the busy timeout.
    if (!this.failing) this.flushQuietly();
    if (this.pending < this.maxPending) return;
    if (this.overflow === 'throw') {
      throw this.options.overflowError?.(this.pending) ?? new Error(`${this.pending} ${this.name} rows are waiting because writes keep failing.`);
    }
    // Rows of a write in progress are not dropped: the oldest row behind them is.
    if (this.inFlightCount > 0) this.queue.splice(this.head + this.inFlightCount, 1);
    else this.head++;
    this.counts.dropped++;
    if (!this.warnedOverflow) {
      this.warnedOverflow = true;
      this.logger.warn({ writer: this.name, maxPending: this.maxPending }, `${this.name}: queue full while writes fail; dropping the oldest rows (counted in stats().dropped)`);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) this.compact(true);
  }

  private flushQuietly(): void {
    if (this.async) {
      if (this.inFlight) return; // the write in progress writes what was enqueued behind it
      this.flushAsync().catch((error: unknown) => this.afterFailedFlush(error));
      return;
    }
    try {
      this.flush();
    } catch (error) {
      this.afterFailedFlush(error);
    }
  }

  private afterFailedFlush(error: unknown): void {
    this.logger.error({ err: error, writer: this.name, pending: this.pending, failures: this.failures }, `${this.name}: write failed; rows kept for the next try`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closedFlag) return;
    this.cancelScheduled();
    const delay = Math.min(this.maxBackoffMs, this.flushIntervalMs * 2 ** Math.min(Math.max(this.failures - 1, 0), 20));
    this.timer = setTimeout(this.flushTick, delay);
    this.timer.unref();
  }

  private compact(force = false): void {
    if (this.head === 0) return;
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (force || this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private cancelScheduled(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 1) throw new RangeError(`BatchedWriter: ${name} must be a positive number, got ${value}.`);
  return value;
}
