import { type Clock, systemClock } from '@web4/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, Selectable } from 'kysely';
import { DailyRollup, ROLLUP_COUNTERS } from './daily-rollup.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { INSERT_COLUMNS, type QueryRow } from './query-record.js';
import { ModelRegistryStore } from './model-registry-store.js';
import { RunLocks } from './run-locks.js';
import { RunRecorder } from './run-recorder.js';
import type { DailySummaryTable, MetricsDatabase, QueryMetricsTable } from './schema/metrics-database.js';
import { SqliteFile, type SqliteFileOptions } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';
import { ValidationLog } from './validation-log.js';

export interface MetricsStoreOptions extends SqliteFileOptions {
  clock?: Clock;
}

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

  private constructor(
    readonly file: SqliteFile<MetricsDatabase>,
    options: MetricsStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.runs = new RunRecorder(file, this.clock);
    this.validations = new ValidationLog(file, this.clock);
    this.models = new ModelRegistryStore(file, this.clock);
    this.locks = new RunLocks(file, this.clock);
  }

  static open(path: string, options: MetricsStoreOptions = {}): MetricsStore {
    return new MetricsStore(SqliteFile.open<MetricsDatabase>(path, metricsMigrations, options), options);
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * Insert rows and add them to their days' rollups in ONE write transaction, so the summary
   * never disagrees with the rows, even with several processes writing.
   */
  writeQueries(rows: readonly QueryRow[], start = 0, end = rows.length): void {
    if (end <= start) return;
    const rollups = DailyRollup.fromRows(rows, start, end);
    const updatedAt = this.clock.now().toISOString();
    const insert = (this.insertQuery ??= this.prepareInsert());
    // The '?' value only makes kysely emit a placeholder; the day is bound per call.
    const read = (this.readSummaryHistogram ??= this.file.prepare(
      this.file.db.selectFrom('daily_summary').select('latency_histogram').where('day', '=', '?' as string),
    ));
    const upsert = (this.upsertSummary ??= this.prepareUpsert());
    try {
      this.file.writeTransaction(() => {
        for (let i = start; i < end; i++) insert.run(rows[i]!);
        for (const rollup of rollups.values()) {
          const stored = read.get(rollup.day) as { latency_histogram: string } | undefined;
          upsert.run(summaryParams(rollup.toRow(stored?.latency_histogram, updatedAt)));
        }
      });
    } catch (error) {
      throw toStorageError(error, this.path, `write ${end - start} query records`);
    }
  }

  /** daily_summary rows for days in [fromDay, toDay] (YYYY-MM-DD, inclusive). */
  summaries(fromDay: string, toDay: string): DailySummaryTable[] {
    return this.read(
      this.file.db.selectFrom('daily_summary').selectAll().where('day', '>=', fromDay).where('day', '<=', toDay).orderBy('day'),
      'read daily_summary',
    );
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
    const row = this.read(this.file.db.selectFrom('query_metrics').select((eb) => eb.fn.countAll<number>().as('n')), 'count query_metrics')[0];
    return Number(row?.n ?? 0);
  }

  /** Raw rows of one day (for investigating a missed target); newest first, at most `limit`. */
  queriesOfDay(day: string, options: { errorsOnly?: boolean; limit?: number } = {}): Selectable<QueryMetricsTable>[] {
    let q = this.file.db
      .selectFrom('query_metrics')
      .selectAll()
      .where('timestamp', '>=', `${day}T`)
      .where('timestamp', '<', `${day}T\uffff`);
    if (options.errorsOnly) q = q.where('error', 'is not', null);
    return this.read(q.orderBy('timestamp', 'desc').limit(options.limit ?? 100), 'read query_metrics');
  }

  /**
   * Recompute daily_summary from query_metrics (for rows written by other tools, e.g. the
   * original Python scripts). Runs in one write transaction; returns the number of days.
   */
  rebuildDailySummary(): number {
    const db = this.file.db;
    const select = this.file.prepare(db.selectFrom('query_metrics').select(INSERT_COLUMNS).orderBy('id'));
    const updatedAt = this.clock.now().toISOString();
    try {
      return this.file.writeTransaction(() => {
        this.file.runNow(db.deleteFrom('daily_summary'));
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
    const compiled = this.file.db.insertInto('query_metrics').values(values as never).compile();
    // The tuple order of QueryRow must be the parameter order kysely emitted.
    if (compiled.parameters.join('|') !== INSERT_COLUMNS.map((c) => `\u0000${c}`).join('|')) {
      throw new Error('query_metrics insert: parameter order differs from INSERT_COLUMNS');
    }
    return this.file.handle.prepare(compiled.sql);
  }

  private prepareUpsert(): BetterSqlite3.Statement {
    const columns = summaryColumns();
    const values = Object.fromEntries(columns.map((c) => [c, `\u0000${c}`]));
    const compiled = this.file.db
      .insertInto('daily_summary')
      .values(values as never)
      .onConflict((oc) =>
        oc.column('day').doUpdateSet((eb) => ({
          ...Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, eb(`daily_summary.${c}`, '+', eb.ref(`excluded.${c}`))])),
          latency_max_ms: eb.fn('max', [eb.ref('daily_summary.latency_max_ms'), eb.ref('excluded.latency_max_ms')]),
          latency_histogram: eb.ref('excluded.latency_histogram'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .compile();
    if (compiled.parameters.join('|') !== columns.map((c) => `\u0000${c}`).join('|')) {
      throw new Error('daily_summary upsert: parameter order differs from summaryColumns()');
    }
    return this.file.handle.prepare(compiled.sql);
  }
}

function summaryColumns(): (keyof DailySummaryTable)[] {
  return ['day', ...ROLLUP_COUNTERS, 'latency_max_ms', 'latency_histogram', 'updated_at'];
}

function summaryParams(row: DailySummaryTable): unknown[] {
  return summaryColumns().map((c) => row[c]);
}
