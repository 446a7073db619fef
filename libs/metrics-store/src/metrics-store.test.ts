import { FixedClock, InputError } from '@web4/core';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dayStatistics, windowStatistics } from './daily-statistics.js';
import { MetricsStore } from './metrics-store.js';
import { QueryLogger } from './query-logger.js';
import { snapshotRows, tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
let dbPath: string;
beforeEach(() => {
  root = tempRoot();
  dbPath = join(root.dir, 'logs', 'production_metrics.db');
});
afterEach(() => root.cleanup());

/** Feedback counters per day straight from query_metrics, with plain SQL. */
function feedbackBySql(file: string): unknown[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db
      .prepare(
        `select substr(timestamp, 1, 10) as day, sum(user_feedback = 'thumbs_up') as feedback_up, sum(user_feedback = 'thumbs_down') as feedback_down
         from query_metrics group by day order by day`,
      )
      .all();
  } finally {
    db.close();
  }
}
const feedbackOfSummary = (store: MetricsStore): unknown[] =>
  store.summaries('0000-01-01', '9999-12-31').map((r) => ({ day: r.day, feedback_up: r.feedback_up, feedback_down: r.feedback_down }));

describe('MetricsStore: the gateway fields', () => {
  it('round-trips every gateway field through the QueryLogger into query_metrics', () => {
    const logger = QueryLogger.open(dbPath, { clock: new FixedClock('2026-11-25T10:00:00Z'), flushOnExit: false });
    logger.log({
      timestamp: '2026-11-25T09:00:00Z',
      latencyMs: 912.5,
      queryType: 'chat',
      usedTools: true,
      tokensGenerated: 64,
      queryId: '01JDX3Q0A8',
      endpoint: 'chat',
      model: 'web4-agent:latest',
      modelVersion: 'v20261124_220000',
      ttftMs: 143.25,
      tokensIn: 211,
      tokensPerSecond: 21.5,
    });
    logger.log({ timestamp: '2026-11-25T09:00:01Z', latencyMs: 30_000, queryId: '01JDX3Q0A9', endpoint: 'generate', model: 'web4-agent:latest', error: 'Ollama did not answer within 30000 ms', errorKind: 'upstream_timeout' });
    logger.log({ timestamp: '2026-11-25T09:00:02Z', latencyMs: 5 }); // web4 ask style: none of them
    logger.close();
    const rows = snapshotRows(dbPath).query_metrics as Record<string, unknown>[];
    expect(rows.map((r) => [r.query_id, r.endpoint, r.model, r.model_version, r.ttft_ms, r.tokens_in, r.tokens_per_second, r.error_kind, r.tokens_generated, r.category])).toEqual([
      ['01JDX3Q0A8', 'chat', 'web4-agent:latest', 'v20261124_220000', 143.25, 211, 21.5, null, 64, 'tools'],
      ['01JDX3Q0A9', 'generate', 'web4-agent:latest', null, null, null, null, 'upstream_timeout', null, 'pure_trained'],
      [null, null, null, null, null, null, null, null, null, 'pure_trained'],
    ]);
    const store = MetricsStore.open(dbPath);
    expect(store.queriesOfDay('2026-11-25', { errorsOnly: true })).toEqual([expect.objectContaining({ query_id: '01JDX3Q0A9', error_kind: 'upstream_timeout' })]);
    store.close();
  });

  it('hasQuery / setUserFeedback: rate a stored row, replace the rating, false for an unknown id; the day counters follow', () => {
    const store = MetricsStore.open(dbPath);
    const logger = new QueryLogger(store, { flushOnExit: false });
    for (let i = 0; i < 6; i++) logger.log({ timestamp: `2026-11-2${4 + (i % 2)}T10:00:0${i}Z`, latencyMs: 10 + i, queryId: `q${i}`, userFeedback: i === 0 ? 'thumbs_down' : null });
    logger.flush();
    expect(store.hasQuery('q3')).toBe(true);
    expect(store.hasQuery('nope')).toBe(false);

    expect(store.setUserFeedback('q1', 'up')).toBe(true);
    expect(store.setUserFeedback('q2', 'thumbs_down')).toBe(true);
    expect(store.setUserFeedback('q0', 'up')).toBe(true); // down → up: replaced, not added
    expect(store.setUserFeedback('q1', 'up')).toBe(true); // same again: no change
    expect(store.setUserFeedback('missing', 'up')).toBe(false);
    expect(() => store.setUserFeedback('q1', 'meh')).toThrow(InputError);

    const byId = Object.fromEntries((snapshotRows(dbPath).query_metrics as Record<string, unknown>[]).map((r) => [r.query_id, r.user_feedback]));
    expect(byId).toEqual({ q0: 'thumbs_up', q1: 'thumbs_up', q2: 'thumbs_down', q3: null, q4: null, q5: null });
    expect(feedbackOfSummary(store)).toEqual([
      { day: '2026-11-24', feedback_up: 1, feedback_down: 1 },
      { day: '2026-11-25', feedback_up: 1, feedback_down: 0 },
    ]);
    expect(feedbackOfSummary(store)).toEqual(feedbackBySql(dbPath));
    store.rebuildDailySummary();
    expect(feedbackOfSummary(store)).toEqual(feedbackBySql(dbPath));
    logger.close();
    store.close();
  });

  it('QueryLogger.setUserFeedback rates a row that is still queued, and hasQuery sees it', () => {
    const logger = QueryLogger.open(dbPath, { flushIntervalMs: 60_000, flushOnExit: false });
    logger.log({ timestamp: '2026-11-25T10:00:00Z', latencyMs: 10, queryId: 'fresh' });
    expect(logger.pending).toBe(1);
    expect(logger.store.hasQuery('fresh')).toBe(false); // not written yet
    expect(logger.hasQuery('fresh')).toBe(true);
    expect(logger.setUserFeedback('fresh', 'down')).toBe(true);
    expect(logger.setUserFeedback('never-logged', 'down')).toBe(false);
    logger.flush();
    expect(logger.setUserFeedback('fresh', 'up')).toBe(true); // now through the store
    expect(feedbackOfSummary(logger.store)).toEqual([{ day: '2026-11-25', feedback_up: 1, feedback_down: 0 }]);
    expect(feedbackOfSummary(logger.store)).toEqual(feedbackBySql(dbPath));
    logger.close();
  });

  it('skips a row whose query id is already stored, counts it, writes the rows behind it, and keeps the rollup equal to the rows', () => {
    const logger = QueryLogger.open(dbPath, { batchSize: 10, flushOnExit: false });
    logger.log({ timestamp: '2026-11-25T10:00:00Z', latencyMs: 10, queryId: 'dup', tokensIn: 5 });
    logger.flush();
    logger.log({ timestamp: '2026-11-25T10:00:01Z', latencyMs: 999, queryId: 'dup', tokensIn: 7 }); // a caller bug
    logger.log({ timestamp: '2026-11-25T10:00:02Z', latencyMs: 20, queryId: 'other' });
    logger.log({ timestamp: '2026-11-25T10:00:03Z', latencyMs: 30, queryId: 'other' }); // twice in one batch
    logger.log({ timestamp: '2026-11-25T10:00:04Z', latencyMs: 40 });
    logger.flush();
    expect(logger.stats()).toMatchObject({ logged: 5, written: 3, duplicates: 2, pending: 0, failedFlushes: 0 });
    const rows = snapshotRows(dbPath).query_metrics as Record<string, unknown>[];
    expect(rows.map((r) => [r.query_id, r.latency_ms])).toEqual([
      ['dup', 10],
      ['other', 20],
      [null, 40],
    ]);
    expect(logger.store.summaries('2026-11-25', '2026-11-25')[0]).toMatchObject({ total_queries: 3, latency_sum_ms: 70, latency_max_ms: 40, tokens_in_sum: 5 });
    logger.close();
  });

  it('gives per-day TTFT p50/p95, prompt tokens and mean tokens/s from the rollups, null on days without them', () => {
    const logger = QueryLogger.open(dbPath, { flushOnExit: false });
    // Day 1: TTFT 1..100 ms on 100 queries, tokens/s 10 and 30; day 2: web4 ask rows only.
    for (let i = 1; i <= 100; i++) {
      logger.log({ timestamp: `2026-11-24T10:00:00.${String(i).padStart(3, '0')}Z`, latencyMs: 500, queryId: `d1-${i}`, ttftMs: i, tokensIn: 2, tokensPerSecond: i === 1 ? 10 : i === 2 ? 30 : null });
    }
    logger.log({ timestamp: '2026-11-25T10:00:00Z', latencyMs: 500 });
    logger.close();
    const store = MetricsStore.open(dbPath);
    const day1 = dayStatistics(store, '2026-11-24');
    expect(day1.ttft.queries).toBe(100);
    expect(day1.ttft.avgMs).toBeCloseTo(50.5, 9);
    expect(Math.abs(day1.ttft.p50Ms! - 50) / 50).toBeLessThanOrEqual(0.01); // nearest-rank p50 of 1..100 is 50
    expect(Math.abs(day1.ttft.p95Ms! - 95) / 95).toBeLessThanOrEqual(0.01);
    expect(day1.tokensIn).toBe(200);
    expect(day1.avgTokensPerSecond).toBe(20);
    const day2 = dayStatistics(store, '2026-11-25');
    expect(day2).toMatchObject({ queries: 1, ttft: { queries: 0, avgMs: null, p50Ms: null, p95Ms: null }, tokensIn: 0, avgTokensPerSecond: null });
    const window = windowStatistics(store, new Date('2026-11-25T12:00:00Z'), 2);
    expect(window.days.map((d) => d.ttft.queries)).toEqual([100, 0]);
    expect(window.total.ttft.queries).toBe(100);
    expect(window.total.avgTokensPerSecond).toBe(20);
    store.close();
  });
});
