import { MARK, type TargetStatus, type Web4Config, atMost, withinRange } from '@web4/core';
import { type DailySummarySource, type WindowStatistics, type Tier, readWindowStatistics } from './daily-statistics.js';
import { type ReportVerdict, type VerdictCounts, reportVerdict } from './report-verdict.js';

export type MonitoringTargets = Web4Config['monitoring']['targets'];
export type LatencyStatistic = Web4Config['monitoring']['latencyStatistic'];

/** One collection as seen by whoever owns the collections (rag-tiers). */
export interface CollectionHealth {
  name: string;
  healthy: boolean;
  count?: number;
  detail?: string;
}
/** Supplied by rag-tiers (`--collections`); without it the report says "not checked". */
export type CollectionHealthProvider = () => Promise<CollectionHealth[]>;

export interface TargetCheck {
  id: 'latency' | `hit_rate_${Tier}` | 'error_rate' | 'collection_health';
  label: string;
  value: number | null;
  /** The value as shown, e.g. "1234 ms", "12.5%", "not checked". */
  shown: string;
  target: string;
  status: TargetStatus;
  /**
   * Whether this check counts in the verdict. False for a figure shown without a target (graph
   * hit rate) and for collection health when it was not asked for (no provider).
   */
  judged: boolean;
}

export interface MonitoringReport {
  generatedAt: string;
  windowDays: number;
  statistics: WindowStatistics;
  checks: TargetCheck[];
  collections: CollectionHealth[] | 'not checked';
  /**
   * Over the judged checks: `met` every one ✓; `missed` at least one ⚠️; `unknown` none ⚠️ but at
   * least one – (no queries in the window): nothing to judge. Exit codes 0, 1, 5.
   */
  verdict: ReportVerdict;
  /** How many judged checks were met, missed, unknown. */
  counts: VerdictCounts;
  /** True only when the verdict is `met`: every judged target was checked and met. */
  allTargetsMet: boolean;
}

export interface MonitoringReportInput {
  /** `MetricsStore` (the SQLite file), or `MetricsReader` (SQLite or PostgreSQL): the same query either way. */
  store: DailySummarySource;
  targets: MonitoringTargets;
  latencyStatistic?: LatencyStatistic;
  now: Date;
  days: number;
  collectionHealth?: CollectionHealthProvider;
  /** What to show when no provider is given (default "not checked"). */
  collectionHealthNote?: string;
}

const TIER_TARGETS: Array<{ tier: Tier; label: string; key: 'historyPct' | 'toolsPct' | 'trainaiPct' }> = [
  { tier: 'history', label: 'History hit rate', key: 'historyPct' },
  { tier: 'tools', label: 'Tools hit rate', key: 'toolsPct' },
  { tier: 'trainai', label: 'TrainAI hit rate', key: 'trainaiPct' },
];

/** The dashboard: window statistics from the daily rollups and each target marked ✓ / ⚠️. */
export async function buildMonitoringReport(input: MonitoringReportInput): Promise<MonitoringReport> {
  const statistics = await readWindowStatistics(input.store, input.now, input.days);
  const t = input.targets;
  const total = statistics.total;
  const stat = input.latencyStatistic ?? 'avg';
  const latency = stat === 'avg' ? total.avgLatencyMs : stat === 'p50' ? total.p50LatencyMs : total.p95LatencyMs;
  const checks: TargetCheck[] = [
    { id: 'latency', label: `Response time (${stat})`, value: latency, shown: ms(latency), target: `≤ ${t.latencyMs} ms`, status: atMost(latency, t.latencyMs), judged: true },
    ...TIER_TARGETS.map(({ tier, label, key }): TargetCheck => {
      const value = total.hitRatePct[tier];
      return { id: `hit_rate_${tier}`, label, value, shown: pct(value), target: `${t[key].min}-${t[key].max}%`, status: withinRange(value, t[key]), judged: true };
    }),
    { id: 'hit_rate_graph', label: 'Graph hit rate', value: total.hitRatePct.graph, shown: pct(total.hitRatePct.graph), target: '(no target)', status: 'unknown', judged: false },
    { id: 'error_rate', label: 'Error rate', value: total.errorRatePct, shown: pct(total.errorRatePct), target: `< ${t.errorRatePct}%`, status: total.errorRatePct === null ? 'unknown' : total.errorRatePct < t.errorRatePct ? 'pass' : 'warn', judged: true },
  ];
  let collections: MonitoringReport['collections'] = 'not checked';
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
      judged: true,
    });
  } else {
    checks.push({ id: 'collection_health', label: 'Collection health', value: null, shown: input.collectionHealthNote ?? 'not checked', target: 'all healthy', status: 'unknown', judged: false });
  }
  const { verdict, counts } = reportVerdict(checks.filter((c) => c.judged).map((c) => c.status));
  return {
    generatedAt: input.now.toISOString(),
    windowDays: input.days,
    statistics,
    checks,
    collections,
    verdict,
    counts,
    allTargetsMet: verdict === 'met',
  };
}

/** The dashboard as text: a table per day, a total line, then the target block. */
export function formatMonitoringReport(report: MonitoringReport): string {
  const s = report.statistics;
  const lines = [`Production monitoring: last ${report.windowDays === 1 ? 'day' : `${report.windowDays} days`}, ${s.from} to ${s.to} (UTC)`, ''];
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
    const outside = !c.judged && c.id === 'collection_health' ? ' (not part of the verdict)' : '';
    lines.push(`  ${MARK[c.status].padEnd(2)} ${c.label.padEnd(width)}  ${c.shown.padStart(14)}   target ${c.target}${outside}`);
  }
  if (Array.isArray(report.collections)) {
    const details = new Set(report.collections.filter((c) => !c.healthy).map((c) => c.detail ?? 'unhealthy'));
    for (const detail of details) lines.push(`     ${detail}`);
  }
  lines.push('', verdictLine(report.verdict, report.counts));
  return lines.join('\n');
}

/** The last line of a report: met, missed, or nothing to judge, never "met" for an unchecked target. */
export function verdictLine(verdict: ReportVerdict, counts: VerdictCounts): string {
  const judged = counts.met + counts.missed + counts.unknown;
  if (verdict === 'met') return `All targets met (${counts.met}/${judged}).`;
  if (verdict === 'missed') {
    const unknown = counts.unknown > 0 ? `, ${counts.unknown} could not be checked (–)` : '';
    return `Some targets missed (⚠️ ${counts.missed}/${judged}${unknown}): see docs/runbooks/production_monitoring.md.`;
  }
  return counts.met === 0
    ? `Nothing to judge: none of the ${judged} targets could be checked (–, no data yet). This is not "all met".`
    : `Not all targets could be judged: ${counts.met}/${judged} met, ${counts.unknown} could not be checked (–, no data). This is not "all met".`;
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
