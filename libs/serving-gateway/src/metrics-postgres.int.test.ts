import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sharedPostgres } from '@web4/local-services';
import { FeedbackStore } from '@web4/metrics-store';
import { GatewayMetrics } from './metrics.js';
import { startGateway } from './server.js';
import { startOllamaStandIn, type OllamaStandIn } from './test-support/ollama-stand-in.js';
import { parsePrometheusText, valueOf } from './test-support/prometheus-text.js';
import { tempRoot } from './test-support/temp-root.js';
import type { RunningGateway } from './types.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The real `web4` command (tools/web4.mjs) in this state root. */
function web4(root: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, WEB4_STATE_ROOT: root, HOME: root };
  delete env.WEB4_STORAGE__URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'tools/web4.mjs'), ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; id: string | null; json: Record<string, unknown> }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, id: r.headers.get('x-web4-query-id'), json: (await r.json()) as Record<string, unknown> };
}

describe('GET /metrics with storage.url = postgres://: the satisfaction gauges read the feedback records in PostgreSQL', () => {
  let standIn: OllamaStandIn;
  let gateway: RunningGateway;
  let metrics: GatewayMetrics;
  let t: ReturnType<typeof tempRoot>;

  beforeAll(async () => {
    const server = await sharedPostgres(inject('postgresSlot'));
    const url = server.createDatabase(`gateway_metrics_${randomBytes(4).toString('hex')}`);
    t = tempRoot({ storage: { url } } as never);
    standIn = await startOllamaStandIn();
    metrics = new GatewayMetrics({ paths: t.paths, config: t.config, stateCacheMs: 0 });
    gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0, observers: [metrics], routes: { '/metrics': metrics.handler } });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await metrics?.close();
    await standIn?.close();
    t?.remove();
  });

  it('queries rated through the gateway: the scraped ratio and counts equal `web4 feedback rate` on the same state root', async () => {
    const chat = { model: 'web4-base', stream: false, messages: [{ role: 'user', content: 'Say hello' }] };
    const answers = await Promise.all(Array.from({ length: 7 }, () => post(gateway.url, '/api/chat', chat)));
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(200));
    const ids = answers.map((a) => a.id!);
    // 5 up, 2 down; then one up replaced by a down: 4 up, 3 down.
    for (const [i, id] of ids.entries()) expect((await post(gateway.url, '/api/feedback', { query_id: id, rating: i < 5 ? 'up' : 'down' })).status).toBe(200);
    expect((await post(gateway.url, '/api/feedback', { query_id: ids[0], rating: 'down' })).json).toMatchObject({ replaced: true });

    const scrape = await fetch(`${gateway.url}/metrics`);
    expect(scrape.status).toBe(200);
    const s = parsePrometheusText(await scrape.text());
    expect(valueOf(s, 'web4_state_read_up')).toBe(1);

    for (const [window, days] of [['1d', '1'], ['7d', '7']] as const) {
      const rate = await web4(t.root, ['feedback', 'rate', '--days', days, '--json']);
      // Exit 1: 4/7 is below monitoring.targets.satisfactionPct (0 would be at or above it).
      expect({ code: rate.code, stderr: rate.stderr }).toEqual({ code: 4 / 7 >= t.config.monitoring.targets.satisfactionPct / 100 ? 0 : 1, stderr: '' });
      const figure = JSON.parse(rate.stdout) as { up: number; down: number; total: number; ratePct: number };
      expect(figure).toMatchObject({ up: 4, down: 3, total: 7 });
      expect(valueOf(s, 'web4_feedback_satisfaction_ratio', { window })).toBeCloseTo(figure.ratePct / 100, 12);
      expect(valueOf(s, 'web4_feedback_ratings', { window, rating: 'thumbs_up' })).toBe(figure.up);
      expect(valueOf(s, 'web4_feedback_ratings', { window, rating: 'thumbs_down' })).toBe(figure.down);
    }
    // The SQLite feedback file holds none of it (the gauges did not read it).
    if (existsSync(t.paths.feedbackDb)) {
      const file = FeedbackStore.open(t.paths.feedbackDb);
      try {
        expect(file.satisfaction(new Date(0), new Date(Date.now() + 86_400_000)).total).toBe(0);
      } finally {
        file.close();
      }
    }
  }, 120_000);
});
