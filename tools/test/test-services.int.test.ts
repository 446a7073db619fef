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
