import { FixedClock, configSchema } from '@web4/core';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsStore } from './metrics-store.js';
import { buildMonitoringReport, formatMonitoringReport } from './monitoring-report.js';
import { QueryLogger } from './query-logger.js';
import { buildQueryTypesReport, formatQueryTypesReport, trainingFirstCheck } from './query-types-report.js';
import { tempRoot } from './test-fixtures/snapshot.js';

const targets = configSchema.parse({}).monitoring.targets;
const now = new Date('2026-11-25T12:00:00Z');
let root: ReturnType<typeof tempRoot>;
let store: MetricsStore;

/**
 * 100 queries a day on 2026-11-23 and 2026-11-24: 55 pure trained, 15 history, 25 tools,
 * 5 trainai; latency i*10 ms (avg 495 ms); 2 errors a day.
 */
beforeEach(() => {
  root = tempRoot();
  const path = join(root.dir, 'logs', 'production_metrics.db');
  const logger = QueryLogger.open(path, { clock: new FixedClock(now), flushOnExit: false });
  for (const day of ['2026-11-23', '2026-11-24']) {
    for (let i = 0; i < 100; i++) {
      logger.log({
        timestamp: `${day}T10:00:${String(i % 60).padStart(2, '0')}Z`,
        latencyMs: i * 10,
        usedHistory: i >= 55 && i < 70,
        usedTools: i >= 70 && i < 95,
        usedTrainai: i >= 95,
        error: i < 2 ? 'boom' : null,
      });
    }
  }
  logger.close();
  store = MetricsStore.open(path, { clock: new FixedClock(now) });
});
afterEach(() => {
  store.close();
  root.cleanup();
});

describe('monitoring report', () => {
  it('computes the window from the rollups and marks every target', async () => {
    const report = await buildMonitoringReport({ store, targets, now, days: 7 });
    expect(report.statistics.from).toBe('2026-11-19');
    expect(report.statistics.days).toHaveLength(7);
    expect(report.statistics.days.filter((d) => d.queries > 0).map((d) => d.day)).toEqual(['2026-11-23', '2026-11-24']);
    const t = report.statistics.total;
    expect(t).toMatchObject({ queries: 200, errors: 4, errorRatePct: 2, avgLatencyMs: 495, maxLatencyMs: 990 });
    expect(t.hitRatePct).toEqual({ history: 15, tools: 25, trainai: 5, graph: 0 });
    expect(Math.abs(t.p50LatencyMs! - 490) / 490).toBeLessThanOrEqual(0.01); // rank 100 of 200 → 490 ms
    expect(Math.abs(t.p95LatencyMs! - 940) / 940).toBeLessThanOrEqual(0.01);
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    expect(status).toEqual({ latency: 'pass', hit_rate_history: 'pass', hit_rate_tools: 'pass', hit_rate_trainai: 'pass', hit_rate_graph: 'unknown', error_rate: 'pass', collection_health: 'unknown' });
    // Graph has no target and collection health was not asked for: neither is judged.
    expect(report.checks.filter((c) => !c.judged).map((c) => c.id)).toEqual(['hit_rate_graph', 'collection_health']);
    expect(report).toMatchObject({ verdict: 'met', counts: { met: 5, missed: 0, unknown: 0 }, allTargetsMet: true });
    expect(report.collections).toBe('not checked');
    const text = formatMonitoringReport(report);
    expect(text).toMatch(/–\s+Collection health\s+not checked\s+target all healthy \(not part of the verdict\)/);
    expect(text).toContain('All targets met (5/5).');
    expect(text).toMatch(/✓\s+Error rate\s+2\.0%\s+target < 5%/);
  });

  it('marks missed targets ⚠️ and reports collection health from a provider', async () => {
    const strict = { ...targets, latencyMs: 400, errorRatePct: 1 };
    const report = await buildMonitoringReport({
      store,
      targets: strict,
      latencyStatistic: 'p95',
      now,
      days: 7,
      collectionHealth: async () => [
        { name: 'pdca_historical', healthy: true, count: 10 },
        { name: 'daily_buffer', healthy: false, detail: 'missing' },
      ],
    });
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId.latency).toMatchObject({ label: 'Response time (p95)', status: 'warn' });
    expect(byId.error_rate!.status).toBe('warn');
    expect(byId.collection_health).toMatchObject({ status: 'warn', shown: 'unhealthy: daily_buffer' });
    expect(report).toMatchObject({ verdict: 'missed', counts: { missed: 3 }, allTargetsMet: false });
    expect(formatMonitoringReport(report)).toContain('Some targets missed (⚠️ 3/6)');
    expect(formatMonitoringReport(report)).toMatch(/\n\s+missing\n/);
  });

  it('has no figures for an empty window (never invented zeros)', async () => {
    const report = await buildMonitoringReport({ store, targets, now: new Date('2027-03-01T00:00:00Z'), days: 3 });
    expect(report.statistics.total).toMatchObject({ queries: 0, avgLatencyMs: null, p95LatencyMs: null, errorRatePct: null });
    expect(report.checks.every((c) => c.status === 'unknown')).toBe(true);
    expect(report).toMatchObject({ verdict: 'unknown', counts: { met: 0, missed: 0, unknown: 5 }, allTargetsMet: false });
    const text = formatMonitoringReport(report);
    expect(text).toContain('No queries recorded in this window');
    expect(text).toContain('Nothing to judge: none of the 5 targets could be checked');
    expect(text).not.toContain('All targets met');
  });

  it('healthy collections and no queries yet is "unknown", not "all met" (the issue\'s case)', async () => {
    const report = await buildMonitoringReport({
      store,
      targets,
      now: new Date('2027-03-01T00:00:00Z'),
      days: 1,
      collectionHealth: async () => [{ name: 'pdca_historical', healthy: true, count: 10 }],
    });
    const status = Object.fromEntries(report.checks.filter((c) => c.judged).map((c) => [c.id, c.status]));
    expect(status).toEqual({ latency: 'unknown', hit_rate_history: 'unknown', hit_rate_tools: 'unknown', hit_rate_trainai: 'unknown', error_rate: 'unknown', collection_health: 'pass' });
    expect(report).toMatchObject({ verdict: 'unknown', counts: { met: 1, missed: 0, unknown: 5 }, allTargetsMet: false });
    expect(formatMonitoringReport(report)).toContain('Not all targets could be judged: 1/6 met, 5 could not be checked');
  });

  it('a missed target wins over unknown ones', async () => {
    const report = await buildMonitoringReport({
      store,
      targets,
      now: new Date('2027-03-01T00:00:00Z'),
      days: 1,
      collectionHealth: async () => [{ name: 'daily_buffer', healthy: false, detail: 'Chroma not reachable' }],
    });
    expect(report).toMatchObject({ verdict: 'missed', counts: { met: 0, missed: 1, unknown: 5 }, allTargetsMet: false });
    expect(formatMonitoringReport(report)).toContain('Some targets missed (⚠️ 1/6, 5 could not be checked (–))');
  });
});

describe('query types report', () => {
  it('breaks a day down into the six categories and checks Training-First', () => {
    const report = buildQueryTypesReport(store, '2026-11-24', targets);
    expect(report.queries).toBe(100);
    expect(report.categories.map((c) => [c.category, c.count, c.status])).toEqual([
      ['pure_trained', 55, 'pass'],
      ['tools', 25, 'pass'],
      ['history', 15, 'pass'],
      ['trainai', 5, 'pass'],
      ['graph', 0, 'unknown'],
      ['multiple', 0, 'unknown'],
    ]);
    expect(report.trainingFirst).toMatchObject({ pct: 55, verdict: 'target', status: 'pass' });
    expect(report).toMatchObject({ verdict: 'met', counts: { met: 4, missed: 0, unknown: 0 }, allTargetsMet: true });
    expect(formatQueryTypesReport(report)).toContain('✓ Training-First: 55.0% pure trained is within the target');
    expect(formatQueryTypesReport(report)).toContain('All targets met (4/4).');
    const empty = buildQueryTypesReport(store, '2026-11-01', targets);
    expect(empty.trainingFirst.verdict).toBe('no_data');
    expect(empty).toMatchObject({ verdict: 'unknown', counts: { met: 0, missed: 0, unknown: 4 }, allTargetsMet: false });
    expect(formatQueryTypesReport(empty)).toContain('Nothing to judge');
  });

  it('tells target, accepted and missed apart', () => {
    expect(trainingFirstCheck(50, targets).verdict).toBe('target');
    expect(trainingFirstCheck(47, targets)).toMatchObject({ verdict: 'accepted', status: 'pass' });
    expect(trainingFirstCheck(64.9, targets).verdict).toBe('accepted');
    expect(trainingFirstCheck(70, targets)).toMatchObject({ verdict: 'missed', status: 'warn' });
    expect(trainingFirstCheck(null, targets).status).toBe('unknown');
  });
});
