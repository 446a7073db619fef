import { InputError, addDays, isoDay, parseDay } from '@web4/core';
import { LatencyHistogram } from './latency-histogram.js';
import { QUERY_CATEGORIES, type QueryCategory } from './query-category.js';
import type { MetricsStore } from './metrics-store.js';
import type { DailySummaryTable } from './schema/metrics-database.js';

export const TIERS = ['history', 'tools', 'trainai', 'graph'] as const;
export type Tier = (typeof TIERS)[number];

export interface PeriodStatistics {
  queries: number;
  errors: number;
  /** Percentages are 0-100 and null when there were no queries (never a made-up 0). */
  errorRatePct: number | null;
  avgLatencyMs: number | null;
  /** From the merged latency histogram: within 1 % of the exact nearest-rank percentile. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  maxLatencyMs: number | null;
  /** Share of queries that used each retrieval tier (a query may use several). */
  hitRatePct: Record<Tier, number | null>;
  categories: Record<QueryCategory, { count: number; pct: number | null }>;
  tokensGenerated: number;
  feedback: { up: number; down: number };
  /**
   * Time to first token over the queries that report one (the gateway's): how many, the mean,
   * and p50/p95 from the merged histogram (within 1 %). Null when none reported it.
   */
  ttft: { queries: number; avgMs: number | null; p50Ms: number | null; p95Ms: number | null };
  /** Prompt tokens of the queries that report them. */
  tokensIn: number;
  /** Mean of the per-query generation rates (tokens/s) over the queries that report one; null when none. */
  avgTokensPerSecond: number | null;
}

export interface DayStatistics extends PeriodStatistics {
  day: string;
}

export interface WindowStatistics {
  /** First and last day (YYYY-MM-DD, UTC), inclusive. */
  from: string;
  to: string;
  /** Every day of the window, days without queries included (with zero counts). */
  days: DayStatistics[];
  total: PeriodStatistics;
}

/** Where the daily rollups come from: `MetricsStore` (SQLite, synchronous) or `MetricsReader` (SQLite or PostgreSQL, async). */
export interface DailySummarySource {
  summaries(fromDay: string, toDay: string): DailySummaryTable[] | Promise<DailySummaryTable[]>;
}

/** Statistics of the `days` days ending with the day of `until` (UTC), read from daily_summary only. */
export function windowStatistics(store: MetricsStore, until: Date, days: number): WindowStatistics {
  const { from, to } = windowDays(until, days);
  return windowFromRows(store.summaries(from, to), from, days);
}

/** The same from any source, e.g. a PostgreSQL database through `MetricsReader`. */
export async function readWindowStatistics(source: DailySummarySource, until: Date, days: number): Promise<WindowStatistics> {
  const { from, to } = windowDays(until, days);
  return windowFromRows(await source.summaries(from, to), from, days);
}

function windowDays(until: Date, days: number): { from: string; to: string } {
  const to = isoDay(until);
  return { from: isoDay(addDays(new Date(`${to}T00:00:00Z`), -(days - 1))), to };
}

function windowFromRows(summaries: readonly DailySummaryTable[], from: string, days: number): WindowStatistics {
  const rows = new Map(summaries.map((r) => [r.day, r]));
  const to = isoDay(addDays(new Date(`${from}T00:00:00Z`), days - 1));
  const dayStats: DayStatistics[] = [];
  for (let i = 0; i < days; i++) {
    const day = isoDay(addDays(new Date(`${from}T00:00:00Z`), i));
    const row = rows.get(day);
    dayStats.push({ day, ...periodStatistics(row ? [row] : []) });
  }
  return { from, to, days: dayStats, total: periodStatistics([...rows.values()]) };
}

/** Statistics of one day. */
export function dayStatistics(store: MetricsStore, day: string): DayStatistics {
  const checked = checkedDay(day);
  return { day: checked, ...periodStatistics(store.summaries(checked, checked)) };
}

/** The same from any source, e.g. a PostgreSQL database through `MetricsReader`. */
export async function readDayStatistics(source: DailySummarySource, day: string): Promise<DayStatistics> {
  const checked = checkedDay(day);
  return { day: checked, ...periodStatistics(await source.summaries(checked, checked)) };
}

function checkedDay(day: string): string {
  // Only YYYY-MM-DD here: "today" belongs to the caller's clock. parseDay rejects 2026-02-30.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new InputError(`The day "${day}" does not parse as YYYY-MM-DD.`, { hint: 'Give a day as YYYY-MM-DD (for example 2026-11-25).' });
  }
  return isoDay(parseDay(day, new Date(0), 'day'));
}

/** Combine daily_summary rows into one period's statistics. */
export function periodStatistics(rows: readonly DailySummaryTable[]): PeriodStatistics {
  const sum = (pick: (r: DailySummaryTable) => number): number => rows.reduce((s, r) => s + pick(r), 0);
  const queries = sum((r) => r.total_queries);
  const errors = sum((r) => r.error_count);
  const pct = (n: number): number | null => (queries === 0 ? null : (100 * n) / queries);
  const histogram = LatencyHistogram.empty();
  for (const r of rows) histogram.merge(LatencyHistogram.fromJSON(r.latency_histogram));
  const ttftHistogram = LatencyHistogram.empty();
  for (const r of rows) if (r.ttft_count > 0) ttftHistogram.merge(LatencyHistogram.fromJSON(r.ttft_histogram));
  const ttftQueries = sum((r) => r.ttft_count);
  const rated = sum((r) => r.tokens_per_second_count);
  const categoryCount: Record<QueryCategory, number> = {
    pure_trained: sum((r) => r.cat_pure_trained),
    tools: sum((r) => r.cat_tools),
    history: sum((r) => r.cat_history),
    trainai: sum((r) => r.cat_trainai),
    graph: sum((r) => r.cat_graph),
    multiple: sum((r) => r.cat_multiple),
  };
  return {
    queries,
    errors,
    errorRatePct: pct(errors),
    avgLatencyMs: queries === 0 ? null : sum((r) => r.latency_sum_ms) / queries,
    p50LatencyMs: histogram.quantile(0.5),
    p95LatencyMs: histogram.quantile(0.95),
    maxLatencyMs: queries === 0 ? null : Math.max(...rows.map((r) => r.latency_max_ms)),
    hitRatePct: {
      history: pct(sum((r) => r.used_history)),
      tools: pct(sum((r) => r.used_tools)),
      trainai: pct(sum((r) => r.used_trainai)),
      graph: pct(sum((r) => r.used_graph)),
    },
    categories: Object.fromEntries(QUERY_CATEGORIES.map((c) => [c, { count: categoryCount[c], pct: pct(categoryCount[c]) }])) as PeriodStatistics['categories'],
    tokensGenerated: sum((r) => r.tokens_generated_sum),
    feedback: { up: sum((r) => r.feedback_up), down: sum((r) => r.feedback_down) },
    ttft: {
      queries: ttftQueries,
      avgMs: ttftQueries === 0 ? null : sum((r) => r.ttft_sum_ms) / ttftQueries,
      p50Ms: ttftHistogram.quantile(0.5),
      p95Ms: ttftHistogram.quantile(0.95),
    },
    tokensIn: sum((r) => r.tokens_in_sum),
    avgTokensPerSecond: rated === 0 ? null : sum((r) => r.tokens_per_second_sum) / rated,
  };
}
