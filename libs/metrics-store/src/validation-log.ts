import { randomUUID } from 'node:crypto';
import { type Clock, InputError } from '@web4/core';
import type { Compilable, Selectable } from 'kysely';
import { latestValidationsQuery, validationBeforeQuery, validationsSinceQuery } from './records-queries.js';
import type { MetricsDatabase, ValidationsTable } from './schema/metrics-database.js';
import type { SqliteFile } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';

export interface ValidationResult {
  model: string;
  passed: boolean;
  totalCases: number;
  passedCases: number;
  score?: number | null;
  details?: Record<string, unknown>;
  runAt?: Date;
  /** Registry version that answered (`base` for the base model), when known. */
  modelVersion?: string | null;
  /** Ollama digest of the model asked, when known. */
  modelDigest?: string | null;
}

export interface StoredValidation extends Required<Omit<ValidationResult, 'runAt'>> {
  id: number;
  runAt: string;
}

/** The `validations` table: one row per morning validation of a served model. */
export class ValidationLog {
  constructor(
    private readonly file: SqliteFile<MetricsDatabase>,
    private readonly clock: Clock,
    /** Called after each recorded validation (RecordsPublisher listens through MetricsStore.onChange). */
    private readonly changed: () => void = () => {},
  ) {}

  record(result: ValidationResult): number {
    if (!result.model) throw new InputError('A validation result needs the model it validated.');
    if (!Number.isInteger(result.totalCases) || !Number.isInteger(result.passedCases) || result.passedCases < 0 || result.passedCases > result.totalCases) {
      throw new InputError(`passedCases (${result.passedCases}) must be a whole number between 0 and totalCases (${result.totalCases}).`);
    }
    let id: number;
    try {
      const out = this.file.runNow(
        this.file.db.insertInto('validations').values({
          run_at: (result.runAt ?? this.clock.now()).toISOString(),
          model: result.model,
          passed: result.passed ? 1 : 0,
          score: result.score ?? null,
          total_cases: result.totalCases,
          passed_cases: result.passedCases,
          details: JSON.stringify(result.details ?? {}),
          model_version: result.modelVersion ?? null,
          model_digest: result.modelDigest ?? null,
          uid: randomUUID(),
        }),
      );
      id = Number(out.lastInsertRowid);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'record a validation');
    }
    this.changed();
    return id;
  }

  /** The `limit` validations recorded last, newest first. */
  latest(limit = 10): StoredValidation[] {
    return this.read(latestValidationsQuery(this.file.db, limit)).map(toStored);
  }

  /** Validations run at or after `from`, oldest first. */
  since(from: Date): StoredValidation[] {
    return this.read(validationsSinceQuery(this.file.db, from)).map(toStored);
  }

  /** The newest validation run before `before`, if any. */
  lastBefore(before: Date): StoredValidation | undefined {
    return this.read(validationBeforeQuery(this.file.db, before)).map(toStored)[0];
  }

  private read<R>(query: Compilable<R>): R[] {
    try {
      return this.file.allNow(query);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'read validations');
    }
  }
}

export function toStored(row: Selectable<ValidationsTable>): StoredValidation {
  return {
    id: row.id,
    runAt: row.run_at,
    model: row.model,
    passed: row.passed === 1,
    score: row.score,
    totalCases: row.total_cases,
    passedCases: row.passed_cases,
    details: JSON.parse(row.details) as Record<string, unknown>,
    modelVersion: row.model_version,
    modelDigest: row.model_digest,
  };
}
