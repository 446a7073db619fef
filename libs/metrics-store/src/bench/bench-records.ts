import { newQueryId } from '../query-id.js';
import type { QueryRecord } from '../query-record.js';

/** Helpers of the metrics-store benches (metrics-store.bench.ts on SQLite, postgres.bench.ts). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The median of `reps` timed calls of `fn`, after one untimed warm-up call (ms). */
export async function timeIt(fn: () => unknown, reps = 7): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/**
 * Realistic records over [startMs, startMs + spanMs): a fifth with retrieval, some errors, varied
 * latency, from a seeded generator (the same records each run). `gateway`: also the per-call
 * fields the gateway logs (a UUIDv7 query id, endpoint, model, TTFT, tokens in, tokens/s).
 */
export function makeRecords(n: number, startMs: number, spanMs: number, options: { seed?: number; gateway?: boolean } = {}): QueryRecord[] {
  let s = options.seed ?? 1;
  const rnd = (): number => (s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296;
  const out: QueryRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const timestamp = new Date(startMs + Math.floor((i / n) * spanMs));
    const record: QueryRecord = {
      timestamp,
      queryType: r < 0.5 ? 'code_generation' : 'chat',
      latencyMs: 50 + Math.exp(rnd() * 7.5),
      usedHistory: r < 0.15,
      usedTools: r > 0.62 && r < 0.92,
      usedTrainai: r > 0.94,
      usedGraph: r > 0.985,
      tokensGenerated: Math.floor(rnd() * 800),
      error: r > 0.97 && r < 0.99 ? 'model timeout' : null,
    };
    if (options.gateway) {
      Object.assign(record, {
        queryId: newQueryId(timestamp.getTime()),
        endpoint: 'chat',
        model: 'web4-agent:latest',
        modelVersion: 'v20261124_220000',
        ttftMs: 20 + (i % 400),
        tokensIn: 100 + (i % 900),
        tokensPerSecond: 5 + (i % 40),
      });
    }
    out[i] = record;
  }
  return out;
}
