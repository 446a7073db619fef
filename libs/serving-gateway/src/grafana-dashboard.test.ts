import { FixedClock } from '@web4/core';
import { FeedbackStore, MetricsStore } from '@web4/metrics-store';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayMetrics } from './metrics.js';
import { parsePrometheusText } from './test-support/prometheus-text.js';
import type { GatewayQueryEvent } from './types.js';

/**
 * docs/grafana/web4-gateway.json against what GET /metrics really serves: the dashboard must be
 * valid dashboard JSON on a Prometheus datasource variable, and every metric its PromQL plots
 * must be in the scrape of a GatewayMetrics that saw a few queries, feedback, a night and a
 * morning check (written through metrics-store into a temporary state root).
 */
const DASHBOARD = new URL('../../../docs/grafana/web4-gateway.json', import.meta.url);

interface Target {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or durations. */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (!m[2] && !KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function scrapeWithData(): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), 'web4-grafana-'));
  dirs.push(dir);
  const paths = { metricsDb: join(dir, 'logs', 'production_metrics.db'), feedbackDb: join(dir, 'logs', 'user_feedback.db') };
  const clock = new FixedClock('2026-11-30T22:00:00Z');
  const store = MetricsStore.open(paths.metricsDb, { clock });
  const feedback = FeedbackStore.open(paths.feedbackDb, { clock });
  const run = 'night_20261130_220000';
  store.runs.start(run, 'night', { day: '2026-11-30' });
  const steps: Array<[string, Record<string, unknown>]> = [
    ['read_buffer', { pdcas: 4, chunks: 12 }],
    ['train', { version: 'v20261130_220000', loss: 1.9 }],
    ['evaluate', { night: { production: 2.4, candidate: 2.1, base: null, tokens: 500 }, retention: { production: 2, candidate: 2.01, base: null, tokens: 300 }, morning: {} }],
    ['canaries', { candidate: { passed: 20, total: 20 } }],
    ['decide', { pass: true, gates: [{ gate: 'canaries', pass: true, measured: '20/20', target: '≥ 20/20' }] }],
  ];
  for (const [step, details] of steps) {
    store.runs.start(run, step);
    store.runs.finish(run, step, 'done', details);
  }
  store.runs.finish(run, 'night', 'done', { status: 'complete' });
  store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 22, passedCases: 15, runAt: new Date('2026-11-29T06:00:00Z') });
  store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 22, passedCases: 17, runAt: new Date('2026-11-30T06:00:00Z') });
  feedback.add({ query: 'q', response: 'a', rating: 'up' });
  store.close();
  feedback.close();

  const m = new GatewayMetrics({ paths, clock, stateCacheMs: 0 });
  const base: GatewayQueryEvent = {
    queryId: 'q1', timestamp: clock.now(), endpoint: 'chat', requestedModel: 'web4-agent', model: 'web4-agent:latest', modelVersion: 'base', stream: false, status: 200,
    latencyMs: 900, ttftMs: 200, tokensIn: 120, tokensOut: 30, tokensPerSecond: 25, routed: 'trained', tiersUsed: [], retrievalMs: 0, errorKind: null, error: null, question: 'q',
  };
  m.onQuery(base);
  m.onQuery({ ...base, queryId: 'q2', routed: 'retrieval', tiersUsed: ['history'], retrievalMs: 12 });
  m.onQuery({ ...base, queryId: 'q3', status: 504, errorKind: 'upstream_timeout', ttftMs: null, tokensOut: null, tokensPerSecond: null });
  m.onFeedback({ queryId: 'q1', rating: 'thumbs_up', replaced: false });
  m.onResponse('/api/chat', 200);
  const names = new Set(parsePrometheusText(await m.metrics()).map((s) => s.name));
  await m.close();
  return names;
}

describe('docs/grafana/web4-gateway.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');

  it('is a Grafana dashboard on a Prometheus datasource variable', () => {
    expect(dashboard.uid).toBe('web4-gateway');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of graphs) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource.uid, p.title).toBe('${datasource}');
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('has the panels the issue asks for', () => {
    const exprs = graphs.flatMap((p) => p.targets!.map((t) => t.expr)).join('\n');
    for (const needed of [
      /histogram_quantile\(0\.5, sum by \(le\) \(rate\(gen_ai_client_operation_duration_seconds_bucket/,
      /histogram_quantile\(0\.95, sum by \(le\) \(rate\(gen_ai_client_operation_duration_seconds_bucket/,
      /gen_ai_client_operation_time_to_first_chunk_seconds_bucket/,
      /gen_ai_client_token_usage_sum/,
      /web4_gateway_queries_total/,
      /web4_gateway_errors_total/,
      /web4_gateway_tier_hits_total/,
      /web4_feedback_satisfaction_ratio/,
      /web4_night_last_result/,
      /web4_night_last_loss/,
      /web4_morning_last_pass_ratio/,
      /web4_morning_last_improvement_points/,
    ]) {
      expect(exprs).toMatch(needed);
    }
  });

  it('plots only metrics that GET /metrics serves', async () => {
    const served = await scrapeWithData();
    const plotted = new Set(graphs.flatMap((p) => p.targets!.flatMap((t) => metricNamesOf(t.expr))));
    expect(plotted.size).toBeGreaterThan(15);
    const missing = [...plotted].filter((name) => !served.has(name));
    expect(missing).toEqual([]);
  });

  it('reads metric names out of PromQL (and not functions, labels, durations or variables)', () => {
    expect(
      metricNamesOf('sum by (tier) (increase(web4_gateway_tier_hits_total{tier!="graph"}[1h])) / ignoring(tier) group_left sum(rate(web4_gateway_queries_total[$__rate_interval]))'),
    ).toEqual(['web4_gateway_tier_hits_total', 'web4_gateway_queries_total']);
    expect(metricNamesOf('time() - web4_night_last_timestamp_seconds')).toEqual(['web4_night_last_timestamp_seconds']);
    expect(metricNamesOf('histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) > bool 2.5')).toEqual(['x_bucket']);
    expect(metricNamesOf('web4_night_last_result == 1')).toEqual(['web4_night_last_result']);
  });
});
