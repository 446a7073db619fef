import { MARK, type TargetStatus, withinRange } from '@web4/core';
import { type DailySummarySource, type DayStatistics, dayStatistics, readDayStatistics } from './daily-statistics.js';
import type { MetricsStore } from './metrics-store.js';
import type { MonitoringTargets } from './monitoring-report.js';
import { pct, table, verdictLine } from './monitoring-report.js';
import { CATEGORY_LABELS, QUERY_CATEGORIES, type QueryCategory } from './query-category.js';
import { type ReportVerdict, type VerdictCounts, reportVerdict } from './report-verdict.js';

export interface CategoryShare {
  category: QueryCategory;
  label: string;
  count: number;
  pct: number | null;
  target: { min: number; max: number } | null;
  status: TargetStatus;
}

/** Training-First: most answers should come from the trained model alone. */
export interface TrainingFirstCheck {
  pct: number | null;
  target: { min: number; max: number };
  accepted: { min: number; max: number };
  /** `target`: inside the target range; `accepted`: outside it but inside the accepted one. */
  verdict: 'target' | 'accepted' | 'missed' | 'no_data';
  status: TargetStatus;
}

export interface QueryTypesReport {
  day: string;
  queries: number;
  categories: CategoryShare[];
  trainingFirst: TrainingFirstCheck;
  /**
   * Over the categories that have a target (pure trained, tools, history, trainai): `met`,
   * `missed` (any ⚠️), or `unknown` (none ⚠️, some –: no queries that day). Exit codes 0, 1, 5.
   */
  verdict: ReportVerdict;
  counts: VerdictCounts;
  /** True only when the verdict is `met`. */
  allTargetsMet: boolean;
  statistics: DayStatistics;
}

const CATEGORY_TARGET: Partial<Record<QueryCategory, 'historyPct' | 'toolsPct' | 'trainaiPct' | 'pureTrainedPct'>> = {
  pure_trained: 'pureTrainedPct',
  history: 'historyPct',
  tools: 'toolsPct',
  trainai: 'trainaiPct',
};

/** Category breakdown of one UTC day, from its daily_summary row. */
export function buildQueryTypesReport(store: MetricsStore, day: string, targets: MonitoringTargets): QueryTypesReport {
  return queryTypesReport(dayStatistics(store, day), targets);
}

/** The same from any source, e.g. a PostgreSQL database through `MetricsReader`. */
export async function readQueryTypesReport(source: DailySummarySource, day: string, targets: MonitoringTargets): Promise<QueryTypesReport> {
  return queryTypesReport(await readDayStatistics(source, day), targets);
}

function queryTypesReport(statistics: DayStatistics, targets: MonitoringTargets): QueryTypesReport {
  const day = statistics.day;
  const trainingFirst = trainingFirstCheck(statistics.categories.pure_trained.pct, targets);
  const categories = QUERY_CATEGORIES.map((category): CategoryShare => {
    const { count, pct: share } = statistics.categories[category];
    const key = CATEGORY_TARGET[category];
    const target = key ? targets[key] : null;
    const status = category === 'pure_trained' ? trainingFirst.status : target ? withinRange(share, target) : 'unknown';
    return { category, label: CATEGORY_LABELS[category], count, pct: share, target, status };
  });
  const { verdict, counts } = reportVerdict(categories.filter((c) => c.target !== null).map((c) => c.status));
  return { day, queries: statistics.queries, categories, trainingFirst, verdict, counts, allTargetsMet: verdict === 'met', statistics };
}

export function trainingFirstCheck(share: number | null, targets: MonitoringTargets): TrainingFirstCheck {
  const target = targets.pureTrainedPct;
  const accepted = targets.pureTrainedAcceptedPct;
  if (share === null) return { pct: null, target, accepted, verdict: 'no_data', status: 'unknown' };
  const verdict = withinRange(share, target) === 'pass' ? 'target' : withinRange(share, accepted) === 'pass' ? 'accepted' : 'missed';
  return { pct: share, target, accepted, verdict, status: verdict === 'missed' ? 'warn' : 'pass' };
}

export function formatQueryTypesReport(report: QueryTypesReport): string {
  const lines = [`Query types on ${report.day} (UTC): ${report.queries} queries`, ''];
  const rows = report.categories.map((c) => [
    `${MARK[c.status].padEnd(2)} ${c.label}`,
    String(c.count),
    pct(c.pct),
    c.target ? `${c.target.min}-${c.target.max}%` : '',
  ]);
  lines.push(...table([['   Category', 'Queries', 'Share', 'Target'], ...rows]), '');
  const tf = report.trainingFirst;
  const range = `target ${tf.target.min}-${tf.target.max}%, accepted ${tf.accepted.min}-${tf.accepted.max}%`;
  const verdict = {
    target: `✓ Training-First: ${pct(tf.pct)} pure trained is within the target (${range}).`,
    accepted: `✓ Training-First: ${pct(tf.pct)} pure trained is outside the target but accepted (${range}).`,
    missed: `⚠️ Training-First: ${pct(tf.pct)} pure trained is outside the accepted range (${range}).`,
    no_data: `– Training-First: no queries recorded on ${report.day}; nothing to check (${range}).`,
  }[tf.verdict];
  lines.push(verdict, '', verdictLine(report.verdict, report.counts));
  return lines.join('\n');
}
