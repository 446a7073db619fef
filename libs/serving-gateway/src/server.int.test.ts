import { Ollama } from 'ollama';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startGateway } from './server.js';
import { queryRows, tempRoot } from './test-support/temp-root.js';
import type { ContextRetriever, GatewayQueryEvent, QueryRouter, RunningGateway } from './types.js';

/**
 * The gateway in front of the real Ollama (tools/test/global-setup.ts) serving the 135M base
 * model: the `ollama` npm client pointed at the gateway works for chat and generate, streamed
 * and not, and list/show/version pass through; each query leaves one query_metrics row with
 * Ollama's own counts, the gateway's TTFT and the registry version (`base`).
 */
const ollamaUrl = process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl');
const t = tempRoot();
const model = t.config.models.baseModel;
const options = { temperature: 0, num_predict: 8 };
let gateway: RunningGateway;
let client: Ollama;
const events: GatewayQueryEvent[] = [];
const asked: string[] = [];

// A router and retriever of the contract's shape: "retrieve" only for questions about the journal.
const router: QueryRouter = {
  decide: async (q) => (/journal/i.test(q) ? { retrieve: true, tiers: ['history'], confidence: 0.9, reason: 'test rule' } : { retrieve: false, tiers: [], confidence: 0.9, reason: 'test rule' }),
};
const retriever: ContextRetriever = {
  retrieve: async (q) => {
    asked.push(q);
    return { items: [{ text: 'The journal root is /srv/journal.', score: 0.9, documentId: 'notes.md', tier: 'history', collection: 'history' }], tiersUsed: ['history'], latencyMs: 1 };
  },
};

beforeAll(async () => {
  gateway = await startGateway({ config: t.config, paths: t.paths, ollamaUrl, port: 0, router, retriever, observers: [{ onQuery: (e) => events.push(e) }] });
  client = new Ollama({ host: gateway.url });
});
afterAll(async () => {
  await gateway.close();
  t.remove();
});

describe('the ollama client pointed at the gateway', () => {
  it('chat and generate, streamed and not', async () => {
    const chat = await client.chat({ model, messages: [{ role: 'user', content: 'Say hello.' }], stream: false, options });
    expect(chat.message.content.length).toBeGreaterThan(0);
    expect(chat.eval_count).toBeGreaterThan(0);
    expect((chat as unknown as { web4_query_id: string }).web4_query_id).toMatch(/^[0-9a-f-]{36}$/);

    let streamedChat = '';
    let lastChat: Record<string, unknown> = {};
    for await (const part of await client.chat({ model, messages: [{ role: 'user', content: 'Say hello.' }], stream: true, options })) {
      streamedChat += part.message.content;
      lastChat = part as unknown as Record<string, unknown>;
    }
    expect(streamedChat).toBe(chat.message.content); // temperature 0: the same answer either way
    expect(lastChat).toMatchObject({ done: true, web4_query_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });

    const generated = await client.generate({ model, prompt: 'Name a colour.', stream: false, options });
    expect(generated.response?.length).toBeGreaterThan(0);
    let streamedText = '';
    for await (const part of await client.generate({ model, prompt: 'Name a colour.', stream: true, options })) streamedText += part.response;
    expect(streamedText).toBe(generated.response);

    await vi.waitFor(() => expect(queryRows(t.paths)).toHaveLength(4), { timeout: 5000 });
    const rows = queryRows(t.paths);
    expect(rows.map((r) => r.endpoint)).toEqual(['chat', 'chat', 'generate', 'generate']);
    expect(rows[0]!.query_id).toBe((chat as unknown as { web4_query_id: string }).web4_query_id);
    expect(rows[1]!.query_id).toBe(lastChat.web4_query_id);
    for (const r of rows) {
      expect(r).toMatchObject({ model: expect.stringMatching(/^web4-base/), model_version: 'base', error: null, error_kind: null, used_history: 0 });
      expect(r.tokens_in).toBeGreaterThan(0);
      expect(r.tokens_generated).toBeGreaterThan(0);
      expect(r.tokens_generated).toBeLessThanOrEqual(8);
      expect(r.tokens_per_second).toBeGreaterThan(0);
      expect(r.ttft_ms).toBeGreaterThan(0);
      expect(r.ttft_ms).toBeLessThanOrEqual(r.latency_ms);
    }
    expect(events.map((e) => e.routed)).toEqual(['trained', 'trained', 'trained', 'trained']);
  }, 120_000);

  it('routes: context added for a retrieval query, and only the tiers that reached the prompt recorded', async () => {
    const before = queryRows(t.paths).length;
    const answer = await client.chat({ model, messages: [{ role: 'system', content: 'Answer in one line.' }, { role: 'user', content: 'Where is the journal root?' }], stream: false, options });
    expect(answer.message.content.length).toBeGreaterThan(0);
    expect(asked).toEqual(['Where is the journal root?']);
    // The prompt grew by the context: Ollama counted more prompt tokens than the question alone has.
    const plain = await client.chat({ model, messages: [{ role: 'system', content: 'Answer in one line.' }, { role: 'user', content: 'Where is the root?' }], stream: false, options });
    expect(answer.prompt_eval_count).toBeGreaterThan(plain.prompt_eval_count + 10);
    await vi.waitFor(() => expect(queryRows(t.paths)).toHaveLength(before + 2), { timeout: 5000 });
    const [routed, trained] = queryRows(t.paths).slice(before);
    expect(routed).toMatchObject({ used_history: 1, used_tools: 0, used_trainai: 0, used_graph: 0 });
    expect(trained).toMatchObject({ used_history: 0 });
    expect(events.at(-2)).toMatchObject({ routed: 'retrieval', tiersUsed: ['history'] });
  }, 120_000);

  it('list, show and version pass through unchanged', async () => {
    const direct = new Ollama({ host: ollamaUrl });
    expect(await client.version()).toEqual(await direct.version());
    expect((await client.list()).models.map((m) => m.name)).toEqual((await direct.list()).models.map((m) => m.name));
    const shown = await client.show({ model });
    const directly = await direct.show({ model });
    // Ollama prints the PARAMETER lines in map order (it varies from call to call): compare them as a set.
    const lines = (text: string) => text.split('\n').sort();
    expect(lines(shown.modelfile)).toEqual(lines(directly.modelfile));
    expect(shown.details).toEqual(directly.details);
    expect(shown.template).toBe(directly.template);
  });

  it('an unknown model: Ollama\'s 404 reaches the client, recorded as unknown_model', async () => {
    const before = queryRows(t.paths).length;
    await expect(client.chat({ model: 'no-such-model-here', messages: [{ role: 'user', content: 'hi' }], stream: false })).rejects.toMatchObject({ status_code: 404, error: expect.stringMatching(/no-such-model-here/) });
    await vi.waitFor(() => expect(queryRows(t.paths)).toHaveLength(before + 1), { timeout: 5000 });
    expect(queryRows(t.paths).at(-1)).toMatchObject({ error_kind: 'unknown_model', model: 'no-such-model-here', model_version: null });
  });

  it('a client gone mid-stream is recorded as client_disconnect (499)', async () => {
    const before = events.length;
    await new Promise<void>((resolve, reject) => {
      const req = request(`${gateway.url}/api/generate`, { method: 'POST' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.end(JSON.stringify({ model, prompt: 'Count from one to fifty.', options: { temperature: 0, num_predict: 64 } }));
      setTimeout(() => reject(new Error('no first chunk in 60 s')), 60_000);
    });
    await vi.waitFor(() => expect(events.length).toBe(before + 1), { timeout: 10_000 });
    expect(events.at(-1)).toMatchObject({ status: 499, errorKind: 'client_disconnect' });
    await vi.waitFor(() => expect(queryRows(t.paths).at(-1)).toMatchObject({ error_kind: 'client_disconnect', query_id: events.at(-1)!.queryId }), { timeout: 5000 });
  }, 90_000);

  it('/v1/chat/completions (OpenAI shape), streamed and not, recorded', async () => {
    const before = queryRows(t.paths).length;
    const post = (body: unknown) => fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const plain = await post({ model, messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 8, temperature: 0 });
    const json = (await plain.json()) as { choices: Array<{ message: { content: string } }>; web4_query_id: string };
    expect(json.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(json.web4_query_id).toBe(plain.headers.get('x-web4-query-id'));
    const streamed = await post({ model, messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 8, temperature: 0, stream: true });
    const text = await streamed.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toMatch(/"choices":\[\]/); // the usage chunk the client did not ask for is not passed on
    await vi.waitFor(() => expect(queryRows(t.paths)).toHaveLength(before + 2), { timeout: 5000 });
    const rows = queryRows(t.paths).slice(before);
    expect(rows.map((r) => r.endpoint)).toEqual(['openai_chat', 'openai_chat']);
    expect(rows.every((r) => (r.tokens_generated ?? 0) > 0 && (r.tokens_in ?? 0) > 0)).toBe(true);
    expect(rows[1]!.ttft_ms).toBeGreaterThan(0);
  }, 120_000);
});
