import { FixedClock, InputError, StorageError } from '@web4/core';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsStore } from './metrics-store.js';
import { QueryLogger } from './query-logger.js';
import { LOG_QUERIES, runTs } from './test-fixtures/process.js';
import { snapshotRows, tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
let dbPath: string;
beforeEach(() => {
  root = tempRoot();
  dbPath = join(root.dir, 'logs', 'production_metrics.db');
});
afterEach(() => root.cleanup());

/** Count rows with an independent connection, as another process would see them. */
function countRows(file: string): number {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from query_metrics').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** daily_summary recomputed with plain SQL straight from query_metrics. */
function aggregateBySql(file: string): unknown[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db
      .prepare(
        `select substr(timestamp, 1, 10) as day, count(*) as total_queries, sum(error is not null) as error_count,
                sum(used_history) as used_history, sum(used_tools) as used_tools, sum(used_trainai) as used_trainai, sum(used_graph) as used_graph,
                sum(category = 'pure_trained') as cat_pure_trained, sum(category = 'multiple') as cat_multiple,
                coalesce(sum(tokens_generated), 0) as tokens_generated_sum, round(sum(latency_ms), 6) as latency_sum_ms, max(latency_ms) as latency_max_ms
         from query_metrics group by day order by day`,
      )
      .all();
  } finally {
    db.close();
  }
}

function summaryAsAggregated(file: string): unknown[] {
  return (snapshotRows(file).daily_summary as Record<string, number | string>[]).map((r) => ({
    day: r.day,
    total_queries: r.total_queries,
    error_count: r.error_count,
    used_history: r.used_history,
    used_tools: r.used_tools,
    used_trainai: r.used_trainai,
    used_graph: r.used_graph,
    cat_pure_trained: r.cat_pure_trained,
    cat_multiple: r.cat_multiple,
    tokens_generated_sum: r.tokens_generated_sum,
    latency_sum_ms: Math.round((r.latency_sum_ms as number) * 1e6) / 1e6,
    latency_max_ms: r.latency_max_ms,
  }));
}

describe('QueryLogger', () => {
  it('writes every logged query on close and keeps daily_summary equal to the rows', () => {
    const clock = new FixedClock('2026-11-25T10:00:00Z');
    const logger = QueryLogger.open(dbPath, { clock, batchSize: 300, flushOnExit: false });
    for (let i = 0; i < 5_000; i++) {
      logger.log({
        timestamp: new Date(Date.parse('2026-11-23T00:00:00Z') + i * 50_000), // spans 3 days
        latencyMs: (i * 37) % 4000,
        usedHistory: i % 5 === 0,
        usedTools: i % 3 === 0,
        usedTrainai: i % 11 === 0,
        usedGraph: i % 13 === 0,
        tokensGenerated: i % 100,
        error: i % 50 === 0 ? 'model timeout' : null,
        errorContext: i % 50 === 0 ? { stage: 'generate' } : null,
      });
    }
    logger.log({ latencyMs: 5 }); // no timestamp: the clock's now
    logger.close();
    expect(countRows(dbPath)).toBe(5_001);
    const bySql = aggregateBySql(dbPath);
    expect(bySql).toHaveLength(3);
    expect(summaryAsAggregated(dbPath)).toEqual(bySql);
    const rows = snapshotRows(dbPath).query_metrics as Record<string, unknown>[];
    expect(rows.at(-1)).toMatchObject({ timestamp: '2026-11-25T10:00:00.000Z', latency_ms: 5, category: 'pure_trained', query_type: 'general' });
    expect(rows[0]).toMatchObject({ error: 'model timeout', error_context: '{"stage":"generate"}' });

    // Rebuilding from the raw rows gives the same rollups, histograms included.
    const before = snapshotRows(dbPath).daily_summary as Record<string, unknown>[];
    const store = MetricsStore.open(dbPath, { clock });
    expect(store.rebuildDailySummary()).toBe(3);
    store.close();
    const after = snapshotRows(dbPath).daily_summary as Record<string, unknown>[];
    const strip = (rs: Record<string, unknown>[]) => rs.map(({ updated_at: _u, latency_sum_ms, ...r }) => ({ ...r, latency_sum_ms: Math.round((latency_sum_ms as number) * 1e6) }));
    expect(strip(after)).toEqual(strip(before));
  });

  it('writes on the timer without close, and a full batch on the next event-loop turn', async () => {
    const logger = QueryLogger.open(dbPath, { flushIntervalMs: 50, batchSize: 100, flushOnExit: false });
    logger.log({ latencyMs: 1 });
    logger.log({ latencyMs: 2 });
    expect(logger.pending).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(countRows(dbPath)).toBe(2);
    for (let i = 0; i < 250; i++) logger.log({ latencyMs: i });
    await new Promise((r) => setImmediate(r));
    expect(logger.pending).toBe(0);
    expect(countRows(dbPath)).toBe(252);
    expect(logger.stats()).toMatchObject({ logged: 252, written: 252, failedFlushes: 0 });
    logger.close();
  });

  it('rejects an invalid record without queueing it', () => {
    const logger = QueryLogger.open(dbPath, { flushOnExit: false });
    expect(() => logger.log({ latencyMs: -3 })).toThrow(InputError);
    expect(() => logger.log({ latencyMs: Number.NaN })).toThrow(/latencyMs/);
    expect(() => logger.log({ latencyMs: 1, timestamp: 'yesterday-ish' })).toThrow(/timestamp "yesterday-ish" does not parse/);
    expect(() => logger.log({ latencyMs: 1, userFeedback: 'meh' as never })).toThrow(/userFeedback/);
    expect(() => logger.log({ latencyMs: 1, tokensGenerated: 1.5 })).toThrow(/tokensGenerated/);
    expect(logger.stats()).toMatchObject({ logged: 0, pending: 0 });
    logger.close();
    expect(countRows(dbPath)).toBe(0);
  });

  it('throws StorageError once maxPending rows wait on a database that cannot be written, without losing them', () => {
    const logger = QueryLogger.open(dbPath, { busyTimeoutMs: 20, maxPending: 50, batchSize: 10, flushOnExit: false });
    const other = new BetterSqlite3(dbPath);
    other.prepare('begin immediate').run();
    try {
      for (let i = 0; i < 50; i++) logger.log({ latencyMs: i });
      expect(logger.pending).toBe(50); // queued; the batch write waits for the event loop
      expect(() => logger.log({ latencyMs: 99 })).toThrow(/50 query records are waiting because .* cannot be written/);
      expect(logger.pending).toBe(50);
    } finally {
      other.prepare('rollback').run();
      other.close();
    }
    logger.close();
    expect(countRows(dbPath)).toBe(50);
  });

  it('keeps rows queued while another process holds the write lock, and writes them afterwards', () => {
    const logger = QueryLogger.open(dbPath, { busyTimeoutMs: 50, flushOnExit: false });
    for (let i = 0; i < 10; i++) logger.log({ latencyMs: i });
    const other = new BetterSqlite3(dbPath);
    other.prepare('begin immediate').run();
    try {
      expect(() => logger.flush()).toThrow(StorageError);
      expect(() => logger.flush()).toThrow(/stayed locked by another process/);
      expect(logger.pending).toBe(10);
    } finally {
      other.prepare('rollback').run();
      other.close();
    }
    logger.close();
    expect(countRows(dbPath)).toBe(10);
    expect(logger.stats()).toMatchObject({ written: 10, failedFlushes: 2 });
  });

  it('loses nothing when the process calls process.exit() without closing', async () => {
    const { done } = runTs(LOG_QUERIES, [dbPath, '2500', '1', 'exit']);
    const result = await done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(countRows(dbPath)).toBe(2500);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('flushes on %s and still dies of the signal', async (signal) => {
    const { child, done } = runTs(LOG_QUERIES, [dbPath, '1234', '2', 'wait']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('logged') && resolve()));
    expect(countRows(dbPath)).toBe(0); // the timer is 60 s: nothing written yet
    child.kill(signal);
    const result = await done;
    expect(result.signal).toBe(signal);
    expect(countRows(dbPath)).toBe(1234);
  });

  it('flushes on SIGTERM but leaves the exit to a program that handles the signal itself', async () => {
    const { child, done } = runTs(LOG_QUERIES, [dbPath, '321', '3', 'own-handler']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('logged') && resolve()));
    child.kill('SIGTERM');
    const result = await done;
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    expect(countRows(dbPath)).toBe(321);
  });
});

describe('QueryLogger on the shared BatchedWriter', () => {
  it('keeps the rows of a write that failed (database locked past the busy timeout) and writes them once it can', async () => {
    const logger = QueryLogger.open(dbPath, { busyTimeoutMs: 30, flushIntervalMs: 20, flushOnExit: false });
    const holder = new BetterSqlite3(dbPath);
    holder.exec('BEGIN EXCLUSIVE');
    for (let i = 0; i < 25; i++) logger.log({ latencyMs: i });
    await new Promise((r) => setTimeout(r, 200)); // timer-driven tries fail; nothing thrown into the timer
    expect(logger.pending).toBe(25);
    expect(logger.stats().failedFlushes).toBeGreaterThan(0);
    holder.exec('COMMIT');
    holder.close();
    logger.flush();
    expect(countRows(dbPath)).toBe(25);
    expect(logger.stats()).toMatchObject({ logged: 25, written: 25, pending: 0 });
    logger.close();
  });
});
