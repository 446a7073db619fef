import { FixedClock } from '@web4/core';
import { FeedbackStore, MetricsStore } from '@web4/metrics-store';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedLabel, GatewayMetrics, NIGHT_RESULTS, OPERATION_DURATION_BUCKETS } from './metrics.js';
import { metricFamilies, parsePrometheusText, select, valueOf } from './test-support/prometheus-text.js';
import type { GatewayQueryEvent } from './types.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempRoot(): { metricsDb: string; feedbackDb: string } {
  const dir = mkdtempSync(join(tmpdir(), 'web4-gw-metrics-'));
  dirs.push(dir);
  return { metricsDb: join(dir, 'logs', 'production_metrics.db'), feedbackDb: join(dir, 'logs', 'user_feedback.db') };
}

function event(over: Partial<GatewayQueryEvent> = {}): GatewayQueryEvent {
  return {
    queryId: 'q-7f3a9c',
    timestamp: new Date('2026-11-30T10:00:00Z'),
    endpoint: 'chat',
    requestedModel: 'web4-agent',
    model: 'web4-agent:latest',
    modelVersion: 'v20261129_220000',
    stream: true,
    status: 200,
    latencyMs: 850,
    ttftMs: 120,
    tokensIn: 300,
    tokensOut: 40,
    tokensPerSecond: 50,
    routed: 'trained',
    tiersUsed: [],
    retrievalMs: 0,
    errorKind: null,
    error: null,
    question: 'How do I write a PDCA about the secret-project-42 outage?',
    ...over,
  };
}

const model = { gen_ai_request_model: 'web4-agent', gen_ai_response_model: 'web4-agent:latest' };

describe('GatewayMetrics: events in, series out', () => {
  it('records a pure-trained query in the GenAI histograms and the web4 counters', async () => {
    const m = new GatewayMetrics();
    m.onQuery(event());
    const s = parsePrometheusText(await m.metrics());
    const base = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'ollama', ...model };
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_count', base)).toBe(1);
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_sum', base)).toBeCloseTo(0.85, 9);
    // 0.85 s falls in (0.64, 1.28]: the 0.64 bucket holds 0, the 1.28 bucket 1 (cumulative).
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_bucket', { ...base, le: '0.64' })).toBe(0);
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_bucket', { ...base, le: '1.28' })).toBe(1);
    expect(select(s, 'gen_ai_client_operation_duration_seconds_bucket', base).map((x) => x.labels.le)).toEqual([...OPERATION_DURATION_BUCKETS.map(String), '+Inf']);
    expect(select(s, 'gen_ai_client_operation_duration_seconds_count', base)[0]!.labels.error_type).toBeUndefined();
    expect(valueOf(s, 'gen_ai_client_token_usage_sum', { ...base, gen_ai_token_type: 'input' })).toBe(300);
    expect(valueOf(s, 'gen_ai_client_token_usage_sum', { ...base, gen_ai_token_type: 'output' })).toBe(40);
    expect(valueOf(s, 'gen_ai_client_token_usage_bucket', { ...base, gen_ai_token_type: 'output', le: '16' })).toBe(0);
    expect(valueOf(s, 'gen_ai_client_token_usage_bucket', { ...base, gen_ai_token_type: 'output', le: '64' })).toBe(1);
    expect(valueOf(s, 'gen_ai_client_operation_time_to_first_chunk_seconds_sum', base)).toBeCloseTo(0.12, 9);
    expect(valueOf(s, 'gen_ai_server_time_per_output_token_seconds_sum', base)).toBeCloseTo(0.02, 9);
    expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'chat', routed: 'trained', status_class: '2xx' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_query_category_total', { category: 'pure_trained' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_query_category_total', { category: 'history' })).toBe(0);
    for (const tier of ['tools', 'history', 'trainai', 'graph']) expect(valueOf(s, 'web4_gateway_tier_hits_total', { tier })).toBe(0);
    expect(select(s, 'web4_gateway_errors_total')).toEqual([]);
    expect(select(s, 'web4_gateway_retrieval_duration_seconds_count')).toEqual([]);
  });

  it('counts tiers used, categories, retrieval time, errors and generate as text_completion', async () => {
    const m = new GatewayMetrics();
    m.onQuery(event({ routed: 'retrieval', tiersUsed: ['history', 'tools'], retrievalMs: 14 }));
    m.onQuery(event({ routed: 'retrieval', tiersUsed: ['history'], retrievalMs: 6 }));
    // Asked for retrieval, but nothing reached the prompt: pure trained by what was used.
    m.onQuery(event({ routed: 'retrieval', tiersUsed: [], retrievalMs: 3 }));
    m.onQuery(event({ endpoint: 'generate', status: 504, errorKind: 'upstream_timeout', error: 'Ollama did not answer within 1000 ms', ttftMs: null, tokensIn: null, tokensOut: null, tokensPerSecond: null, latencyMs: 1000 }));
    m.onQuery(event({ status: 499, errorKind: 'client_disconnect', tokensPerSecond: 40 }));
    const s = parsePrometheusText(await m.metrics());
    expect(valueOf(s, 'web4_gateway_tier_hits_total', { tier: 'history' })).toBe(2);
    expect(valueOf(s, 'web4_gateway_tier_hits_total', { tier: 'tools' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_tier_hits_total', { tier: 'graph' })).toBe(0);
    expect(valueOf(s, 'web4_gateway_query_category_total', { category: 'multiple' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_query_category_total', { category: 'history' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_query_category_total', { category: 'pure_trained' })).toBe(3);
    expect(valueOf(s, 'web4_gateway_retrieval_duration_seconds_count', { gen_ai_operation_name: 'chat' })).toBe(3);
    expect(valueOf(s, 'web4_gateway_retrieval_duration_seconds_sum', { gen_ai_operation_name: 'chat' })).toBeCloseTo(0.023, 9);
    expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'chat', routed: 'retrieval', status_class: '2xx' })).toBe(3);
    expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'generate', routed: 'trained', status_class: '5xx' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'chat', routed: 'trained', status_class: '4xx' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_errors_total', { error_type: 'upstream_timeout' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_errors_total', { error_type: 'client_disconnect' })).toBe(1);
    const timeout = { gen_ai_operation_name: 'text_completion', error_type: 'upstream_timeout' };
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_count', timeout)).toBe(1);
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_sum', timeout)).toBe(1);
    // No token counts and no first token: no token or TTFT observation for that query.
    expect(select(s, 'gen_ai_client_token_usage_count', { gen_ai_operation_name: 'text_completion' })).toEqual([]);
    expect(select(s, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', { gen_ai_operation_name: 'text_completion' })).toEqual([]);
    // Time per output token only for successful queries: 3 of the 5 (chat, no error).
    expect(valueOf(s, 'gen_ai_server_time_per_output_token_seconds_count', { gen_ai_operation_name: 'chat' })).toBe(3);
  });

  it('counts feedback by rating and replacement, and responses by route and status class', async () => {
    const m = new GatewayMetrics();
    m.onFeedback({ queryId: 'a', rating: 'thumbs_up', replaced: false });
    m.onFeedback({ queryId: 'b', rating: 'thumbs_down', replaced: false });
    m.onFeedback({ queryId: 'b', rating: 'thumbs_up', replaced: true });
    m.onResponse('/api/chat', 200);
    m.onResponse('/api/chat', 200);
    m.onResponse('/api/chat', 413);
    m.onResponse('/metrics', 200);
    const s = parsePrometheusText(await m.metrics());
    expect(valueOf(s, 'web4_gateway_feedback_total', { rating: 'thumbs_up', replaced: 'false' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_feedback_total', { rating: 'thumbs_up', replaced: 'true' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_feedback_total', { rating: 'thumbs_down', replaced: 'false' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_http_responses_total', { route: '/api/chat', status_class: '2xx' })).toBe(2);
    expect(valueOf(s, 'web4_gateway_http_responses_total', { route: '/api/chat', status_class: '4xx' })).toBe(1);
    expect(valueOf(s, 'web4_gateway_http_responses_total', { route: '/metrics', status_class: '2xx' })).toBe(1);
  });

  it('keeps labels bounded: model names capped (the rest are "other"), no query text, no ids', async () => {
    const m = new GatewayMetrics({ maxModels: 5 });
    for (let i = 0; i < 200; i++) {
      m.onQuery(event({ queryId: `qid-${i}-zz`, requestedModel: `made-up-model-${i}`, model: `made-up-model-${i}`, question: `question number ${i} about secret-project-42` }));
    }
    for (let i = 0; i < 100; i++) m.onResponse(`/weird/path/${i}`, 404);
    const text = await m.metrics();
    const s = parsePrometheusText(text);
    const models = new Set(s.flatMap((x) => [x.labels.gen_ai_request_model, x.labels.gen_ai_response_model]).filter((v): v is string => v !== undefined));
    expect(models.size).toBe(6);
    expect(models.has('other')).toBe(true);
    expect(valueOf(s, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: 'other', gen_ai_response_model: 'other' })).toBe(195);
    expect(new Set(select(s, 'web4_gateway_http_responses_total').map((x) => x.labels.route)).size).toBeLessThanOrEqual(41);
    expect(text).not.toContain('secret-project-42');
    expect(text).not.toContain('qid-');
    // Every series' label set is bounded: the whole scrape stays small however many queries came.
    expect(s.length).toBeLessThan(1200);
  });

  it('BoundedLabel: empty names are "unknown", long ones are cut, a bad cap is a RangeError', () => {
    const b = new BoundedLabel(2);
    expect(b.value('')).toBe('unknown');
    expect(b.value('x'.repeat(500))).toHaveLength(120);
    expect(b.value('third')).toBe('other');
    expect(b.value('unknown')).toBe('unknown');
    expect(() => new BoundedLabel(0)).toThrow(RangeError);
  });
});

describe('GET /metrics over HTTP', () => {
  async function serve(m: GatewayMetrics): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => void m.handler(req, res, new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return { url: `http://127.0.0.1:${address.port}/metrics`, server };
  }

  it('answers the Prometheus text format with its content type; other methods get 405', async () => {
    const m = new GatewayMetrics();
    m.onQuery(event());
    const { url, server } = await serve(m);
    try {
      const r = await fetch(url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await r.text();
      expect(metricFamilies(text).get('gen_ai_client_operation_duration_seconds')).toBe('histogram');
      expect(metricFamilies(text).get('web4_gateway_queries_total')).toBe('counter');
      expect(valueOf(parsePrometheusText(text), 'web4_gateway_queries_total', { endpoint: 'chat' })).toBe(1);
      const post = await fetch(url, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      expect(((await post.json()) as { error: string }).error).toMatch(/use GET/);
    } finally {
      server.close();
    }
  });

  it('two GatewayMetrics do not share series (each has its own registry, not the global one)', async () => {
    const a = new GatewayMetrics();
    const b = new GatewayMetrics();
    a.onQuery(event());
    expect(valueOf(parsePrometheusText(await a.metrics()), 'web4_gateway_queries_total', { endpoint: 'chat' })).toBe(1);
    expect(valueOf(parsePrometheusText(await b.metrics()), 'web4_gateway_queries_total', { endpoint: 'chat' })).toBeUndefined();
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('web4_gateway_queries_total')).toBeUndefined();
  });
});

/** A rejected-then-complete pair of nights written the way evening-loop writes them (runs table, RunRecorder). */
function writeNight(store: MetricsStore, clock: FixedClock, runId: string, outcome: 'complete' | 'rejected'): void {
  const r = store.runs;
  r.start(runId, 'night', { day: '2026-11-29' });
  const step = (name: string, details: Record<string, unknown>): void => {
    r.start(runId, name);
    clock.advance(10_000);
    r.finish(runId, name, 'done', details);
  };
  step('read_buffer', { pdcas: 6, chunks: 31 });
  step('samples', { samples: 40, replayed: 8 });
  step('train', { version: 'v20261129_220000', loss: 1.8125 });
  step('evaluate', {
    night: { production: 2.5, candidate: 2.125, base: null, tokens: 900 },
    retention: { production: 2.0, candidate: 2.03125, base: null, tokens: 700 },
    morning: { next_day: { production: 2.75, candidate: 2.5, base: 3.0, tokens: 400 } },
  });
  step('canaries', { candidate: { passed: outcome === 'complete' ? 20 : 19, total: 20 } });
  step('decide', {
    pass: outcome === 'complete',
    gates: [
      { gate: 'canaries', pass: outcome === 'complete', measured: '20/20', target: '≥ 20/20' },
      { gate: 'no-regression', pass: true, measured: 'none', target: 'none' },
      { gate: 'night-loss', pass: true, measured: '2.5 → 2.125', target: 'lower' },
      { gate: 'retention-loss', pass: true, measured: '+1.6 %', target: '≤ 2 %' },
    ],
  });
  clock.advance(5_000);
  r.finish(runId, 'night', 'done', { status: outcome });
}

describe('state gauges read from the state root (real SQLite, written through metrics-store)', () => {
  it('reads the last night, the last morning check and satisfaction; absent before anything is recorded', async () => {
    const paths = tempRoot();
    const clock = new FixedClock('2026-11-29T22:00:00Z');
    const m = new GatewayMetrics({ paths, clock, stateCacheMs: 0 });
    try {
      let s = parsePrometheusText(await m.metrics());
      expect(valueOf(s, 'web4_state_read_up')).toBe(1);
      expect(select(s, 'web4_night_last_result')).toEqual([]);
      expect(select(s, 'web4_morning_last_pass_ratio')).toEqual([]);
      expect(select(s, 'web4_feedback_satisfaction_ratio')).toEqual([]);
      expect(valueOf(s, 'web4_feedback_ratings', { window: '7d', rating: 'thumbs_up' })).toBe(0);

      const store = MetricsStore.open(paths.metricsDb, { clock });
      const feedback = FeedbackStore.open(paths.feedbackDb, { clock });
      try {
        writeNight(store, clock, 'night_20261128_220000', 'rejected');
        clock.advance(86_400_000);
        writeNight(store, clock, 'night_20261129_220000', 'complete');
        const finishedAt = clock.now().getTime() / 1000;
        store.validations.record({ model: 'web4-agent:latest', passed: false, totalCases: 20, passedCases: 13, runAt: new Date('2026-11-30T06:00:00Z') });
        store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 20, passedCases: 16, runAt: new Date('2026-12-01T06:00:00Z') });
        clock.advance(12 * 3_600_000);
        for (const rating of ['up', 'up', 'down']) feedback.add({ query: 'q', response: 'a', rating });
        feedback.add({ query: 'old', response: 'a', rating: 'down', timestamp: new Date(clock.now().getTime() - 3 * 86_400_000) });

        s = parsePrometheusText(await m.metrics());
        for (const result of NIGHT_RESULTS) expect(valueOf(s, 'web4_night_last_result', { result })).toBe(result === 'complete' ? 1 : 0);
        expect(valueOf(s, 'web4_night_last_timestamp_seconds')).toBe(finishedAt);
        expect(valueOf(s, 'web4_night_last_items')).toBe(6);
        expect(valueOf(s, 'web4_night_last_train_loss')).toBe(1.8125);
        expect(valueOf(s, 'web4_night_last_loss', { set: 'night', model: 'candidate' })).toBe(2.125);
        expect(valueOf(s, 'web4_night_last_loss', { set: 'night', model: 'production' })).toBe(2.5);
        expect(valueOf(s, 'web4_night_last_loss', { set: 'night', model: 'base' })).toBeUndefined();
        expect(valueOf(s, 'web4_night_last_loss', { set: 'retention', model: 'candidate' })).toBe(2.03125);
        expect(valueOf(s, 'web4_night_last_loss', { set: 'next_day', model: 'base' })).toBe(3);
        expect(valueOf(s, 'web4_night_last_canaries_passed')).toBe(20);
        expect(valueOf(s, 'web4_night_last_canaries_total')).toBe(20);
        expect(valueOf(s, 'web4_night_last_gate_passed', { gate: 'canaries' })).toBe(1);
        expect(valueOf(s, 'web4_night_last_gate_passed', { gate: 'retention-loss' })).toBe(1);
        expect(valueOf(s, 'web4_night_last_runtime_seconds')).toBe(65);
        expect(valueOf(s, 'web4_morning_last_pass_ratio')).toBe(0.8);
        expect(valueOf(s, 'web4_morning_last_passed')).toBe(1);
        expect(valueOf(s, 'web4_morning_last_improvement_points')).toBe(15);
        expect(valueOf(s, 'web4_morning_last_timestamp_seconds')).toBe(Date.parse('2026-12-01T06:00:00Z') / 1000);
        expect(valueOf(s, 'web4_feedback_satisfaction_ratio', { window: '1d' })).toBeCloseTo(2 / 3, 12);
        expect(valueOf(s, 'web4_feedback_satisfaction_ratio', { window: '7d' })).toBe(0.5);
        expect(valueOf(s, 'web4_feedback_ratings', { window: '7d', rating: 'thumbs_down' })).toBe(2);

        // A night that stops at a step: result open, and the gates it never reached are absent.
        store.runs.start('night_20261130_220000', 'night', {});
        store.runs.start('night_20261130_220000', 'read_buffer');
        store.runs.finish('night_20261130_220000', 'read_buffer', 'done', { pdcas: 3, chunks: 9 });
        store.runs.start('night_20261130_220000', 'samples');
        store.runs.finish('night_20261130_220000', 'samples', 'failed', { error: { code: 'E', message: 'boom', hint: null } });
        s = parsePrometheusText(await m.metrics());
        expect(valueOf(s, 'web4_night_last_result', { result: 'open' })).toBe(1);
        expect(valueOf(s, 'web4_night_last_result', { result: 'complete' })).toBe(0);
        expect(valueOf(s, 'web4_night_last_items')).toBe(3);
        expect(select(s, 'web4_night_last_gate_passed')).toEqual([]);
        expect(select(s, 'web4_night_last_loss')).toEqual([]);
      } finally {
        store.close();
        feedback.close();
      }
    } finally {
      await m.close();
    }
  });

  it('reuses one read for stateCacheMs, then reads again', async () => {
    const paths = tempRoot();
    const clock = new FixedClock('2026-12-01T07:00:00Z');
    const m = new GatewayMetrics({ paths, clock, stateCacheMs: 60_000 });
    const store = MetricsStore.open(paths.metricsDb, { clock });
    try {
      store.validations.record({ model: 'm', passed: true, totalCases: 4, passedCases: 4 });
      expect(valueOf(parsePrometheusText(await m.metrics()), 'web4_morning_last_pass_ratio')).toBe(1);
      store.validations.record({ model: 'm', passed: false, totalCases: 4, passedCases: 1 });
      expect(valueOf(parsePrometheusText(await m.metrics()), 'web4_morning_last_pass_ratio')).toBe(1);
      const fresh = new GatewayMetrics({ paths, clock, stateCacheMs: 0 });
      expect(valueOf(parsePrometheusText(await fresh.metrics()), 'web4_morning_last_pass_ratio')).toBe(0.25);
      await fresh.close();
    } finally {
      store.close();
      await m.close();
    }
  });

  it('a damaged database leaves the state gauges out (web4_state_read_up 0) and /metrics still answers', async () => {
    const paths = tempRoot();
    mkdirSync(join(paths.metricsDb, '..'), { recursive: true });
    writeFileSync(paths.metricsDb, 'this is not a SQLite database, it is a text file that someone put here'.repeat(100));
    const m = new GatewayMetrics({ paths, stateCacheMs: 0 });
    m.onQuery(event());
    const s = parsePrometheusText(await m.metrics());
    expect(valueOf(s, 'web4_state_read_up')).toBe(0);
    expect(select(s, 'web4_night_last_result')).toEqual([]);
    expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'chat' })).toBe(1);
    await m.close();
  });

  it('without a state root there are no state gauges at all', async () => {
    const text = await new GatewayMetrics().metrics();
    expect(metricFamilies(text).has('web4_night_last_result')).toBe(false);
    expect(metricFamilies(text).has('web4_state_read_up')).toBe(false);
  });
});

describe('GET /metrics on a running gateway (startGateway, a local Ollama stand-in, a temporary state root)', () => {
  it('counts what the gateway served, and reads the state root the gateway writes', async () => {
    const { startGateway } = await import('./server.js');
    const { startOllamaStandIn } = await import('./test-support/ollama-stand-in.js');
    const { tempRoot: gatewayRoot } = await import('./test-support/temp-root.js');
    const t = gatewayRoot();
    const standIn = await startOllamaStandIn();
    const metrics = new GatewayMetrics({ paths: t.paths, stateCacheMs: 0 });
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0, observers: [metrics], routes: { '/metrics': metrics.handler } });
    try {
      const chat = (model: string, stream: boolean) =>
        fetch(`${gateway.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello' }] }) });
      expect((await chat('web4-base', false)).status).toBe(200);
      const streamed = await chat('web4-base', true);
      await streamed.text();
      expect(streamed.status).toBe(200);
      expect((await chat('no-such-model', false)).status).toBe(404);
      const r = await fetch(`${gateway.url}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const s = parsePrometheusText(await r.text());
      expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'chat', routed: 'trained', status_class: '2xx' })).toBe(2);
      expect(valueOf(s, 'web4_gateway_queries_total', { endpoint: 'chat', routed: 'trained', status_class: '4xx' })).toBe(1);
      expect(valueOf(s, 'web4_gateway_errors_total', { error_type: 'unknown_model' })).toBe(1);
      // The stand-in's counts (prompt_eval_count 7, eval_count 2), as Ollama reports them.
      expect(valueOf(s, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: 'output', gen_ai_request_model: 'web4-base', gen_ai_response_model: 'web4-base:latest' })).toBe(4);
      expect(valueOf(s, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', { gen_ai_request_model: 'web4-base', gen_ai_response_model: 'web4-base:latest' })).toBe(2);
      expect(valueOf(s, 'web4_gateway_query_category_total', { category: 'pure_trained' })).toBe(3);
      expect(valueOf(s, 'web4_gateway_http_responses_total', { route: '/api/chat', status_class: '2xx' })).toBe(2);
      expect(valueOf(s, 'web4_state_read_up')).toBe(1);
    } finally {
      await gateway.close();
      await metrics.close();
      await standIn.close();
      t.remove();
    }
  });
});
