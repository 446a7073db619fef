/**
 * A log-bucketed latency histogram with a guaranteed relative error (the DDSketch mapping).
 *
 * Bucket i holds latencies in (γ^(i-1), γ^i] with γ = (1+α)/(1−α); a bucket is reported as
 * 2γ^i/(γ+1), which is within α of every value in it. With α = 1 % a percentile read from the
 * histogram is within 1 % of the true nearest-rank percentile, for any number of days merged,
 * at ≈ 1,000 buckets over 0.01 ms … 1 hour (stored sparse: only the buckets that occur).
 * Latencies below MIN_TRACKED_MS (0.01 ms) share bucket "z" and are reported as 0.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
export const MIN_TRACKED_MS = 0.01;
const ZERO_BUCKET = 'z';

/** Sparse counts by bucket key; keys are decimal bucket indexes or "z". */
export type LatencyBuckets = Record<string, number>;

function bucketValue(index: number): number {
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

export class LatencyHistogram {
  // Numeric keys in memory (the hot path adds one value per logged query); string keys on disk.
  private constructor(
    private readonly buckets: Map<number, number>,
    private zero: number,
  ) {}

  static empty(): LatencyHistogram {
    return new LatencyHistogram(new Map(), 0);
  }

  /** From the stored JSON; a malformed value is an error rather than silently empty. */
  static fromJSON(text: string): LatencyHistogram {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('latency histogram must be a JSON object');
    const h = LatencyHistogram.empty();
    for (const [key, count] of Object.entries(parsed as LatencyBuckets)) {
      if (typeof count !== 'number') throw new TypeError(`latency histogram bucket ${key} has a non-numeric count`);
      if (key === ZERO_BUCKET) h.zero += count;
      else h.buckets.set(Number(key), (h.buckets.get(Number(key)) ?? 0) + count);
    }
    return h;
  }

  add(latencyMs: number, count = 1): void {
    if (latencyMs < MIN_TRACKED_MS) {
      this.zero += count;
      return;
    }
    const index = Math.ceil(Math.log(latencyMs) / LOG_GAMMA);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
  }

  merge(other: LatencyHistogram): this {
    this.zero += other.zero;
    for (const [index, count] of other.buckets) this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
    return this;
  }

  get count(): number {
    let n = this.zero;
    for (const c of this.buckets.values()) n += c;
    return n;
  }

  /**
   * Nearest-rank percentile (q in 0..1): the value of rank ⌈q·n⌉ among the sorted latencies,
   * within RELATIVE_ACCURACY of the exact one. Null for an empty histogram.
   */
  quantile(q: number): number | null {
    const n = this.count;
    if (n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * n));
    if (rank <= this.zero) return 0;
    let seen = this.zero;
    const indexes = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) return bucketValue(index);
    }
    return bucketValue(indexes[indexes.length - 1]!);
  }

  toJSON(): LatencyBuckets {
    const out: LatencyBuckets = {};
    if (this.zero > 0) out[ZERO_BUCKET] = this.zero;
    for (const [index, count] of this.buckets) out[String(index)] = count;
    return out;
  }

  serialize(): string {
    return JSON.stringify(this.toJSON());
  }
}
