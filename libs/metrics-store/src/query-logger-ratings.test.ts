import { FixedClock } from '@web4/core';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedbackStore } from './feedback-store.js';
import { MetricsStore } from './metrics-store.js';
import { QueryLogger } from './query-logger.js';
import { tempRoot } from './test-fixtures/snapshot.js';

/**
 * A rating given while its query's row is still queued in the QueryLogger goes onto that queued
 * row. When the row then turns out to be a duplicate (its query id already stored, or queued
 * twice), the row is not written: the rating must reach the stored row all the same.
 */
let root: ReturnType<typeof tempRoot>;
let dbPath: string;
const clock = new FixedClock('2026-11-25T10:00:00Z');
beforeEach(() => {
  root = tempRoot('web4-ratings-');
  dbPath = join(root.dir, 'logs', 'production_metrics.db');
});
afterEach(() => root.cleanup());

/** The stored rows of a query id and its day's feedback counters, read with plain SQL. */
function stored(queryId: string): { ratings: unknown[]; counters: unknown } {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return {
      ratings: db.prepare('select user_feedback from query_metrics where query_id = ? order by id').all(queryId).map((r) => (r as { user_feedback: unknown }).user_feedback),
      counters: db.prepare("select feedback_up, feedback_down from daily_summary where day = '2026-11-24'").get(),
    };
  } finally {
    db.close();
  }
}

const query = (queryId: string, latencyMs = 100) => ({ timestamp: '2026-11-24T08:00:00Z', latencyMs, queryId, endpoint: 'chat' });

describe('QueryLogger: a rating of a queued row that turns out to be a duplicate', () => {
  it('its query id already stored: the rating goes onto the stored row and its day counters (as FeedbackStore.rateQuery keeps its own row)', () => {
    const logger = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    const feedback = FeedbackStore.open(join(root.dir, 'logs', 'user_feedback.db'), { clock });
    logger.log(query('q-1'));
    logger.flush();
    // The same call logged again (a retry): queued, and a duplicate once written.
    logger.log(query('q-1', 250));
    expect(logger.pending).toBe(1);
    expect(logger.setUserFeedback('q-1', 'down')).toBe(true);
    feedback.rateQuery({ queryId: 'q-1', rating: 'down' });
    logger.flush();
    expect(logger.stats()).toMatchObject({ written: 1, duplicates: 1, pending: 0 });
    expect(stored('q-1')).toEqual({ ratings: ['thumbs_down'], counters: { feedback_up: 0, feedback_down: 1 } });
    expect(feedback.ratingOf('q-1')).toMatchObject({ rating: 'thumbs_down' });
    logger.close();
    feedback.close();
  });

  it('the same id queued twice: the rating given to the newest (the duplicate) reaches the stored row, on close too; a later rating replaces it', async () => {
    const logger = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    logger.log(query('q-2'));
    logger.log(query('q-2', 300));
    expect(await logger.setUserFeedbackAsync('q-2', 'up')).toBe(true);
    logger.close();
    expect(stored('q-2')).toEqual({ ratings: ['thumbs_up'], counters: { feedback_up: 1, feedback_down: 0 } });

    const again = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    again.log(query('q-2', 400));
    expect(again.setUserFeedback('q-2', 'up')).toBe(true);
    // Rated twice while queued: the newest rating is the one that stays.
    expect(again.setUserFeedback('q-2', 'down')).toBe(true);
    again.flush();
    expect(stored('q-2')).toEqual({ ratings: ['thumbs_down'], counters: { feedback_up: 0, feedback_down: 1 } });
    again.close();
  });

  it('stored by another writer after the rating, before the batch: the rating still reaches the stored row', () => {
    const logger = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    logger.log(query('q-3'));
    expect(logger.setUserFeedback('q-3', 'up')).toBe(true);
    // Another process (a second gateway, `monitor import`) stores the same id first.
    const other = QueryLogger.open(dbPath, { clock, flushOnExit: false });
    other.log(query('q-3', 900));
    other.close();
    expect(stored('q-3').ratings).toEqual([null]);
    logger.flush();
    expect(stored('q-3')).toEqual({ ratings: ['thumbs_up'], counters: { feedback_up: 1, feedback_down: 0 } });
    logger.close();
  });

  it('a rating the database refuses right after the batch is held, not lost: flush() and close() report it, a later flush sets it', () => {
    const logger = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    logger.log(query('q-4'));
    logger.flush();
    logger.log(query('q-4', 500));
    logger.setUserFeedback('q-4', 'down');
    // A real SQLite refusal of the rating's update (and of nothing else): a trigger.
    const admin = new BetterSqlite3(dbPath);
    admin.exec("create trigger refuse_rating before update of user_feedback on query_metrics begin select raise(abort, 'ratings refused'); end");
    expect(() => logger.flush()).toThrow(/ratings refused/);
    // The batch itself was written once: the duplicate is counted once, nothing is queued again.
    expect(logger.stats()).toMatchObject({ written: 1, duplicates: 1, pending: 0 });
    expect(() => logger.flush()).toThrow(/ratings refused/);
    expect(stored('q-4').ratings).toEqual([null]);
    admin.exec('drop trigger refuse_rating');
    admin.close();
    logger.flush();
    expect(stored('q-4')).toEqual({ ratings: ['thumbs_down'], counters: { feedback_up: 0, feedback_down: 1 } });
    logger.close();
  });

  it('a rating given directly after one was held replaces it: the held one is not set over it later', () => {
    const logger = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    logger.log(query('q-5'));
    logger.flush();
    logger.log(query('q-5', 500));
    logger.setUserFeedback('q-5', 'down');
    const admin = new BetterSqlite3(dbPath);
    admin.exec("create trigger refuse_rating before update of user_feedback on query_metrics begin select raise(abort, 'ratings refused'); end");
    expect(() => logger.flush()).toThrow(/ratings refused/);
    admin.exec('drop trigger refuse_rating');
    admin.close();
    expect(logger.setUserFeedback('q-5', 'up')).toBe(true);
    logger.flush();
    logger.close();
    expect(stored('q-5')).toEqual({ ratings: ['thumbs_up'], counters: { feedback_up: 1, feedback_down: 0 } });
  });

  it('a queued row that is written keeps the rating it was given, counted once, beside a duplicate in the same batch', () => {
    const logger = QueryLogger.open(dbPath, { clock, flushOnExit: false, flushIntervalMs: 60_000 });
    logger.log(query('q-6'));
    logger.setUserFeedback('q-6', 'up');
    logger.log(query('q-7'));
    logger.flush();
    logger.log(query('q-7', 700));
    logger.log(query('q-8'));
    logger.setUserFeedback('q-8', 'down');
    logger.setUserFeedback('q-7', 'up');
    logger.close();
    expect([stored('q-6').ratings, stored('q-7').ratings, stored('q-8').ratings]).toEqual([['thumbs_up'], ['thumbs_up'], ['thumbs_down']]);
    expect(stored('q-6').counters).toEqual({ feedback_up: 2, feedback_down: 1 });
    const store = MetricsStore.open(dbPath, { clock });
    expect(store.countQueries()).toBe(3);
    store.close();
  });
});
