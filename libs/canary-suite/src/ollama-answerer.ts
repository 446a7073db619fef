import { ServiceError } from '@web4/core';
import { Ollama } from 'ollama';
import type { Answerer } from './run-cases.js';

export interface OllamaAnswererOptions {
  url: string;
  model: string;
  /** Deterministic by default so that a canary's verdict does not depend on sampling. */
  temperature?: number;
  seed?: number;
  maxTokens?: number;
}

/** Answer prompts with a model served by Ollama (chat API, not streamed). */
export function ollamaAnswerer(options: OllamaAnswererOptions): Answerer {
  const client = new Ollama({ host: options.url });
  return async ({ prompt, context, system, options: caseOptions }) => {
    const started = performance.now();
    const content = context ? `Context:\n${context}\n\nQuestion: ${prompt}` : prompt;
    try {
      const response = await client.chat({
        model: options.model,
        stream: false,
        messages: [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content }],
        options: { temperature: options.temperature ?? 0, seed: options.seed ?? 42, num_predict: options.maxTokens ?? 256, ...caseOptions },
      });
      return { text: response.message.content, latencyMs: performance.now() - started };
    } catch (cause) {
      throw new ServiceError(`Ollama at ${options.url} could not answer with model ${options.model}: ${(cause as Error).message}`, {
        cause,
        hint: 'Check `web4 services status` and `web4 doctor`; the model must be listed by `ollama list`.',
      });
    }
  };
}
