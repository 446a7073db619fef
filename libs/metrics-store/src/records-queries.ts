import { sql, type Kysely, type Selectable } from 'kysely';
import type { MetricsDatabase, RunsTable, ValidationsTable } from './schema/metrics-database.js';

/**
 * The statements on the runs and validations tables, written once for both dialects:
 * RunRecorder / ValidationLog run them synchronously on the state root's SQLite file,
 * MetricsReader through kysely's async executor on SQLite or PostgreSQL, and RecordsPublisher
 * writes the published copies with them.
 */

/** Run ids, newest first (by the first id of their rows); `prefix` selects a kind of run. */
export function runIdsQuery(db: Kysely<MetricsDatabase>, limit: number, prefix?: string) {
  let q = db.selectFrom('runs').select((eb) => ['run_id', eb.fn.min('id').as('first')]).groupBy('run_id');
  if (prefix) q = q.where(sql<string>`substr(run_id, 1, ${prefix.length})`, '=', prefix);
  return q.orderBy('first', 'desc').limit(limit);
}

/** The rows of some runs, each run's steps in the order they started. */
export function runStepsQuery(db: Kysely<MetricsDatabase>, runIds: readonly string[]) {
  return db.selectFrom('runs').selectAll().where('run_id', 'in', runIds.length > 0 ? [...runIds] : ['']).orderBy('id');
}

/** The row of one step, written as a whole: a run's step as it stands in the journal. */
export type RunRowValues = Omit<Selectable<RunsTable>, 'id'>;

/**
 * Insert steps, or replace what a step says (status, times, details) when (run_id, step) is
 * there, unless another origin published that row: a row of another state root is left alone
 * (and not counted in the result), one without an origin (carried over by `storage copy`) is
 * taken over.
 */
export function upsertRunStepsQuery(db: Kysely<MetricsDatabase>, rows: readonly RunRowValues[]) {
  return db
    .insertInto('runs')
    .values([...rows])
    .onConflict((oc) =>
      oc
        .columns(['run_id', 'step'])
        .doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          started_at: eb.ref('excluded.started_at'),
          finished_at: eb.ref('excluded.finished_at'),
          details: eb.ref('excluded.details'),
          origin: eb.ref('excluded.origin'),
        }))
        .where((eb) => eb.or([eb('runs.origin', 'is', null), eb('runs.origin', '=', eb.ref('excluded.origin'))])),
    );
}

/** Validations run at or after `from`, oldest first. */
export function validationsSinceQuery(db: Kysely<MetricsDatabase>, from: Date) {
  return db.selectFrom('validations').selectAll().where('run_at', '>=', from.toISOString()).orderBy('run_at').orderBy('id');
}

/** The newest validation run before `before`. */
export function validationBeforeQuery(db: Kysely<MetricsDatabase>, before: Date) {
  return db.selectFrom('validations').selectAll().where('run_at', '<', before.toISOString()).orderBy('run_at', 'desc').orderBy('id', 'desc').limit(1);
}

/** The `limit` validations recorded last, newest first. */
export function latestValidationsQuery(db: Kysely<MetricsDatabase>, limit: number) {
  return db.selectFrom('validations').selectAll().orderBy('id', 'desc').limit(limit);
}

/** A validation row as recorded, without the local id. */
export type ValidationRowValues = Omit<Selectable<ValidationsTable>, 'id'>;

/** Insert validations; a uid already there is left alone (publishing twice changes nothing). */
export function insertValidationsQuery(db: Kysely<MetricsDatabase>, rows: readonly ValidationRowValues[]) {
  return db
    .insertInto('validations')
    .values([...rows])
    .onConflict((oc) => oc.column('uid').doNothing());
}
