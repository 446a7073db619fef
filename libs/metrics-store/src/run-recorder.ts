import { type Clock, InputError } from '@web4/core';
import type { Compilable, Selectable } from 'kysely';
import { runIdsQuery, runStepsQuery } from './records-queries.js';
import type { MetricsDatabase, RunsTable } from './schema/metrics-database.js';
import type { SqliteFile } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';

export type StepStatus = 'running' | 'done' | 'failed' | 'skipped';
const STATUSES: readonly StepStatus[] = ['running', 'done', 'failed', 'skipped'];

export interface RunStep {
  runId: string;
  step: string;
  status: StepStatus;
  startedAt: string;
  finishedAt: string | null;
  details: Record<string, unknown>;
}

/**
 * The `runs` table: one row per (run, step), written before a step starts and again when it
 * ends, so a run that crashed shows exactly which step was in flight. Starting a step again
 * (a resumed run) updates its row instead of adding one.
 */
export class RunRecorder {
  constructor(
    private readonly file: SqliteFile<MetricsDatabase>,
    private readonly clock: Clock,
    /** Called with the run id after each write (RecordsPublisher listens through MetricsStore.onChange). */
    private readonly changed: (runId: string) => void = () => {},
  ) {}

  start(runId: string, step: string, details: Record<string, unknown> = {}): void {
    checkName(runId, 'runId');
    checkName(step, 'step');
    const now = this.clock.now().toISOString();
    this.write(
      this.file.db
        .insertInto('runs')
        .values({ run_id: runId, step, status: 'running', started_at: now, finished_at: null, details: JSON.stringify(details) })
        .onConflict((oc) =>
          oc.columns(['run_id', 'step']).doUpdateSet({ status: 'running', started_at: now, finished_at: null, details: JSON.stringify(details) }),
        ),
      `record start of ${runId}/${step}`,
    );
    this.changed(runId);
  }

  finish(runId: string, step: string, status: Exclude<StepStatus, 'running'>, details?: Record<string, unknown>): void {
    if (!STATUSES.includes(status) || (status as StepStatus) === 'running') throw new InputError(`A finished step's status is done, failed or skipped, got "${status}".`);
    const existing = this.steps(runId).find((s) => s.step === step);
    if (!existing) throw new InputError(`Step ${step} of run ${runId} was never started; call start() first.`);
    const merged = JSON.stringify({ ...existing.details, ...(details ?? {}) });
    this.write(
      this.file.db
        .updateTable('runs')
        .set({ status, finished_at: this.clock.now().toISOString(), details: merged })
        .where('run_id', '=', runId)
        .where('step', '=', step),
      `record end of ${runId}/${step}`,
    );
    this.changed(runId);
  }

  /** Merge facts into a step's details without changing its status (e.g. the pid of a child it started). */
  note(runId: string, step: string, details: Record<string, unknown>): void {
    const existing = this.steps(runId).find((s) => s.step === step);
    if (!existing) throw new InputError(`Step ${step} of run ${runId} was never started; call start() first.`);
    this.write(
      this.file.db
        .updateTable('runs')
        .set({ details: JSON.stringify({ ...existing.details, ...details }) })
        .where('run_id', '=', runId)
        .where('step', '=', step),
      `record details of ${runId}/${step}`,
    );
    this.changed(runId);
  }

  /** Run ids, newest first (by when their first step was recorded); `prefix` selects a kind of run. */
  runIds(limit = 50, prefix?: string): string[] {
    return this.read(runIdsQuery(this.file.db, limit, prefix)).map((r) => r.run_id);
  }

  /** Steps of one run in the order they started. */
  steps(runId: string): RunStep[] {
    return this.read(runStepsQuery(this.file.db, [runId])).map(toStep);
  }

  /** The most recently started run, or undefined when none was recorded. */
  latestRunId(): string | undefined {
    return this.read(this.file.db.selectFrom('runs').select('run_id').orderBy('id', 'desc').limit(1))[0]?.run_id;
  }

  private write(query: Compilable, action: string): void {
    try {
      this.file.runNow(query);
    } catch (error) {
      throw toStorageError(error, this.file.path, action);
    }
  }

  private read<R>(query: Compilable<R>): R[] {
    try {
      return this.file.allNow(query);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'read runs');
    }
  }
}

export function toStep(row: Selectable<RunsTable>): RunStep {
  return {
    runId: row.run_id,
    step: row.step,
    status: row.status as StepStatus,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

function checkName(value: string, field: string): void {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
    throw new InputError(`${field} must be a non-empty string of at most 200 characters.`, { details: { field } });
  }
}
