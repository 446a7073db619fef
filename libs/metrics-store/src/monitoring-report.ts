import { MARK, type TargetStatus, type Web4Config, atMost, withinRange } from '@web4/core';
import { type WindowStatistics, type Tier, windowStatistics } from './daily-statistics.js';
import type { MetricsStore } from './metrics-store.js';

export type MonitoringTargets = Web4Config['monitoring']['targets'];
export type LatencyStatistic = Web4Config['monitoring']['latencyStatistic'];

/** One collection as seen by whoever owns the collections (rag-tiers). */
export interface CollectionHealth {
  name: string;
  healthy: boolean;
  count?: number;
  detail?: string;
}
/** Supplied by rag-tiers once it exists; until then the report says "not configured". */
export type CollectionHealthProvider = () => Promise<CollectionHealth[]>;

export interface TargetCheck {
  id: 'latency' | `hit_rate_${Tier}` | 'error_rate' | 'collection_health';
  label: string;
  value: number | null;
  /** The value as shown, e.g. "1234 ms", "12.5%", "not configured". */
  shown: string;
  target: string;
  status: TargetStatus;
}

export interface MonitoringReport {
  generatedAt: string;
  windowDays: number;
  statistics: WindowStatistics;
  checks: TargetCheck[];
  collections: CollectionHealth[] | 'not configured';
  /** False when any check is ⚠️; "unknown" (no data, not configured) does not fail. */
  allTargetsMet: boolean;
}

export interface MonitoringReportInput {
  store: MetricsStore;
  targets: MonitoringTargets;
  latencyStatistic?: LatencyStatistic;
  now: Date;
  days: number;
  collectionHealth?: CollectionHealthProvider;
  /** What to show when no provider is given (default "not configured"). */
  collectionHealthNote?: string;
}

const TIER_TARGETS: Array<{ tier: Tier; label: string; key: 'historyPct' | 'toolsPct' | 'trainaiPct' }> = [
  { tier: 'history', label: 'History hit rate', key: 'historyPct' },
  { tier: 'tools', label: 'Tools hit rate', key: 'toolsPct' },
  { tier: 'trainai', label: 'TrainAI hit rate', key: 'trainaiPct' },
];

/** The dashboard: window statistics from the daily rollups and each target marked ✓ / ⚠️. */
export async function buildMonitoringReport(input: MonitoringReportInput): Promise<MonitoringReport> {
  const statistics = windowStatistics(input.store, input.now, input.days);
  const t = input.targets;
  const total = statistics.total;
  const stat = input.latencyStatistic ?? 'avg';
  const latency = stat === 'avg' ? total.avgLatencyMs : stat === 'p50' ? total.p50LatencyMs : total.p95LatencyMs;
  const checks: TargetCheck[] = [
    { id: 'latency', label: `Response time (${stat})`, value: latency, shown: ms(latency), target: `≤ ${t.latencyMs} ms`, status: atMost(latency, t.latencyMs) },
    ...TIER_TARGETS.map(({ tier, label, key }): TargetCheck => {
      const value = total.hitRatePct[tier];
      return { id: `hit_rate_${tier}`, label, value, shown: pct(value), target: `${t[key].min}-${t[key].max}%`, status: withinRange(value, t[key]) };
    }),
    { id: 'hit_rate_graph', label: 'Graph hit rate', value: total.hitRatePct.graph, shown: pct(total.hitRatePct.graph), target: '(no target)', status: 'unknown' },
    { id: 'error_rate', label: 'Error rate', value: total.errorRatePct, shown: pct(total.errorRatePct), target: `< ${t.errorRatePct}%`, status: total.errorRatePct === null ? 'unknown' : total.errorRatePct < t.errorRatePct ? 'pass' : 'warn' },
  ];
  let collections: MonitoringReport['collections'] = 'not configured';
  if (input.collectionHealth) {
    collections = await input.collectionHealth();
    const unhealthy = collections.filter((c) => !c.healthy);
    checks.push({
      id: 'collection_health',
      label: 'Collection health',
      value: collections.length - unhealthy.length,
      shown: unhealthy.length === 0 ? `${collections.length}/${collections.length} healthy` : `unhealthy: ${unhealthy.map((c) => c.name).join(', ')}`,
      target: 'all healthy',
      status: collections.length > 0 && unhealthy.length === 0 ? 'pass' : 'warn',
    });
  } else {
    checks.push({ id: 'collection_health', label: 'Collection health', value: null, shown: input.collectionHealthNote ?? 'not configured', target: 'all healthy', status: 'unknown' });
  }
  return {
    generatedAt: input.now.toISOString(),
    windowDays: input.days,
    statistics,
    checks,
    collections,
    allTargetsMet: checks.every((c) => c.status !== 'warn'),
  };
}

/** The dashboard as text: a table per day, a total line, then the target block. */
export function formatMonitoringReport(report: MonitoringReport): string {
  const s = report.statistics;
  const lines = [`Production monitoring: last ${report.windowDays} day(s), ${s.from} to ${s.to} (UTC)`, ''];
  const header = ['Day', 'Queries', 'Avg ms', 'p50 ms', 'p95 ms', 'History', 'Tools', 'TrainAI', 'Graph', 'Errors'];
  const rows = [...s.days, { day: 'Total', ...s.total }].map((d) => [
    d.day,
    String(d.queries),
    num(d.avgLatencyMs),
    num(d.p50LatencyMs),
    num(d.p95LatencyMs),
    pct(d.hitRatePct.history),
    pct(d.hitRatePct.tools),
    pct(d.hitRatePct.trainai),
    pct(d.hitRatePct.graph),
    pct(d.errorRatePct),
  ]);
  lines.push(...table([header, ...rows]), '');
  if (s.total.queries === 0) lines.push('No queries recorded in this window: targets cannot be checked (–).', '');
  lines.push('Target validation');
  const width = Math.max(...report.checks.map((c) => c.label.length));
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.status].padEnd(2)} ${c.label.padEnd(width)}  ${c.shown.padStart(14)}   target ${c.target}`);
  }
  if (Array.isArray(report.collections)) {
    const details = new Set(report.collections.filter((c) => !c.healthy).map((c) => c.detail ?? 'unhealthy'));
    for (const detail of details) lines.push(`     ${detail}`);
  }
  lines.push('', report.allTargetsMet ? 'All targets met.' : 'Some targets missed (⚠️): see docs/runbooks/production_monitoring.md.');
  return lines.join('\n');
}

export function pct(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)}%`;
}

function ms(value: number | null): string {
  return value === null ? '–' : `${Math.round(value)} ms`;
}

function num(value: number | null): string {
  return value === null ? '–' : String(Math.round(value));
}

/** Left-align the first column, right-align the rest. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}
