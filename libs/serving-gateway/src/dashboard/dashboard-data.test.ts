import { morningHistory } from '@web4/canary-suite';
import { addDays, utcMidnight } from '@web4/core';
import { nightHistory } from '@web4/evening-loop';
import { FeedbackStore, MetricsReader, MetricsStore, buildMonitoringReport, buildQueryTypesReport } from '@web4/metrics-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from '../test-support/temp-root.js';
import { buildDashboardData } from './dashboard-data.js';
import { PLAYED_NOW, QUERIES_PER_DAY, QUERY_DAYS, playDays } from './played-days.js';

/**
 * The dashboard's JSON against the library calls behind `monitor report`, `monitor
 * query-types`, `feedback rate`, `evening history` and `validate --history`, on real SQLite
 * files written by the product's own writers.
 */
describe('dashboard figures after days were played', () => {
  const t = tempRoot();
  beforeAll(() => playDays(t.paths));
  afterAll(() => t.remove());

  it('equal the figures of the commands, read the same way', async () => {
    const data = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 });
    const monitoring = t.config.monitoring;
    const store = MetricsStore.open(t.paths.metricsDb);
    const feedback = FeedbackStore.open(t.paths.feedbackDb);
    try {
      // monitor report --days 7
      expect(data.monitoring).toEqual(
        await buildMonitoringReport({ store, targets: monitoring.targets, latencyStatistic: monitoring.latencyStatistic, now: PLAYED_NOW, days: 7 }),
      );
      // monitor query-types --date D, for each day
      expect(data.queryTypes.map((q) => q.day)).toEqual(data.monitoring.statistics.days.map((d) => d.day));
      for (const q of data.queryTypes) {
        const { statistics: _s, ...expected } = buildQueryTypesReport(store, q.day, monitoring.targets);
        expect(q).toEqual(expected);
      }
      // feedback rate --days 7: today and the six days before it
      const today = utcMidnight(PLAYED_NOW);
      expect(data.satisfaction.window).toMatchObject(feedback.satisfaction(addDays(today, -6), addDays(today, 1)));
      for (const d of data.satisfaction.days) {
        const start = new Date(`${d.day}T00:00:00.000Z`);
        expect(d).toEqual({ day: d.day, ...feedback.satisfaction(start, addDays(start, 1)) });
      }
      // evening history (oldest first on the page) and validate --history --days 7
      const reader = MetricsReader.sqlite(t.paths.metricsDb);
      expect(data.nights).toEqual((await nightHistory(reader, 10)).reverse());
      expect(data.mornings).toEqual(await morningHistory(reader, { days: 7, now: PLAYED_NOW }));
      await reader.close();
    } finally {
      store.close();
      feedback.close();
    }
  });

  it('shows what was played: queries on four days, a gap on the fifth, four nights, four mornings', async () => {
    const data = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 });
    expect(data.window).toEqual({ days: 7, from: '2026-11-24', to: '2026-11-30' });
    expect(data.monitoring.statistics.total.queries).toBe(QUERY_DAYS.length * QUERIES_PER_DAY);
    const byDay = new Map(data.monitoring.statistics.days.map((d) => [d.day, d]));
    expect(byDay.get('2026-11-28')).toMatchObject({ queries: 0, avgLatencyMs: null, p95LatencyMs: null, errorRatePct: null });
    expect(byDay.get('2026-11-29')!.queries).toBe(QUERIES_PER_DAY);
    // No queries that day: no share, not 0 %.
    expect(data.queryTypes.find((q) => q.day === '2026-11-28')!.trainingFirst).toMatchObject({ pct: null, verdict: 'no_data' });
    expect(data.satisfaction.days.find((d) => d.day === '2026-11-28')!.ratePct).toBeNull();
    expect(data.satisfaction.window.total).toBe(QUERY_DAYS.length * Math.ceil(QUERIES_PER_DAY / 3));
    expect(data.nights.map((n) => n.status)).toEqual(['complete', 'complete', 'rejected', 'complete']);
    expect(data.nights[2]!.gates!.find((g) => g.gate === 'retention-loss')!.pass).toBe(false);
    expect(data.mornings.map((m) => m.passRatePct)).toEqual([63.6, 72.7, 68.2, 81.8]);
    expect(data.mornings.map((m) => m.changePct)).toEqual([null, 9.1, -4.5, 13.6]);
    expect(data.has).toEqual({ latency: true, tiers: true, categories: true, satisfaction: true, nights: true, mornings: true });
  });

  it('a window of one day holds today only: no night started today, one morning', async () => {
    const data = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 1 });
    expect(data.window).toEqual({ days: 1, from: '2026-11-30', to: '2026-11-30' });
    expect(data.nights).toEqual([]);
    expect(data.mornings).toHaveLength(1);
    expect(data.has.nights).toBe(false);
  });
});

describe('dashboard figures of a state root with nothing recorded', () => {
  const t = tempRoot();
  afterAll(() => t.remove());

  it('are nulls and empty lists, never zeros standing for "no data"', async () => {
    const data = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 });
    expect(data.has).toEqual({ latency: false, tiers: false, categories: false, satisfaction: false, nights: false, mornings: false });
    expect(data.monitoring.verdict).toBe('unknown');
    expect(data.monitoring.statistics.total).toMatchObject({ queries: 0, avgLatencyMs: null, errorRatePct: null, hitRatePct: { history: null, tools: null, trainai: null, graph: null } });
    expect(data.satisfaction.window).toMatchObject({ total: 0, ratePct: null, status: 'unknown' });
    expect(data.queryTypes.every((q) => q.trainingFirst.verdict === 'no_data')).toBe(true);
    expect(data.nights).toEqual([]);
    expect(data.mornings).toEqual([]);
  });
});
