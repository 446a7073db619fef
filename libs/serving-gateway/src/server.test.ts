import { FeedbackStore } from '@web4/metrics-store';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway } from './server.js';
import { startOllamaStandIn, type OllamaStandIn } from './test-support/ollama-stand-in.js';
import { queryRows, tempRoot } from './test-support/temp-root.js';
import type { FeedbackEvent, GatewayQueryEvent, RunningGateway } from './types.js';

/**
 * The gateway against a local Ollama stand-in (a real HTTP server that answers at once, never
 * answers, or drips forever): bad input, time limits, a dead upstream, a client that goes away,
 * 1,000 connections at once and the bearer token. Every case checks the query_metrics rows in a
 * real SQLite file: one per query, none lost, none twice.
 */
const GATEWAY = { connectTimeoutMs: 500, upstreamTimeoutMs: 800, maxBodyBytes: 4096 };
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

function call(url: string, path: string, o: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'), headers: { 'content-type': 'application/json', ...o.headers }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const chatBody = (stream: boolean, model = 'web4-base') => JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello' }] });

describe('gateway against an instant Ollama stand-in', () => {
  const t = tempRoot({ gateway: GATEWAY });
  let standIn: OllamaStandIn;
  let gateway: RunningGateway;
  const events: GatewayQueryEvent[] = [];
  const feedback: FeedbackEvent[] = [];
  let rowsBefore = 0;

  beforeAll(async () => {
    standIn = await startOllamaStandIn();
    gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0, observers: [{ onQuery: (e) => events.push(e), onFeedback: (e) => feedback.push(e) }] });
  });
  afterAll(async () => {
    await gateway.close();
    await standIn.close();
    t.remove();
  });

  it('answers chat, streamed and not, with the query id in the header and in the last object; one row each', async () => {
    const plain = await call(gateway.url, '/api/chat', { body: chatBody(false) });
    expect(plain.status).toBe(200);
    const answer = JSON.parse(plain.text) as { message: { content: string }; web4_query_id: string; eval_count: number };
    expect(answer.message.content).toBe('Hello there');
    expect(answer.web4_query_id).toBe(plain.headers['x-web4-query-id']);
    expect(answer.eval_count).toBe(2);

    const streamed = await call(gateway.url, '/api/generate', { body: JSON.stringify({ model: 'web4-base', prompt: 'Say hello' }) });
    expect(streamed.headers['content-type']).toBe('application/x-ndjson');
    const lines = streamed.text.trim().split('\n').map((l) => JSON.parse(l) as { response: string; done: boolean; web4_query_id?: string });
    expect(lines.map((l) => l.response).join('')).toBe('Hello there');
    expect(lines.at(-1)).toMatchObject({ done: true, web4_query_id: streamed.headers['x-web4-query-id'] });
    expect(lines.slice(0, -1).every((l) => l.web4_query_id === undefined)).toBe(true);

    await vi.waitFor(() => expect(queryRows(t.paths).length).toBe(rowsBefore + 2), { timeout: 5000 });
    const rows = queryRows(t.paths).slice(rowsBefore);
    rowsBefore += 2;
    expect(rows.map((r) => r.query_id)).toEqual([plain.headers['x-web4-query-id'], streamed.headers['x-web4-query-id']]);
    for (const r of rows) {
      expect(r).toMatchObject({ model: 'web4-base:latest', model_version: 'base', tokens_in: 7, tokens_generated: 2, error: null, error_kind: null, used_tools: 0 });
      expect(r.tokens_per_second).toBeCloseTo(2 / 0.0005, 0);
      expect(r.latency_ms).toBeGreaterThan(0);
    }
    expect(rows.map((r) => r.endpoint)).toEqual(['chat', 'generate']);
    expect(rows[0]!.ttft_ms).toBeGreaterThan(0);
    expect(events.slice(-2).map((e) => [e.endpoint, e.stream, e.routed, e.status])).toEqual([
      ['chat', false, 'trained', 200],
      ['generate', true, 'trained', 200],
    ]);
  });

  it('passes other /api paths through unchanged and records no query for them', async () => {
    const version = await call(gateway.url, '/api/version');
    expect(JSON.parse(version.text)).toEqual({ version: '0.0.0-stand-in' });
    const missing = await call(gateway.url, '/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: 'stand-in: no /api/nothing-here' });
    await new Promise((r) => setTimeout(r, 300));
    expect(queryRows(t.paths)).toHaveLength(rowsBefore);
  });

  it('malformed JSON: 400 in Ollama\'s error shape, recorded as bad_request', async () => {
    const reply = await call(gateway.url, '/api/chat', { body: '{"model": "web4-base", "messages": [' });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error).toMatch(/not valid JSON/);
    const wrongShape = await call(gateway.url, '/api/chat', { body: JSON.stringify({ model: 'web4-base', messages: 'hello' }) });
    expect(wrongShape.status).toBe(400);
    expect(JSON.parse(wrongShape.text).error).toMatch(/"messages" must be an array/);
    await vi.waitFor(() => expect(queryRows(t.paths).length).toBe(rowsBefore + 2), { timeout: 5000 });
    const rows = queryRows(t.paths).slice(rowsBefore);
    rowsBefore += 2;
    expect(rows.map((r) => [r.query_id, r.error_kind])).toEqual([
      [reply.headers['x-web4-query-id'], 'bad_request'],
      [wrongShape.headers['x-web4-query-id'], 'bad_request'],
    ]);
    expect(standIn.requests.get('/api/chat')).toBe(1); // neither reached Ollama
  });

  it('a body over gateway.maxBodyBytes: 413, declared or streamed, never buffered whole', async () => {
    const big = JSON.stringify({ model: 'web4-base', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    const declared = await call(gateway.url, '/api/chat', { body: big });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).error).toMatch(/over the gateway's limit of 4096 bytes.*gateway\.maxBodyBytes/);
    const chunked = await call(gateway.url, '/api/generate', { body: big, headers: { 'transfer-encoding': 'chunked' } });
    expect(chunked.status).toBe(413);
    await vi.waitFor(() => expect(queryRows(t.paths).length).toBe(rowsBefore + 2), { timeout: 5000 });
    const rows = queryRows(t.paths).slice(rowsBefore);
    rowsBefore += 2;
    expect(rows.map((r) => r.error_kind)).toEqual(['body_too_large', 'body_too_large']);
  });

  it('an unknown model: Ollama\'s 404 passed on and recorded as unknown_model', async () => {
    const reply = await call(gateway.url, '/api/chat', { body: chatBody(true, 'no-such-model') });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text).error).toMatch(/no-such-model/);
    await vi.waitFor(() => expect(queryRows(t.paths).length).toBe(rowsBefore + 1), { timeout: 5000 });
    expect(queryRows(t.paths).at(-1)).toMatchObject({ error_kind: 'unknown_model', model: 'no-such-model', model_version: null });
    rowsBefore += 1;
  });

  it('feedback: unknown id 404, bad rating 400, a second rating replaces the first', async () => {
    const unknown = await call(gateway.url, '/api/feedback', { body: JSON.stringify({ query_id: 'no-such-id', rating: 'up' }) });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error).toMatch(/No query with id "no-such-id"/);
    const answered = await call(gateway.url, '/api/chat', { body: chatBody(false) });
    const id = answered.headers['x-web4-query-id'] as string;
    rowsBefore += 1;
    const bad = await call(gateway.url, '/api/feedback', { body: JSON.stringify({ query_id: id, rating: 'meh' }) });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatch(/"rating" must be "up" or "down"/);
    // Rated at once: the row may still be queued in the logger; the gateway flushes it first.
    const first = await call(gateway.url, '/api/feedback', { body: JSON.stringify({ query_id: id, rating: 'up', comment: 'good' }) });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ query_id: id, rating: 'up', replaced: false });
    const second = await call(gateway.url, '/api/feedback', { body: JSON.stringify({ query_id: id, rating: 'down', comment: 'wrong after all' }) });
    expect(JSON.parse(second.text)).toMatchObject({ query_id: id, rating: 'down', replaced: true });
    expect(feedback.slice(-2)).toEqual([
      { queryId: id, rating: 'thumbs_up', replaced: false },
      { queryId: id, rating: 'thumbs_down', replaced: true },
    ]);
    const store = FeedbackStore.open(t.paths.feedbackDb);
    try {
      const rows = store.file.allNow(store.file.db.selectFrom('feedback').selectAll().where('query_id', '=', id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ rating: 'thumbs_down', comment: 'wrong after all', query: 'Say hello', response: 'Hello there' });
    } finally {
      store.close();
    }
    expect(queryRows(t.paths).find((r) => r.query_id === id)?.user_feedback).toBe('thumbs_down');
    expect(queryRows(t.paths)).toHaveLength(rowsBefore); // feedback adds no query row
  });

  it('1,000 concurrent connections: every one answered, exactly one row per query', async () => {
    const before = queryRows(t.paths).length;
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => call(gateway.url, i % 2 ? '/api/chat' : '/api/generate', { body: i % 2 ? chatBody(i % 4 === 1) : JSON.stringify({ model: 'web4-base', prompt: `hi ${i}`, stream: i % 4 === 0 }) })));
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const ids = replies.map((r) => r.headers['x-web4-query-id'] as string);
    expect(new Set(ids).size).toBe(1000);
    const versions = await Promise.all(Array.from({ length: 1000 }, () => call(gateway.url, '/api/version')));
    expect(versions.every((r) => r.status === 200)).toBe(true);
    await vi.waitFor(() => expect(queryRows(t.paths).length).toBe(before + 1000), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    const rows = queryRows(t.paths).slice(before);
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r.query_id))).toEqual(new Set(ids));
    expect(rows.every((r) => r.error === null && r.tokens_generated === 2)).toBe(true);
    rowsBefore = before + 1000;
  }, 60_000);
});

describe('gateway faults', () => {
  it('an Ollama that never answers: 504 within upstreamTimeoutMs, recorded as upstream_timeout', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const standIn = await startOllamaStandIn({ mode: 'hang' });
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0 });
    try {
      const started = performance.now();
      const reply = await call(gateway.url, '/api/chat', { body: chatBody(true) });
      const elapsed = performance.now() - started;
      expect(reply.status).toBe(504);
      expect(JSON.parse(reply.text).error).toMatch(/did not start answering within 800 ms.*gateway\.upstreamTimeoutMs/);
      expect(elapsed).toBeGreaterThanOrEqual(750);
      expect(elapsed).toBeLessThan(2000);
      const passthrough = await call(gateway.url, '/api/tags');
      expect(passthrough.status).toBe(504);
    } finally {
      await gateway.close();
      await standIn.close();
    }
    expect(queryRows(t.paths).map((r) => [r.error_kind, JSON.parse(r.error_context!).status])).toEqual([['upstream_timeout', 504]]);
    t.remove();
  });

  it('an Ollama that stops mid-answer: the stream ends with an error line after upstreamTimeoutMs, recorded as upstream_timeout', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const standIn = await startOllamaStandIn({ mode: 'stall' });
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0 });
    try {
      const started = performance.now();
      const streamed = await call(gateway.url, '/api/chat', { body: chatBody(true) });
      expect(performance.now() - started).toBeLessThan(2000);
      const lines = streamed.text.trim().split('\n').map((l) => JSON.parse(l) as { error?: string });
      expect(lines).toHaveLength(2);
      expect(lines[1]!.error).toMatch(/stopped sending its answer.*for 800 ms/);
      const whole = await call(gateway.url, '/api/chat', { body: chatBody(false) });
      expect(whole.status).toBe(504);
      expect(JSON.parse(whole.text).error).toMatch(/stopped sending its answer/);
    } finally {
      await gateway.close();
      await standIn.close();
    }
    expect(queryRows(t.paths).map((r) => r.error_kind)).toEqual(['upstream_timeout', 'upstream_timeout']);
    t.remove();
  });

  it('a dead Ollama (closed port): 502 at once, recorded as upstream_unavailable', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: `http://127.0.0.1:${port}`, port: 0 });
    try {
      const started = performance.now();
      const reply = await call(gateway.url, '/api/generate', { body: JSON.stringify({ model: 'web4-base', prompt: 'hi', stream: false }) });
      expect(reply.status).toBe(502);
      expect(JSON.parse(reply.text).error).toMatch(/is not reachable \(ECONNREFUSED.*web4 services up/);
      expect(performance.now() - started).toBeLessThan(GATEWAY.connectTimeoutMs + 500);
      expect((await call(gateway.url, '/api/version')).status).toBe(502);
    } finally {
      await gateway.close();
    }
    expect(queryRows(t.paths).map((r) => r.error_kind)).toEqual(['upstream_unavailable']);
    t.remove();
  });

  it('an Ollama whose port accepts no connection (accept queue full): 502 after connectTimeoutMs, recorded', async () => {
    // A socket that listens with a backlog of 0 and never accepts: once one connection waits in its
    // queue, further connection attempts get no answer at all (their SYNs are dropped).
    const holder = spawn('python3', ['-c', 'import socket,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)']);
    const port = await new Promise<number>((resolve) => holder.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    const filler = connect(port, '127.0.0.1');
    await new Promise((r) => filler.once('connect', r));
    const t = tempRoot({ gateway: GATEWAY });
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: `http://127.0.0.1:${port}`, port: 0 });
    try {
      const started = performance.now();
      const reply = await call(gateway.url, '/api/chat', { body: chatBody(false) });
      const elapsed = performance.now() - started;
      expect(reply.status).toBe(502);
      expect(JSON.parse(reply.text).error).toMatch(/could not be reached within 500 ms.*gateway\.connectTimeoutMs/);
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(GATEWAY.upstreamTimeoutMs); // the connect limit, not the answer limit
    } finally {
      await gateway.close();
      filler.destroy();
      holder.kill();
    }
    expect(queryRows(t.paths).map((r) => r.error_kind)).toEqual(['upstream_unavailable']);
    t.remove();
  });

  it('a client that disconnects (mid-stream, or waiting for one object) cancels the request to Ollama and is recorded (499)', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const standIn = await startOllamaStandIn({ mode: 'drip', dripMs: 20 });
    const events: GatewayQueryEvent[] = [];
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0, observers: [{ onQuery: (e) => events.push(e) }] });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${gateway.url}/api/chat`, { method: 'POST', agent }, (res) => {
          res.once('data', () => {
            req.destroy(); // gone after the first chunk
            resolve();
          });
        });
        req.on('error', () => undefined);
        req.end(chatBody(true));
        setTimeout(() => reject(new Error('no chunk')), 3000);
      });
      await vi.waitFor(() => expect(standIn.cancelled).toBe(1), { timeout: 2000 });
      await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 2000 });
      expect(events[0]).toMatchObject({ status: 499, errorKind: 'client_disconnect' });
      expect(events[0]!.ttftMs).toBeGreaterThan(0);
      // Not streamed: the client waits for one object and gives up after 100 ms.
      const req = request(`${gateway.url}/api/chat`, { method: 'POST', agent });
      req.on('error', () => undefined);
      req.end(chatBody(false));
      await new Promise((r) => setTimeout(r, 100));
      req.destroy();
      await vi.waitFor(() => expect(standIn.cancelled).toBe(2), { timeout: 2000 });
      await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 2000 });
      expect(events[1]).toMatchObject({ status: 499, errorKind: 'client_disconnect', stream: false });
    } finally {
      await gateway.close();
      await standIn.close();
    }
    expect(queryRows(t.paths).map((r) => [r.error_kind, JSON.parse(r.error_context!).status])).toEqual([
      ['client_disconnect', 499],
      ['client_disconnect', 499],
    ]);
    t.remove();
  });

  it('close() ends open streams, cancels Ollama and records them', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const standIn = await startOllamaStandIn({ mode: 'drip', dripMs: 20 });
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0 });
    const got = new Promise<void>((resolve) => {
      const req = request(`${gateway.url}/api/chat`, { method: 'POST', agent }, (res) => {
        res.once('data', () => resolve());
        res.on('error', () => undefined);
        res.resume();
      });
      req.on('error', () => undefined);
      req.end(chatBody(true));
    });
    await got;
    await gateway.close();
    await vi.waitFor(() => expect(standIn.cancelled).toBe(1), { timeout: 2000 });
    await standIn.close();
    expect(queryRows(t.paths).map((r) => r.error_kind)).toEqual(['internal']);
    t.remove();
  });
});

describe('GET /: the dashboard for browsers, Ollama\'s liveness answer for everyone else', () => {
  it('an Ollama client (no Accept: text/html, or HEAD) gets "Ollama is running"; a browser gets the page', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const standIn = await startOllamaStandIn();
    const gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: standIn.url, port: 0, routes: { '/': (_req, res) => void res.end('<html>dashboard</html>') } });
    try {
      expect((await call(gateway.url, '/')).text).toBe('Ollama is running');
      expect((await fetch(`${gateway.url}/`, { method: 'HEAD' })).status).toBe(200);
      expect(standIn.requests.get('/')).toBe(2);
      expect((await call(gateway.url, '/', { headers: { accept: 'text/html,application/xhtml+xml' } })).text).toBe('<html>dashboard</html>');
      expect(standIn.requests.get('/')).toBe(2);
    } finally {
      await gateway.close();
      await standIn.close();
      t.remove();
    }
  });
});

describe('bearer token', () => {
  it('refuses a non-loopback address without a token, naming the variable to set', async () => {
    const t = tempRoot({ gateway: { ...GATEWAY, tokenEnv: 'MY_GATEWAY_TOKEN' } });
    await expect(startGateway({ config: t.config, paths: t.paths, ollamaUrl: 'http://127.0.0.1:1', host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      message: expect.stringMatching(/will not listen on 0\.0\.0\.0 without a bearer token/),
      hint: expect.stringMatching(/MY_GATEWAY_TOKEN.*config\.gateway\.tokenEnv/),
    });
    t.remove();
  });

  it('with a token: missing or wrong gets 401 on every route (no metrics row: strangers cannot fill the database); the right one passes', async () => {
    const t = tempRoot({ gateway: GATEWAY });
    const standIn = await startOllamaStandIn();
    const gateway = await startGateway({
      config: t.config,
      paths: t.paths,
      ollamaUrl: standIn.url,
      host: '0.0.0.0',
      port: 0,
      token: 's3cret-token',
      routes: { '/metrics': (_req, res) => void res.end('metrics here') },
    });
    const url = gateway.url.replace('0.0.0.0', '127.0.0.1');
    try {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret-token' }] as Array<Record<string, string>>) {
        for (const [path, body] of [['/api/chat', chatBody(false)], ['/api/version', undefined], ['/metrics', undefined], ['/api/feedback', '{}']] as const) {
          const reply = await call(url, path, { ...(body ? { body } : {}), headers });
          expect(reply.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
          expect(JSON.parse(reply.text).error).toMatch(/requires "Authorization: Bearer <token>".*WEB4_GATEWAY_TOKEN/);
        }
      }
      const ok = { authorization: 'Bearer s3cret-token' };
      expect((await call(url, '/api/chat', { body: chatBody(false), headers: ok })).status).toBe(200);
      expect((await call(url, '/api/version', { headers: ok })).status).toBe(200);
      expect((await call(url, '/metrics', { headers: ok })).text).toBe('metrics here');
      expect(standIn.requests.get('/api/chat')).toBe(1);
    } finally {
      await gateway.close();
      await standIn.close();
    }
    const rows = queryRows(t.paths);
    expect(rows.map((r) => r.error_kind)).toEqual([null]);
    t.remove();
  });
});
