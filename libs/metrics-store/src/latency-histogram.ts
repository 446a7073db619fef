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

export function bucketKey(latencyMs: number): string {
  if (latencyMs < MIN_TRACKED_MS) return ZERO_BUCKET;
  return String(Math.ceil(Math.log(latencyMs) / LOG_GAMMA));
}

function bucketValue(key: string): number {
  if (key === ZERO_BUCKET) return 0;
  return (2 * Math.pow(GAMMA, Number(key))) / (GAMMA + 1);
}

export class LatencyHistogram {
  private constructor(private readonly buckets: LatencyBuckets) {}

  static empty(): LatencyHistogram {
    return new LatencyHistogram({});
  }

  /** From the stored JSON; a malformed value is an error rather than silently empty. */
  static fromJSON(text: string): LatencyHistogram {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('latency histogram must be a JSON object');
    return new LatencyHistogram({ ...(parsed as LatencyBuckets) });
  }

  add(latencyMs: number, count = 1): void {
    const key = bucketKey(latencyMs);
    this.buckets[key] = (this.buckets[key] ?? 0) + count;
  }

  merge(other: LatencyHistogram): this {
    for (const [key, count] of Object.entries(other.buckets)) this.buckets[key] = (this.buckets[key] ?? 0) + count;
    return this;
  }

  get count(): number {
    let n = 0;
    for (const c of Object.values(this.buckets)) n += c;
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
    const keys = Object.keys(this.buckets).sort((a, b) => bucketOrder(a) - bucketOrder(b));
    let seen = 0;
    for (const key of keys) {
      seen += this.buckets[key]!;
      if (seen >= rank) return bucketValue(key);
    }
    return bucketValue(keys[keys.length - 1]!);
  }

  toJSON(): LatencyBuckets {
    return this.buckets;
  }

  serialize(): string {
    return JSON.stringify(this.buckets);
  }
}

function bucketOrder(key: string): number {
  return key === ZERO_BUCKET ? -Infinity : Number(key);
}
