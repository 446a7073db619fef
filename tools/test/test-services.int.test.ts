import { inject, describe, expect, it } from 'vitest';
import { loadConfig } from '@web4/core';

describe('test services from global setup', () => {
  it('gives every worker the URLs of a live Chroma and a live Ollama holding web4-base', async () => {
    const { config } = loadConfig();
    expect(config.services.chroma.url).toBe(inject('chromaUrl'));
    expect(config.services.ollama.url).toBe(inject('ollamaUrl'));
    const heartbeat = await fetch(`${config.services.chroma.url}/api/v2/heartbeat`);
    expect(heartbeat.ok).toBe(true);
    const tags = (await (await fetch(`${config.services.ollama.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
    expect(tags.models.map((m) => m.name)).toContain(config.models.baseModel);
  });
});

describe('web4-base in the test Ollama', () => {
  it('carries the ChatML template and stop tokens and answers a chat request', async () => {
    const { config } = loadConfig();
    const url = config.services.ollama.url!;
    const show = (await (await fetch(`${url}/api/show`, { method: 'POST', body: JSON.stringify({ model: config.models.baseModel }) })).json()) as { template: string; parameters: string };
    expect(show.template).toContain('<|im_start|>{{ .Role }}');
    expect(show.parameters).toMatch(/stop\s+"<\|im_end\|>"/);
    expect(show.parameters).toMatch(/num_thread\s+\d+/);
    const chat = (await (
      await fetch(`${url}/api/chat`, {
        method: 'POST',
        body: JSON.stringify({ model: config.models.baseModel, stream: false, messages: [{ role: 'user', content: 'What is the capital of France?' }], options: { num_predict: 24, temperature: 0 } }),
      })
    ).json()) as { message: { content: string }; done_reason: string };
    expect(chat.message.content.trim().length).toBeGreaterThan(0);
    // the stop token ends the turn: it never leaks into the reply
    expect(chat.message.content).not.toContain('<|im_end|>');
    expect(chat.message.content).not.toContain('<|im_start|>');
  }, 120_000);
});
