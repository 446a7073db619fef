import { describe, expect, it } from 'vitest';
import { LatencyHistogram, RELATIVE_ACCURACY } from './latency-histogram.js';

function exactNearestRank(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

// A deterministic generator so a failure can be reproduced.
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296);
}

describe('LatencyHistogram', () => {
  it('reads percentiles within the documented relative error of the exact nearest-rank value', () => {
    const rnd = lcg(7);
    const values = Array.from({ length: 20_000 }, () => Math.exp(rnd() * 10) * 0.5 + rnd()); // 0.5 ms … 11 s, skewed
    const h = LatencyHistogram.empty();
    for (const v of values) h.add(v);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1]) {
      const exact = exactNearestRank(values, q);
      const estimate = h.quantile(q)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
    }
  });

  it('merging per-day histograms equals one histogram over all values (window percentiles)', () => {
    const rnd = lcg(11);
    const days = Array.from({ length: 5 }, (_, d) => Array.from({ length: 2000 }, () => (d + 1) * 100 * rnd()));
    const merged = LatencyHistogram.empty();
    for (const day of days) {
      const h = LatencyHistogram.empty();
      for (const v of day) h.add(v);
      merged.merge(LatencyHistogram.fromJSON(h.serialize()));
    }
    const all = days.flat();
    expect(merged.count).toBe(all.length);
    const exact = exactNearestRank(all, 0.95);
    expect(Math.abs(merged.quantile(0.95)! - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
  });

  it('has no percentile without data and reports sub-0.01 ms latencies as 0', () => {
    expect(LatencyHistogram.empty().quantile(0.5)).toBeNull();
    const h = LatencyHistogram.empty();
    h.add(0);
    h.add(0.001);
    h.add(100);
    expect(h.quantile(0.5)).toBe(0);
    expect(h.quantile(1)).toBeCloseTo(100, 0);
  });

  it('rejects a stored histogram that is not an object', () => {
    expect(() => LatencyHistogram.fromJSON('[1,2]')).toThrow(/JSON object/);
  });
});
