import { LatencyHistogram } from './latency-histogram.js';
import type { QueryCategory } from './query-category.js';
import type { QueryRow } from './query-record.js';
import type { DailySummaryTable } from './schema/metrics-database.js';

/** Counters of daily_summary that a batch adds to (everything but day, max, histograms, updated_at). */
export const ROLLUP_COUNTERS = [
  'total_queries',
  'error_count',
  'latency_sum_ms',
  'tokens_generated_sum',
  'used_history',
  'used_tools',
  'used_trainai',
  'used_graph',
  'cat_pure_trained',
  'cat_tools',
  'cat_history',
  'cat_trainai',
  'cat_graph',
  'cat_multiple',
  'feedback_up',
  'feedback_down',
  'ttft_count',
  'ttft_sum_ms',
  'tokens_in_sum',
  'tokens_per_second_count',
  'tokens_per_second_sum',
] as const;
export type RollupCounter = (typeof ROLLUP_COUNTERS)[number];

const CATEGORY_COUNTER: Record<QueryCategory, RollupCounter> = {
  pure_trained: 'cat_pure_trained',
  tools: 'cat_tools',
  history: 'cat_history',
  trainai: 'cat_trainai',
  graph: 'cat_graph',
  multiple: 'cat_multiple',
};

/** The histograms of a day's stored daily_summary row, merged with a batch's on write. */
export interface StoredHistograms {
  latency_histogram: string;
  ttft_histogram: string;
}

/** What one batch adds to one day's daily_summary row; built outside the write lock. */
export class DailyRollup {
  readonly counters: Record<RollupCounter, number> = Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Record<RollupCounter, number>;
  latencyMax = 0;
  readonly histogram = LatencyHistogram.empty();
  readonly ttftHistogram = LatencyHistogram.empty();

  constructor(readonly day: string) {}

  add(row: QueryRow): void {
    const c = this.counters;
    const latency = row[3];
    c.total_queries++;
    c.latency_sum_ms += latency;
    if (latency > this.latencyMax) this.latencyMax = latency;
    this.histogram.add(latency);
    if (row[10] !== null) c.error_count++;
    if (row[8] !== null) c.tokens_generated_sum += row[8];
    c.used_history += row[4];
    c.used_tools += row[5];
    c.used_trainai += row[6];
    c.used_graph += row[7];
    c[CATEGORY_COUNTER[row[2]]]++;
    if (row[9] === 'thumbs_up') c.feedback_up++;
    else if (row[9] === 'thumbs_down') c.feedback_down++;
    const ttft = row[16];
    if (ttft !== null) {
      c.ttft_count++;
      c.ttft_sum_ms += ttft;
      this.ttftHistogram.add(ttft);
    }
    if (row[17] !== null) c.tokens_in_sum += row[17];
    if (row[18] !== null) {
      c.tokens_per_second_count++;
      c.tokens_per_second_sum += row[18];
    }
  }

  /** Group rows by UTC day (the first 10 characters of the ISO timestamp). */
  static fromRows(rows: readonly QueryRow[], start = 0, end = rows.length): Map<string, DailyRollup> {
    const byDay = new Map<string, DailyRollup>();
    for (let i = start; i < end; i++) {
      const row = rows[i]!;
      const day = row[0].slice(0, 10);
      let rollup = byDay.get(day);
      if (!rollup) byDay.set(day, (rollup = new DailyRollup(day)));
      rollup.add(row);
    }
    return byDay;
  }

  /** The daily_summary row to upsert, with the histograms merged into what is stored. */
  toRow(stored: StoredHistograms | undefined, updatedAt: string): DailySummaryTable {
    const histogram = stored ? LatencyHistogram.fromJSON(stored.latency_histogram).merge(this.histogram) : this.histogram;
    const ttft = stored ? LatencyHistogram.fromJSON(stored.ttft_histogram).merge(this.ttftHistogram) : this.ttftHistogram;
    return {
      day: this.day,
      ...this.counters,
      latency_max_ms: this.latencyMax,
      latency_histogram: histogram.serialize(),
      ttft_histogram: ttft.serialize(),
      updated_at: updatedAt,
    };
  }
}
