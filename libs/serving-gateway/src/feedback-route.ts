import { InputError, type Web4Config } from '@web4/core';
import { parseRating, type FeedbackRecords, type MetricsStore, type PostgresMetricsStore, type QueryLogger } from '@web4/metrics-store';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonObject, readBody } from './body.js';
import { GatewayHttpError, sendJson } from './http-errors.js';
import type { FeedbackEvent } from './types.js';

/**
 * The question and answer of recent queries by id, so that a thumbs up/down stores the texts it
 * is about. Bounded: the oldest entries go first (a Map keeps insertion order).
 */
export class RecentAnswers {
  private readonly entries = new Map<string, { question: string; answer: string }>();

  constructor(private readonly capacity = 10_000) {}

  add(queryId: string, question: string, answer: string): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(queryId, { question, answer });
  }

  get(queryId: string): { question: string; answer: string } | undefined {
    return this.entries.get(queryId);
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface FeedbackRouteDeps {
  config: Web4Config;
  /** The query logger whose rows the ids refer to (flushed before an id is judged unknown); SQLite or PostgreSQL. */
  queryLogger: QueryLogger<MetricsStore | PostgresMetricsStore>;
  /** The feedback records of the same dialect (opened on first use). */
  feedback: () => Promise<FeedbackRecords>;
  recent: RecentAnswers;
  notify(event: FeedbackEvent): void;
}

/**
 * POST /api/feedback `{"query_id": "...", "rating": "up"|"down", "comment"?: "..."}`: the rating
 * goes onto the query's metrics row (user_feedback) and into user_feedback.db, one row per query
 * id (a second call replaces the first). 404 for an id no query has, 400 for a bad rating.
 */
export async function serveFeedback(req: IncomingMessage, res: ServerResponse, deps: FeedbackRouteDeps): Promise<void> {
  const body = parseJsonObject(await readBody(req, deps.config.gateway.maxBodyBytes), 'POST /api/feedback');
  const queryId = body.query_id;
  if (typeof queryId !== 'string' || queryId === '' || queryId.length > 200) {
    throw new GatewayHttpError(400, 'bad_request', '"query_id" must be the query id of an answer (its x-web4-query-id header, or web4_query_id in its last JSON object).');
  }
  let rating;
  try {
    rating = parseRating(body.rating);
  } catch {
    throw new GatewayHttpError(400, 'bad_request', `"rating" must be "up" or "down", got ${JSON.stringify(body.rating ?? null)}.`);
  }
  if (body.comment !== undefined && body.comment !== null && typeof body.comment !== 'string') {
    throw new GatewayHttpError(400, 'bad_request', '"comment" must be a string when given.');
  }
  const comment = typeof body.comment === 'string' && body.comment.trim() !== '' ? body.comment : null;
  // A query answered a moment ago may still be queued in the logger: write it first.
  await deps.queryLogger.flushAsync();
  if (!(await deps.queryLogger.hasQueryAsync(queryId))) {
    throw new GatewayHttpError(404, 'bad_request', `No query with id "${queryId}" was recorded. Rate the id returned with an answer of this gateway (header x-web4-query-id).`);
  }
  const texts = deps.recent.get(queryId);
  let stored;
  try {
    await deps.queryLogger.setUserFeedbackAsync(queryId, rating);
    stored = await (await deps.feedback()).rateQuery({ queryId, rating, comment, ...(texts ? { query: texts.question, response: texts.answer } : {}) });
  } catch (error) {
    if (error instanceof InputError) throw new GatewayHttpError(400, 'bad_request', error.message);
    throw error;
  }
  deps.notify({ queryId, rating, replaced: stored.replaced });
  sendJson(res, 200, { query_id: queryId, rating: rating === 'thumbs_up' ? 'up' : 'down', replaced: stored.replaced, feedback_id: stored.id });
}
