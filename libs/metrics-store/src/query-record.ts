import { InputError } from '@web4/core';
import { categorize, type QueryCategory } from './query-category.js';
import type { Rating } from './schema/feedback-database.js';

/** What the serving path reports about one query. */
export interface QueryRecord {
  /** When the query was answered; default: the logger's clock. */
  timestamp?: Date | string;
  /** Kind of request (e.g. `code_generation`); default `general`. */
  queryType?: string;
  latencyMs: number;
  usedHistory?: boolean;
  usedTools?: boolean;
  usedTrainai?: boolean;
  usedGraph?: boolean;
  tokensGenerated?: number | null;
  userFeedback?: Rating | null;
  /** Set when the query failed. */
  error?: string | null;
  /** What was known when it failed (stored as JSON). */
  errorContext?: Record<string, unknown> | null;
  // What the gateway measures per call (all optional; null when unknown).
  /** The caller's id of this query, unique across the database (feedback finds the row by it). */
  queryId?: string | null;
  /** The API that was called (e.g. `chat`, `generate`, `openai_chat`). */
  endpoint?: string | null;
  /** The model that answered, and its registry version (`base` before the first promotion). */
  model?: string | null;
  modelVersion?: string | null;
  /** Time to the first generated token (ms). */
  ttftMs?: number | null;
  /** Prompt tokens, as the model server counted them. */
  tokensIn?: number | null;
  /** Generated tokens per second of generation. */
  tokensPerSecond?: number | null;
  /** A bounded kind of failure (e.g. `upstream_timeout`), beside the free-text `error`. */
  errorKind?: string | null;
}

/**
 * A validated record in the column order of INSERT_COLUMNS, ready for the prepared insert.
 * A tuple rather than an object: the hot path builds millions of them.
 */
export type QueryRow = [
  timestamp: string,
  queryType: string,
  category: QueryCategory,
  latencyMs: number,
  usedHistory: 0 | 1,
  usedTools: 0 | 1,
  usedTrainai: 0 | 1,
  usedGraph: 0 | 1,
  tokensGenerated: number | null,
  userFeedback: Rating | null,
  error: string | null,
  errorContext: string | null,
  queryId: string | null,
  endpoint: string | null,
  model: string | null,
  modelVersion: string | null,
  ttftMs: number | null,
  tokensIn: number | null,
  tokensPerSecond: number | null,
  errorKind: string | null,
];

export const INSERT_COLUMNS = [
  'timestamp',
  'query_type',
  'category',
  'latency_ms',
  'used_history',
  'used_tools',
  'used_trainai',
  'used_graph',
  'tokens_generated',
  'user_feedback',
  'error',
  'error_context',
  'query_id',
  'endpoint',
  'model',
  'model_version',
  'ttft_ms',
  'tokens_in',
  'tokens_per_second',
  'error_kind',
] as const;

const MAX_QUERY_TYPE_CHARS = 200;
/** Longest query id, endpoint, model name, model version or error kind accepted. */
export const MAX_NAME_CHARS = 200;

/**
 * Check a record and turn it into a row. Cheap on purpose (it runs on the caller's thread):
 * type and range checks only. Throws InputError naming the field and what is allowed.
 */
export function toQueryRow(record: QueryRecord, now: () => Date, maxTextBytes: number): QueryRow {
  if (record === null || typeof record !== 'object') throw new InputError('A query record must be an object with at least latencyMs.');
  const latency = record.latencyMs;
  if (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0) {
    throw new InputError(`latencyMs must be a finite number of milliseconds ≥ 0, got ${String(latency)}.`, {
      hint: 'Measure latency as end minus start of the request (performance.now()), never negative.',
      details: { field: 'latencyMs' },
    });
  }
  const timestamp = toIsoTimestamp(record.timestamp, now);
  const queryType = record.queryType ?? 'general';
  if (typeof queryType !== 'string' || queryType.length === 0 || queryType.length > MAX_QUERY_TYPE_CHARS) {
    throw new InputError(`queryType must be a non-empty string of at most ${MAX_QUERY_TYPE_CHARS} characters.`, { details: { field: 'queryType' } });
  }
  const tokens = record.tokensGenerated ?? null;
  if (tokens !== null && (!Number.isInteger(tokens) || tokens < 0 || tokens > MAX_TOKENS)) {
    throw new InputError(`tokensGenerated must be a whole number from 0 to ${MAX_TOKENS}, got ${String(tokens)}.`, { details: { field: 'tokensGenerated' } });
  }
  const feedback = record.userFeedback ?? null;
  if (feedback !== null && feedback !== 'thumbs_up' && feedback !== 'thumbs_down') {
    throw new InputError(`userFeedback must be "thumbs_up", "thumbs_down" or null, got "${String(feedback)}".`, { details: { field: 'userFeedback' } });
  }
  const error = record.error ?? null;
  if (error !== null) checkText(error, 'error', maxTextBytes);
  let context: string | null = null;
  if (record.errorContext !== undefined && record.errorContext !== null) {
    context = JSON.stringify(record.errorContext);
    checkText(context, 'errorContext', maxTextBytes);
  }
  const queryId = optionalName(record.queryId, 'queryId');
  const endpoint = optionalName(record.endpoint, 'endpoint');
  const model = optionalName(record.model, 'model');
  const modelVersion = optionalName(record.modelVersion, 'modelVersion');
  const errorKind = optionalName(record.errorKind, 'errorKind');
  const ttftMs = optionalAmount(record.ttftMs, 'ttftMs', false);
  const tokensIn = optionalAmount(record.tokensIn, 'tokensIn', true);
  const tokensPerSecond = optionalAmount(record.tokensPerSecond, 'tokensPerSecond', false);
  return [
    timestamp,
    queryType,
    categorize(record),
    latency,
    record.usedHistory ? 1 : 0,
    record.usedTools ? 1 : 0,
    record.usedTrainai ? 1 : 0,
    record.usedGraph ? 1 : 0,
    tokens,
    feedback,
    error,
    context,
    queryId,
    endpoint,
    model,
    modelVersion,
    ttftMs,
    tokensIn,
    tokensPerSecond,
    errorKind,
  ];
}

/** An optional short name: undefined/null → null; else a non-empty string of at most MAX_NAME_CHARS. */
function optionalName(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_CHARS) {
    throw new InputError(`${field} must be a non-empty string of at most ${MAX_NAME_CHARS} characters, got ${describe(value)}.`, {
      hint: `Leave ${field} out (or null) when it is not known.`,
      details: { field },
    });
  }
  return value;
}

/** An optional amount: undefined/null → null; else a finite number ≥ 0 (a whole number when `whole`). */
/**
 * The most tokens one call may count: a 4-byte integer column on PostgreSQL (SQLite would store
 * more), so that both dialects take the same rows. No model answers or reads 2 billion tokens.
 */
export const MAX_TOKENS = 2_147_483_647;

function optionalAmount(value: unknown, field: string, whole: boolean): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value)) || (whole && value > MAX_TOKENS)) {
    throw new InputError(`${field} must be ${whole ? `a whole number from 0 to ${MAX_TOKENS}` : 'a finite number ≥ 0'}, got ${describe(value)}.`, {
      hint: `Leave ${field} out (or null) when it is not known.`,
      details: { field },
    });
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
  return typeof value === 'number' ? String(value) : typeof value;
}

function toIsoTimestamp(value: Date | string | undefined, now: () => Date): string {
  if (value === undefined) return isoTimestamp(now().getTime());
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  const ms = date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InputError(`timestamp "${String(value)}" does not parse as a date.`, {
      hint: 'Give an ISO 8601 instant such as 2026-11-25T08:15:00Z, a Date, or leave it out for "now".',
      details: { field: 'timestamp' },
    });
  }
  return isoTimestamp(ms);
}

// Date#toISOString costs about half a microsecond, the largest part of log(). Queries come in
// bursts within the same second, so the "YYYY-MM-DDTHH:MM:SS." part is cached for one second.
let cachedSecond = Number.NaN;
let cachedPrefix = '';
const YEAR_10000 = 253_402_300_800_000;

/** `Date#toISOString()` of an epoch-ms instant, faster for instants within the same second. */
export function isoTimestamp(ms: number): string {
  if (ms < 0 || ms >= YEAR_10000) return new Date(ms).toISOString(); // 6-digit years: no cache
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const frac = ms - second * 1000;
  return cachedPrefix + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac + 'Z';
}

/** Reject text over the byte limit; the length test first, so short strings cost nothing. */
export function checkText(text: unknown, field: string, maxBytes: number): string {
  if (typeof text !== 'string') throw new InputError(`${field} must be text, got ${typeof text}.`, { details: { field } });
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new InputError(`${field} is ${formatBytes(bytes)}, over the limit of ${formatBytes(maxBytes)}.`, {
        hint: `Shorten ${field}, or raise monitoring.maxTextBytes in web4.config.json if such texts are expected.`,
        details: { field, bytes, maxBytes },
      });
    }
  }
  return text;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
