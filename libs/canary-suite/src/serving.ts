import { ServiceError, type Web4Config } from '@web4/core';
import { Ollama, type ChatResponse, type Message } from 'ollama';

/**
 * The serving logic that `web4 ask`, the canaries and the morning check share: which model is
 * served, how the prompt and the messages are built, and the generation options. One place, so
 * that the morning check judges the model as users are served by it.
 */

/** A retrieved item as the prompt shows it (libs/rag-tiers' RetrievedItem has these fields). */
export interface ContextItem {
  text: string;
  score: number;
  documentId: string;
  tier: string;
  collection?: string | undefined;
}

export type ServingSettings = Web4Config['serving'];

/**
 * Items good enough to put in the prompt, in the retriever's fused order: each at or above the
 * score floor by its own tier's judgement, within the item and size budget.
 */
export function selectContext<T extends ContextItem>(serving: Pick<ServingSettings, 'minContextScore' | 'maxContextItems' | 'maxContextChars'>, results: readonly T[]): T[] {
  const { minContextScore, maxContextItems, maxContextChars } = serving;
  const chosen: T[] = [];
  let chars = 0;
  for (const item of results) {
    if (chosen.length >= maxContextItems) break;
    // Fused order is not score order: a weak item may sit above a strong one of another tier.
    if (item.score < minContextScore) continue;
    if (chars + item.text.length > maxContextChars && chosen.length > 0) continue;
    chosen.push(item);
    chars += item.text.length;
  }
  return chosen;
}

/** The context block of retrieved items: `[1] (collection: document)\ntext`, one per item. */
export function formatContext(items: readonly ContextItem[]): string {
  return items.map((c, i) => `[${i + 1}] (${c.collection ?? c.tier}: ${c.documentId})\n${c.text}`).join('\n\n');
}

/** The user message: the question alone, or after its context. */
export function servingPrompt(question: string, context?: string): string {
  return context ? `Context:\n${context}\n\nQuestion: ${question}` : question;
}

/** The chat messages of one question: the system prompt (when any), then the user message. */
export function servingMessages(question: string, o: { system?: string | undefined; context?: string | undefined } = {}): Message[] {
  return [...(o.system ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: servingPrompt(question, o.context) }];
}

/** Ollama options of an answer: deterministic (temperature 0), at most `maxTokens` tokens, then any overrides. */
export function servingOptions(maxTokens: number, extra: Record<string, number | string | boolean> = {}): Record<string, number | string | boolean> {
  return { temperature: 0, num_predict: maxTokens, ...extra };
}

/** An Ollama client whose every request gives up after `timeoutMs` (a stuck or overloaded server). */
export function servingClient(url: string, timeoutMs?: number): Ollama {
  if (timeoutMs === undefined) return new Ollama({ host: url });
  return new Ollama({
    host: url,
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])]) }),
  });
}

/**
 * Which model is served: `requested` when given, else the production model when Ollama lists
 * it, else the base model (before the first promotion).
 */
export async function servedModel(client: Ollama, models: Pick<Web4Config['models'], 'productionModel' | 'baseModel'>, requested?: string): Promise<string> {
  if (requested) return requested;
  const { models: listed } = await client.list();
  return listed.some((m) => m.name === models.productionModel) ? models.productionModel : models.baseModel;
}

/** One answer of the served model, as `web4 ask` gets it: config's system prompt, options and time limit. */
export async function askServedModel(client: Ollama, serving: ServingSettings, model: string, question: string, context?: string): Promise<ChatResponse> {
  try {
    return await client.chat({ model, stream: false, messages: servingMessages(question, { system: serving.systemPrompt, context }), options: servingOptions(serving.maxTokens) });
  } catch (error) {
    const cause = error as Error;
    const timedOut = cause.name === 'TimeoutError' || /aborted|timeout/i.test(cause.message);
    throw new ServiceError(timedOut ? `${model} did not answer within ${serving.timeoutMs / 1000} s.` : `Ollama could not answer with ${model}: ${cause.message}`, {
      cause,
      hint: timedOut ? 'The machine may be overloaded; check `web4 services status`, or raise serving.timeoutMs.' : 'Check `web4 services status` and `web4 doctor`.',
    });
  }
}
