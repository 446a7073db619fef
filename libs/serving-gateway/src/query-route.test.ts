import { Agent, createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './server.js';
import { queryRows, tempRoot } from './test-support/temp-root.js';
import type { GatewayQueryEvent, RunningGateway } from './types.js';

/**
 * What the gateway sends Ollama for a query and how it relays Ollama's NDJSON, against an
 * upstream that records each request body and answers with exactly the bytes a test gives it,
 * cut into TCP writes where the test says (a line, or a UTF-8 character, split between two).
 */
interface Script {
  /** The answer's body, as writes spaced apart so that each arrives as a chunk of its own. */
  writes: Array<string | Buffer>;
}

const agent = new Agent({ keepAlive: false });

function post(url: string, body: string): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function writeSpaced(res: ServerResponse, writes: Array<string | Buffer>): Promise<void> {
  for (const w of writes) {
    res.write(w);
    await new Promise((r) => setTimeout(r, 15));
  }
  res.end();
}

const line = (o: unknown) => JSON.stringify(o) + '\n';
const piece = (content: string) => line({ model: 'web4-base:latest', message: { role: 'assistant', content }, done: false });
const DONE = { model: 'web4-base:latest', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 11, eval_count: 3, eval_duration: 1_500_000 };

describe('the query route against a scripted upstream', () => {
  const t = tempRoot({ gateway: { connectTimeoutMs: 500, upstreamTimeoutMs: 2000 } });
  const bodies: string[] = [];
  let script: Script = { writes: [] };
  let upstream: Server;
  let gateway: RunningGateway;
  const events: GatewayQueryEvent[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        void writeSpaced(res, script.writes);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl: url, port: 0, observers: [{ onQuery: (e) => events.push(e) }] });
  });
  afterEach(() => {
    bodies.length = 0;
    events.length = 0;
  });
  afterAll(async () => {
    await gateway.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    t.remove();
  });

  it("sends Ollama the client's own bytes when it changes nothing (a seed beyond 2^53, spacing and key order kept)", async () => {
    script = { writes: [piece('Hi'), line(DONE)] };
    const body = `{"model": "web4-base",  "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi"}], "options": {"seed": 12345678901234567890}, "stream": true}`;
    const reply = await post(`${gateway.url}/api/chat`, body);
    expect(reply.status).toBe(200);
    expect(bodies).toEqual([body]);
    // Without "stream" (Ollama's default is to stream), also as sent.
    const noStream = `{"model":"web4-base","messages":[{"role":"system","content":"x"},{"role":"user","content":"Say hi"}]}`;
    await post(`${gateway.url}/api/chat`, noStream);
    expect(bodies[1]).toBe(noStream);
  });

  it('serialises the body again when it changed it: the served system prompt added, stream:false asked of Ollama as a stream', async () => {
    script = { writes: [piece('Hi'), line(DONE)] };
    await post(`${gateway.url}/api/chat`, JSON.stringify({ model: 'web4-base', messages: [{ role: 'user', content: 'Say hi' }] }));
    const sent = JSON.parse(bodies[0]!) as { messages: Array<{ role: string; content: string }>; stream: boolean };
    expect(sent.messages[0]).toEqual({ role: 'system', content: t.config.serving.systemPrompt });
    expect(sent.stream).toBe(true);

    await post(`${gateway.url}/api/chat`, JSON.stringify({ model: 'web4-base', stream: false, messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'Say hi' }] }));
    expect(JSON.parse(bodies[1]!)).toMatchObject({ stream: true, messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'Say hi' }] });
  });

  it("relays lines cut anywhere by TCP as Ollama's bytes: a line and a UTF-8 character split between chunks, blank lines dropped, the query id added to the last line", async () => {
    const euro = Buffer.from(piece('5 €'));
    const at = euro.indexOf(Buffer.from('€')) + 1; // inside the three bytes of €
    const first = piece('Hé');
    const done = JSON.stringify(DONE).replace('"done":true', '"done": true'); // Ollama's own spacing, kept
    script = { writes: [first.slice(0, 10), first.slice(10), euro.subarray(0, at), Buffer.concat([euro.subarray(at), Buffer.from('\n  \n')]), done + '\n'] };
    const reply = await post(`${gateway.url}/api/chat`, JSON.stringify({ model: 'web4-base', stream: true, messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'Price?' }] }));
    expect(reply.status).toBe(200);
    const id = reply.headers['x-web4-query-id'] as string;
    expect(reply.text).toBe(`${first}${euro.toString('utf8')}${done.slice(0, -1)},"web4_query_id":"${id}"}\n`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ queryId: id, status: 200, errorKind: null, tokensIn: 11, tokensOut: 3, model: 'web4-base:latest' });
    expect(events[0]!.tokensPerSecond).toBeCloseTo(2000, 6);
    expect(events[0]!.ttftMs).toBeGreaterThan(0);
  });

  it('a last line without a newline is still read (counts, query id) and ends with one', async () => {
    script = { writes: [piece('Hi'), JSON.stringify(DONE)] };
    const reply = await post(`${gateway.url}/api/generate`, JSON.stringify({ model: 'web4-base', prompt: 'Say hi', system: 'x' }));
    const lines = reply.text.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ done: true, eval_count: 3, web4_query_id: reply.headers['x-web4-query-id'] });
    expect(events[0]).toMatchObject({ tokensOut: 3, errorKind: null });
  });

  it('one JSON object when asked stream:false: the pieces joined, the counts of the last line; the row written once', async () => {
    script = { writes: [piece('Hel'), piece('lo €'), line(DONE)] };
    const reply = await post(`${gateway.url}/api/chat`, JSON.stringify({ model: 'web4-base', stream: false, messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'Say hello' }] }));
    const answer = JSON.parse(reply.text) as { message: { content: string }; eval_count: number; web4_query_id: string; done: boolean };
    expect(answer).toMatchObject({ done: true, eval_count: 3, message: { content: 'Hello €' }, web4_query_id: reply.headers['x-web4-query-id'] });
    expect(events.map((e) => e.queryId)).toEqual([answer.web4_query_id]);
    // The row is queued as the answer ends and written at the logger's next flush (monitoring.flushIntervalMs, 200 ms).
    await new Promise((r) => setTimeout(r, 600));
    expect(queryRows(t.paths).filter((r) => r.query_id === answer.web4_query_id)).toHaveLength(1);
  });
});
