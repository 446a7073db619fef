import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedbackStore } from '../feedback-store.js';
import { MetricsStore } from '../metrics-store.js';
import { QueryLogger } from '../query-logger.js';
import type { FeedbackDatabase } from '../schema/feedback-database.js';
import type { MetricsDatabase } from '../schema/metrics-database.js';
import { SqliteFile } from '../sqlite-file.js';
import { snapshotRows, tempRoot } from '../test-fixtures/snapshot.js';
import { feedbackMigrations } from './feedback/index.js';
import { metricsMigrations } from './metrics/index.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

const GATEWAY_COLUMNS = { query_id: null, endpoint: null, model: null, model_version: null, ttft_ms: null, tokens_in: null, tokens_per_second: null, error_kind: null };
const SUMMARY_DEFAULTS = { ttft_count: 0, ttft_sum_ms: 0, ttft_histogram: '{}', tokens_in_sum: 0, tokens_per_second_count: 0, tokens_per_second_sum: 0 };

describe('metrics migration 8 (gateway fields)', () => {
  it('upgrades a database at version 7 with rows: every row kept, new columns null, rollups still equal to the rows', () => {
    const path = join(root.dir, 'production_metrics.db');
    // A database as the code before migration 8 left it, with rows in that code's columns.
    SqliteFile.open<MetricsDatabase>(path, metricsMigrations.filter((m) => m.version <= 7)).close();
    const db7 = new BetterSqlite3(path);
    db7.exec(`insert into query_metrics (timestamp, query_type, category, latency_ms, used_history, used_tools, used_trainai, used_graph, tokens_generated, user_feedback, error, error_context)
              values ('2026-11-20T08:00:00.000Z', 'chat', 'pure_trained', 100, 0, 0, 0, 0, 10, 'thumbs_up', null, null),
                     ('2026-11-20T09:00:00.000Z', 'chat', 'history', 300, 1, 0, 0, 0, 20, null, 'model timeout', '{"stage":"generate"}')`);
    expect((db7.prepare('select max(version) as v from schema_migrations').get() as { v: number }).v).toBe(7);
    db7.close();
    const before = snapshotRows(path);

    const store = MetricsStore.open(path); // migrates 7 → 8 (and on to the newest)
    expect(store.rebuildDailySummary()).toBe(1);
    const after = snapshotRows(path);
    expect(after.query_metrics).toEqual((before.query_metrics as object[]).map((r) => ({ ...r, ...GATEWAY_COLUMNS })));
    expect((after.schema_migrations as { version: number }[]).map((m) => m.version)).toEqual(metricsMigrations.map((m) => m.version));
    expect(metricsMigrations.map((m) => m.version).slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(after.daily_summary).toEqual([expect.objectContaining({ day: '2026-11-20', total_queries: 2, error_count: 1, feedback_up: 1, ...SUMMARY_DEFAULTS })]);

    // New rows (with and without the gateway's fields) go into the same day's rollup.
    const logger = new QueryLogger(store, { flushOnExit: false });
    logger.log({ timestamp: '2026-11-20T10:00:00Z', latencyMs: 500, queryId: 'g-1', endpoint: 'chat', model: 'web4-agent:latest', modelVersion: 'base', ttftMs: 80, tokensIn: 30, tokensPerSecond: 12, tokensGenerated: 40 });
    logger.log({ timestamp: '2026-11-20T10:00:01Z', latencyMs: 20 });
    logger.close();
    const summary = store.summaries('2026-11-20', '2026-11-20')[0]!;
    expect(summary).toMatchObject({ total_queries: 4, ttft_count: 1, ttft_sum_ms: 80, tokens_in_sum: 30, tokens_per_second_count: 1, tokens_per_second_sum: 12, tokens_generated_sum: 70 });
    const incremental = snapshotRows(path).daily_summary as Record<string, unknown>[];
    store.rebuildDailySummary();
    const rebuilt = snapshotRows(path).daily_summary as Record<string, unknown>[];
    const strip = (rows: Record<string, unknown>[]): unknown[] => rows.map(({ updated_at: _u, ...r }) => r);
    expect(strip(incremental)).toEqual(strip(rebuilt));
    store.close();

  });

  it('keeps query ids unique, but any number of rows without one', () => {
    const path = join(root.dir, 'm.db');
    MetricsStore.open(path).close();
    const db = new BetterSqlite3(path);
    const insert = db.prepare("insert into query_metrics (timestamp, query_type, category, latency_ms, query_id) values ('2026-11-20T08:00:00.000Z', 'chat', 'pure_trained', 1, ?)");
    insert.run(null);
    insert.run(null);
    insert.run('a');
    expect(() => insert.run('a')).toThrow(/UNIQUE constraint failed: query_metrics.query_id/);
    db.close();
  });
});

describe('feedback migration 2 (query id)', () => {
  it('upgrades a database at version 1 with rows: rows kept with a null query id, satisfaction unchanged', () => {
    const path = join(root.dir, 'user_feedback.db');
    SqliteFile.open<FeedbackDatabase>(path, feedbackMigrations.filter((m) => m.version <= 1)).close();
    const db = new BetterSqlite3(path);
    db.exec(`insert into feedback (timestamp, query, response, rating, comment) values
             ('2026-11-20T08:00:00.000Z', 'q1', 'r1', 'thumbs_up', null),
             ('2026-11-20T09:00:00.000Z', 'q2', 'r2', 'thumbs_down', 'wrong file')`);
    db.close();
    const before = snapshotRows(path).feedback as object[];
    const store = FeedbackStore.open(path);
    expect(snapshotRows(path).feedback).toEqual(before.map((r) => ({ ...r, query_id: null })));
    expect(store.satisfaction(new Date('2026-11-20T00:00:00Z'), new Date('2026-11-21T00:00:00Z'))).toEqual({ up: 1, down: 1, total: 2, ratePct: 50 });
    // Rated by id afterwards: one more row, and the old ones untouched.
    expect(store.rateQuery({ queryId: 'g-1', rating: 'up', timestamp: new Date('2026-11-20T10:00:00Z') })).toEqual({ id: 3, replaced: false });
    expect(store.satisfaction(new Date('2026-11-20T00:00:00Z'), new Date('2026-11-21T00:00:00Z'))).toEqual({ up: 2, down: 1, total: 3, ratePct: (100 * 2) / 3 });
    store.close();
  });
});
