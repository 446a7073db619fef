import type { ColumnType, Generated } from 'kysely';

/**
 * The schema of `logs/production_metrics.db`, as one typed interface: a column name that is
 * misspelled anywhere in the lib fails to compile. Numbered migrations in
 * `migrations/metrics/` create exactly these tables.
 */
export interface MetricsDatabase {
  query_metrics: QueryMetricsTable;
  daily_summary: DailySummaryTable;
  runs: RunsTable;
  validations: ValidationsTable;
  schema_migrations: SchemaMigrationsTable;
}

/** SQLite has no boolean: 0/1. */
export type Flag = 0 | 1;

export interface QueryMetricsTable {
  id: Generated<number>;
  /** ISO 8601 in UTC, e.g. 2026-11-25T08:15:00.000Z. */
  timestamp: string;
  /** Free-form kind of request from the caller (e.g. `code_generation`, `chat`). */
  query_type: string;
  /** One of the six DESIGN.md categories, derived from the four flags on write. */
  category: string;
  latency_ms: number;
  used_history: Flag;
  used_tools: Flag;
  used_trainai: Flag;
  used_graph: Flag;
  tokens_generated: number | null;
  /** `thumbs_up`, `thumbs_down` or null when the user gave none. */
  user_feedback: string | null;
  /** Error message when the query failed; null on success. */
  error: string | null;
  /** JSON object with what was known when it failed (model, tier, stage …). */
  error_context: string | null;
}

/**
 * One row per UTC day, kept current on every write so that reports never scan query_metrics.
 * `latency_histogram` is a sparse JSON object bucket-index → count (see latency-histogram.ts).
 */
export interface DailySummaryTable {
  /** YYYY-MM-DD (UTC). */
  day: string;
  total_queries: number;
  error_count: number;
  latency_sum_ms: number;
  latency_max_ms: number;
  latency_histogram: string;
  tokens_generated_sum: number;
  used_history: number;
  used_tools: number;
  used_trainai: number;
  used_graph: number;
  cat_pure_trained: number;
  cat_tools: number;
  cat_history: number;
  cat_trainai: number;
  cat_graph: number;
  cat_multiple: number;
  feedback_up: number;
  feedback_down: number;
  updated_at: string;
}

/** One row per step of a nightly run (evening-loop): written before and after the step. */
export interface RunsTable {
  id: Generated<number>;
  run_id: string;
  step: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  /** JSON object. */
  details: ColumnType<string, string | undefined, string>;
}

/** Results of the morning validation (validator app). */
export interface ValidationsTable {
  id: Generated<number>;
  run_at: string;
  model: string;
  passed: Flag;
  score: number | null;
  total_cases: number;
  passed_cases: number;
  /** JSON object with per-case results. */
  details: ColumnType<string, string | undefined, string>;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}
