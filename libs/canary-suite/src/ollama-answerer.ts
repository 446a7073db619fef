import { ServiceError } from '@web4/core';
import type { Answerer } from './run-cases.js';
import { servingClient, servingMessages, servingOptions } from './serving.js';

export interface OllamaAnswererOptions {
  url: string;
  model: string;
  /** Deterministic by default so that a canary's verdict does not depend on sampling. */
  temperature?: number;
  seed?: number;
  maxTokens?: number;
}

/** Answer prompts with a model served by Ollama (chat API, not streamed), the messages built as `web4 ask` builds them. */
export function ollamaAnswerer(options: OllamaAnswererOptions): Answerer {
  const client = servingClient(options.url);
  return async ({ prompt, context, system, options: caseOptions }) => {
    const started = performance.now();
    try {
      const response = await client.chat({
        model: options.model,
        stream: false,
        messages: servingMessages(prompt, { system, context }),
        options: servingOptions(options.maxTokens ?? 256, { temperature: options.temperature ?? 0, seed: options.seed ?? 42, ...caseOptions }),
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
