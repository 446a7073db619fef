import { Agent, request } from 'node:http';

/** The nearest-rank percentile of `values` (0 < p ≤ 100); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Reply {
  status: number;
  text: string;
  ms: number;
}

/** One POST with a JSON body, read to its end; `ms` from the call to the last byte. */
export function post(url: string, body: string, agent: Agent): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface LoadResult {
  requests: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * A closed loop: `concurrency` clients on kept-alive connections, each sending the next request
 * as soon as its previous answer ended, for `seconds`. Every request counts in `requests`
 * (a failed one in `failed` too); latencies are of the successful ones.
 */
export async function closedLoop(url: string, body: string, o: { concurrency: number; seconds: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const latencies: number[] = [];
  let requests = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + o.seconds * 1000;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      requests++;
      try {
        const r = await post(url, body, agent);
        if (r.status === 200) latencies.push(r.ms);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, failed, seconds, perSecond: (requests - failed) / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}
