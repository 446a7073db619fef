import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Web4Config } from '@web4/core';
import { PostgresDatabase, redactUrl, storageTarget, toPostgresError } from '@web4/storage';
import type { Kysely, Selectable } from 'kysely';
import type { MetricsStore } from './metrics-store.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { insertValidationsQuery, runStepsQuery, upsertRunStepsQuery, type RunRowValues, type ValidationRowValues } from './records-queries.js';
import type { MetricsDatabase, RunsTable, ValidationsTable } from './schema/metrics-database.js';

/** Where the publisher reports: a pino Logger, or a job's own log (the nightly loop's EveningLog: its file and terminal). */
export interface PublisherLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const silent: PublisherLog = { info: () => {}, warn: () => {}, error: () => {} };

/** Rows per statement (PostgreSQL takes at most 65,535 parameters; a runs row has 6, a validation 11). */
const CHUNK = 1000;

export interface PublishResult {
  /** Run-journal rows written (new, or changed since they were last published). */
  runs: number;
  /** Validations written (new to the database). */
  validations: number;
}

/**
 * Publishes a state root's run journal (`runs`) and morning checks (`validations`) into the
 * PostgreSQL database of `storage.url`, where every machine's dashboard, `/metrics`,
 * `web4 evening history` and `web4 validate --history` read them (MetricsReader).
 *
 * The nightly loop and the morning check keep writing their SQLite file first, synchronously:
 * the journal is what a crashed night resumes from, and a night must not stop because the
 * shared database is unreachable. Each write is published within moments (the store tells the
 * publisher through MetricsStore.onChange; publishing runs in the background, one at a time).
 * A publish that fails is logged once and retried at the next write, and `close()` tries once
 * more; nothing is lost, since the rows stay in the file and the first publish of every process
 * reconciles the whole file with the database. Idempotent: run steps are upserted by
 * (run_id, step), validations inserted by their uid.
 *
 * One nightly loop per database: a run id that another state root published (two training
 * machines whose nights started in the same second) is not overwritten; the publisher logs an
 * error naming both and leaves that run in its own file.
 */
export class RecordsPublisher {
  private database: Promise<PostgresDatabase<MetricsDatabase>> | undefined;
  private readonly touchedRuns = new Set<string>();
  private validationsChanged = false;
  private reconciled = false;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private failing = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Runs another state root published under the same id (told once, then left alone). */
  private readonly conflicts = new Set<string>();
  /** This state root, as the rows it publishes name it: host and file. */
  readonly origin: string;
  /** The error of the last publish that failed (cleared by one that succeeds). */
  lastError: unknown;

  constructor(
    private readonly store: MetricsStore,
    readonly url: string,
    private readonly logger: PublisherLog = silent,
  ) {
    this.origin = `${hostname()}:${resolve(store.path)}`;
    this.unsubscribe = store.onChange((change) => {
      if (change.kind === 'run') this.touchedRuns.add(change.runId);
      else this.validationsChanged = true;
      this.schedule();
    });
  }

  /** A publisher when storage.url names PostgreSQL; undefined for the SQLite default (nothing to publish). */
  static forConfig(config: Pick<Web4Config, 'storage'>, store: MetricsStore, logger?: PublisherLog): RecordsPublisher | undefined {
    const target = storageTarget(config);
    return target.dialect === 'postgres' ? new RecordsPublisher(store, target.url, logger) : undefined;
  }

  /** Publish in the background (coalesced: one publish at a time, one more if rows changed meanwhile). Never throws. */
  schedule(): void {
    if (this.closed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.drain().finally(() => (this.inFlight = undefined));
  }

  /** Resolves when no publish is in flight (the writes so far are published, or their publish failed). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.publishNow();
      } catch {
        return; // logged by publishNow; the next write or close() retries
      }
    } while (this.again);
  }

  /** Publish what is not in the database yet, now. Throws (a ConfigError naming storage.url) when PostgreSQL cannot take it. */
  async publishNow(): Promise<PublishResult> {
    const runIds = [...this.touchedRuns];
    const full = !this.reconciled;
    const validations = full || this.validationsChanged;
    this.touchedRuns.clear();
    this.validationsChanged = false;
    try {
      const db = (await this.connect()).db;
      const result = { runs: full ? await this.reconcileRuns(db) : await this.publishRuns(db, runIds), validations: validations ? await this.publishValidations(db) : 0 };
      this.reconciled = true;
      if (this.failing) this.logger.info(`Published the run journal and morning checks to ${this.displayUrl} again.`);
      this.failing = false;
      this.lastError = undefined;
      return result;
    } catch (error) {
      for (const id of runIds) this.touchedRuns.add(id);
      if (validations) this.validationsChanged = true;
      const failure = toPostgresError(error, this.url, 'publish the run journal and morning checks');
      this.lastError = failure;
      if (!this.failing) {
        this.logger.warn(
          `Could not publish the run journal and morning checks to PostgreSQL: ${(failure as Error).message} They stay in ${this.store.path}; the next write, or the next job that writes, publishes them.`,
        );
      }
      this.failing = true;
      throw failure;
    }
  }

  /** Wait for the publish in flight, try once more if anything written is left unpublished, and disconnect. Never throws. */
  async close(): Promise<PublishResult | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    this.unsubscribe();
    await this.inFlight;
    let result: PublishResult | undefined;
    if (this.touchedRuns.size > 0 || this.validationsChanged) {
      result = await this.publishNow().catch(() => undefined);
    }
    const database = this.database;
    this.database = undefined;
    await (await database?.catch(() => undefined))?.destroy();
    return result;
  }

  private get displayUrl(): string {
    return redactUrl(this.url);
  }

  private connect(): Promise<PostgresDatabase<MetricsDatabase>> {
    this.database ??= PostgresDatabase.open<MetricsDatabase>(this.url, metricsMigrations, { schema: 'metrics', label: 'metrics', poolMax: 1 }).catch((error: unknown) => {
      this.database = undefined;
      throw error;
    });
    return this.database;
  }

  /** Every step of the runs just written, as the file has them now. */
  private async publishRuns(db: Kysely<MetricsDatabase>, runIds: readonly string[]): Promise<number> {
    const ids = runIds.filter((id) => !this.conflicts.has(id));
    if (ids.length === 0) return 0;
    return this.upsertRuns(db, this.store.file.allNow(runStepsQuery(this.store.file.db, ids)).map((r) => this.runValues(r)));
  }

  /** The whole journal against the database: rows missing there or different are written, in the file's order. */
  private async reconcileRuns(db: Kysely<MetricsDatabase>): Promise<number> {
    const local = this.store.file.allNow(this.store.file.db.selectFrom('runs').selectAll().orderBy('id')).map((r) => this.runValues(r));
    const stored = new Map<string, string>();
    const ids = [...new Set(local.map((r) => r.run_id))];
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const r of await runStepsQuery(db, ids.slice(i, i + CHUNK)).execute()) stored.set(runKey(r), runFingerprint(r));
    }
    return this.upsertRuns(
      db,
      local.filter((r) => !this.conflicts.has(r.run_id) && stored.get(runKey(r)) !== runFingerprint(r)),
    );
  }

  /**
   * Upsert in one transaction. A run of which the database holds rows another state root
   * published is left out whole (and reported once); the statement's own guard covers a race
   * with that other publisher.
   */
  private async upsertRuns(db: Kysely<MetricsDatabase>, rows: readonly RunRowValues[]): Promise<number> {
    const ids = [...new Set(rows.map((r) => r.run_id))];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const foreign = await db
        .selectFrom('runs')
        .select(['run_id', 'origin'])
        .distinct()
        .where('run_id', 'in', ids.slice(i, i + CHUNK))
        .where('origin', 'is not', null)
        .where('origin', '<>', this.origin)
        .execute();
      for (const f of foreign) {
        if (this.conflicts.has(f.run_id)) continue;
        this.conflicts.add(f.run_id);
        this.logger.error(
          `Run ${f.run_id} was already published to ${this.displayUrl} by ${f.origin}; this state root's run of the same id (${this.origin}) stays in its own file only. ` +
            'Run one nightly loop per database (or give each training machine its own storage.url).',
        );
      }
    }
    const mine = rows.filter((r) => !this.conflicts.has(r.run_id));
    if (mine.length === 0) return 0;
    let written = 0;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < mine.length; i += CHUNK) {
        const out = await upsertRunStepsQuery(trx, mine.slice(i, i + CHUNK)).executeTakeFirst();
        written += Number(out.numInsertedOrUpdatedRows ?? 0);
      }
    });
    return written;
  }

  private runValues(r: Selectable<RunsTable>): RunRowValues {
    return { run_id: r.run_id, step: r.step, status: r.status, started_at: r.started_at, finished_at: r.finished_at, details: r.details, origin: this.origin };
  }

  /**
   * The file's validations whose uid the database lacks. A row from before uids (migration 9) gets
   * one in the file first; if `web4 storage copy` already carried it over (without a uid), the
   * copy there takes the same uid instead of a second row being added.
   */
  private async publishValidations(db: Kysely<MetricsDatabase>): Promise<number> {
    const file = this.store.file;
    for (const row of file.allNow(file.db.selectFrom('validations').select('id').where('uid', 'is', null))) {
      file.runNow(file.db.updateTable('validations').set({ uid: randomUUID() }).where('id', '=', row.id).where('uid', 'is', null));
    }
    const local = file.allNow(file.db.selectFrom('validations').selectAll().orderBy('id'));
    const present = new Set<string>();
    for (let i = 0; i < local.length; i += CHUNK) {
      const uids = local.slice(i, i + CHUNK).map((r) => r.uid!);
      for (const r of await db.selectFrom('validations').select('uid').where('uid', 'in', uids).execute()) present.add(r.uid!);
    }
    const missing = local.filter((r) => !present.has(r.uid!)).map(validationValues);
    if (missing.length === 0) return 0;
    let inserted = 0;
    await db.transaction().execute(async (trx) => {
      const fresh: ValidationRowValues[] = [];
      for (const v of missing) {
        const adopted = await trx
          .updateTable('validations')
          .set({ uid: v.uid })
          .where('id', '=', (eb) => eb.selectFrom('validations').select((s) => s.fn.min('id').as('id')).where('uid', 'is', null).where('run_at', '=', v.run_at).where('model', '=', v.model))
          .executeTakeFirst();
        if (Number(adopted.numUpdatedRows) === 0) fresh.push(v);
      }
      for (let i = 0; i < fresh.length; i += CHUNK) {
        const out = await insertValidationsQuery(trx, fresh.slice(i, i + CHUNK)).executeTakeFirst();
        inserted += Number(out.numInsertedOrUpdatedRows ?? 0);
      }
    });
    return inserted;
  }
}

const runKey = (r: Pick<RunRowValues, 'run_id' | 'step'>) => `${r.run_id}\u0000${r.step}`;
const runFingerprint = (r: Pick<RunRowValues, 'status' | 'started_at' | 'finished_at' | 'details'>) => JSON.stringify([r.status, r.started_at, r.finished_at, r.details]);

function validationValues(r: Selectable<ValidationsTable>): ValidationRowValues {
  const { id: _id, ...values } = r;
  return values;
}
