import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { sharedPostgres } from '@web4/local-services';
import { MetricsReader, PostgresFeedbackStore, PostgresMetricsStore } from '@web4/metrics-store';
import { existsSync } from 'node:fs';
import { buildDashboardData } from './dashboard/dashboard-data.js';
import { startGateway } from './server.js';
import { startOllamaStandIn, type OllamaStandIn } from './test-support/ollama-stand-in.js';
import { queryRows, tempRoot } from './test-support/temp-root.js';
import type { RunningGateway } from './types.js';

function post(url: string, path: string, body: string): Promise<{ status: number; id: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, id: res.headers['x-web4-query-id'] as string | undefined, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the gateway with storage.url = postgres://', () => {
  let url: string;
  let standIn: OllamaStandIn;
  let gateway: RunningGateway;
  let t: ReturnType<typeof tempRoot>;

  beforeAll(async () => {
    const server = await sharedPostgres(inject('postgresSlot'));
    url = server.createDatabase(`gateway_${randomBytes(4).toString('hex')}`);
    t = tempRoot({ storage: { url } } as never);
    standIn = await startOllamaStandIn();
    gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await standIn?.close();
    t?.remove();
  });

  it('logs each query into PostgreSQL, rates it there (query row, day counters, feedback row), and the dashboard reads the same', async () => {
    const chat = JSON.stringify({ model: 'web4-base', stream: false, messages: [{ role: 'user', content: 'Say hello' }] });
    const answers = await Promise.all(Array.from({ length: 30 }, () => post(gateway.url, '/api/chat', chat)));
    expect(answers.every((a) => a.status === 200 && a.id)).toBe(true);
    const id = answers[0]!.id!;
    // Rated at once: the row may still be queued; the route flushes it to PostgreSQL first.
    const first = await post(gateway.url, '/api/feedback', JSON.stringify({ query_id: id, rating: 'up' }));
    expect(first.status, first.text).toBe(200);
    const second = await post(gateway.url, '/api/feedback', JSON.stringify({ query_id: id, rating: 'down', comment: 'wrong' }));
    expect(JSON.parse(second.text)).toMatchObject({ query_id: id, rating: 'down', replaced: true });
    expect((await post(gateway.url, '/api/feedback', JSON.stringify({ query_id: 'nope', rating: 'up' }))).status).toBe(404);

    const metrics = await PostgresMetricsStore.open(url);
    await vi.waitFor(async () => expect(await metrics.countQueries()).toBe(30), { timeout: 5000 });
    const row = await metrics.db.selectFrom('query_metrics').select(['user_feedback', 'endpoint']).where('query_id', '=', id).executeTakeFirst();
    expect(row).toEqual({ user_feedback: 'thumbs_down', endpoint: 'chat' });
    await metrics.close();
    const feedback = await PostgresFeedbackStore.open(url);
    const rated = await feedback.database.db.selectFrom('feedback').selectAll().where('query_id', '=', id).execute();
    expect(rated).toHaveLength(1);
    expect(rated[0]).toMatchObject({ rating: 'thumbs_down', comment: 'wrong', query: 'Say hello', response: 'Hello there' });
    await feedback.close();
    // Nothing went to the SQLite file's query rows (it holds the registry only).
    if (existsSync(t.paths.metricsDb)) expect(queryRows(t.paths)).toHaveLength(0);

    const now = new Date();
    const data = await buildDashboardData({ config: t.config, paths: t.paths, now, days: 1 });
    expect(data.monitoring.statistics.total.queries).toBe(30);
    expect(data.satisfaction.window).toMatchObject({ up: 0, down: 1, total: 1 });
    const reader = await MetricsReader.postgres(url);
    const day = now.toISOString().slice(0, 10);
    const [summary] = await reader.summaries(day, day);
    await reader.close();
    expect(summary).toMatchObject({ total_queries: 30, feedback_up: 0, feedback_down: 1 });
  }, 60_000);
});
