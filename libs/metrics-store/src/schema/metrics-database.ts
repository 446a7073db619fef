import type { ColumnType, Generated } from 'kysely';
import type { SchemaMigrationsTable } from '@web4/storage';

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
  model_versions: ModelVersionsTable;
  model_tags: ModelTagsTable;
  model_events: ModelEventsTable;
  ollama_names: OllamaNamesTable;
  run_locks: RunLocksTable;
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
  // Migration 8: what the gateway measures per call. Null for rows of other writers (web4 ask,
  // imported Python rows) and for rows written before migration 8.
  /** The gateway's id of the call (unique where set): feedback finds its row by it. */
  query_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Which API was called: chat, generate, openai_chat. */
  endpoint: ColumnType<string | null, string | null | undefined, string | null>;
  /** The model that answered (after aliases) and the registry version it was (`base` …). */
  model: ColumnType<string | null, string | null | undefined, string | null>;
  model_version: ColumnType<string | null, string | null | undefined, string | null>;
  /** Time to the first generated token (ms), measured by the caller. */
  ttft_ms: ColumnType<number | null, number | null | undefined, number | null>;
  /** Prompt tokens as the model server counted them. */
  tokens_in: ColumnType<number | null, number | null | undefined, number | null>;
  /** Generated tokens per second of generation. */
  tokens_per_second: ColumnType<number | null, number | null | undefined, number | null>;
  /** A bounded kind of failure (e.g. upstream_timeout), beside the free-text `error`. */
  error_kind: ColumnType<string | null, string | null | undefined, string | null>;
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
  // Migration 8 (0 / '{}' for days before it): rows with a ttft_ms, their sum and histogram
  // (same buckets as latency_histogram); prompt tokens; rows with tokens_per_second and its sum.
  ttft_count: number;
  ttft_sum_ms: number;
  ttft_histogram: string;
  tokens_in_sum: number;
  tokens_per_second_count: number;
  tokens_per_second_sum: number;
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
  /** The state root that published the row into a shared database (migration 9); null in the state root's own file. */
  origin: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** Registry version that answered (`base`: the base model); null when unknown (before migration 7). */
  model_version: ColumnType<string | null, string | null | undefined, string | null>;
  /** Ollama digest of the model asked. */
  model_digest: ColumnType<string | null, string | null | undefined, string | null>;
  /** A random UUID made where the check ran (migration 9): what publishing to PostgreSQL keys on; null for older rows until published. */
  uid: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Every adapter the nightly loop trained (libs/rollback's registry): one immutable version each. */
export interface ModelVersionsTable {
  /** `v<YYYYMMDD_HHMMSS>` of the run that trained it. */
  version: string;
  /** Its folder: outputs/web4_balanced_lora_<stamp> (adapter/, model/, manifest.json). */
  dir: string;
  created_at: string;
  run_id: string | null;
  /** The version it continued from; `base` for a LoRA started on the base model. */
  parent_version: string | null;
  /** trained | promoted | rejected | rolled_back */
  state: string;
  /** Why it was rejected or rolled back. */
  reason: string | null;
  samples: number;
  train_loss: number | null;
  /** JSON: the gate results (canaries, regressions, loss gate). */
  gates: string | null;
  /** JSON: facts from the manifest and the run (steps, tokens, runtime, replayed PDCAs …). */
  details: ColumnType<string, string | undefined, string>;
  /** Its own immutable Ollama name (web4-agent:v20261125-220000); the moving tags are copies. */
  ollama_name: string;
  manifest_sha256: string;
  promoted_at: string | null;
}

/** Which version each serving tag holds: latest (production), previous, candidate. `base` = the base model. */
export interface ModelTagsTable {
  tag: string;
  version: string;
  updated_at: string;
}

/** An Ollama name this state root wrote, and the digest of the model it put there. */
export interface OllamaNamesTable {
  name: string;
  digest: string;
  updated_at: string;
}

/** Promotions, rejections and rollbacks, in order: who held production when, and why it changed. */
export interface ModelEventsTable {
  id: Generated<number>;
  at: string;
  /** registered | promoted | rejected | rolled_back | restored */
  action: string;
  version: string;
  from_version: string | null;
  run_id: string | null;
  reason: string | null;
}

/** One row per held lock (the nightly loop's): the holder's pid, its start time and host. */
export interface RunLocksTable {
  name: string;
  pid: number;
  /** The process's start time (/proc/<pid>/stat), so a reused pid does not keep a dead holder's lock. */
  pid_start: string | null;
  host: string;
  /** What holds it, e.g. `evening run night_20261125_220000`. */
  owner: string;
  acquired_at: string;
}

/** The migration bookkeeping table, the same in every database: defined in @web4/storage. */
export type { SchemaMigrationsTable };
