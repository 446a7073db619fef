import { EXIT_CODES, ServiceError } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { QueryLogger } from '@web4/metrics-store';
import type { RetrievedItem } from '@web4/rag-tiers';
import { Ollama } from 'ollama';
import type { CommandModule } from 'yargs';
import { createContext, modelName, runCommand, type CommandContext, type GlobalArgs } from '../context.js';
import { openRagForCommand, ragTiers } from './rag.js';

interface AskArgs extends GlobalArgs {
  question: string;
  model?: string;
  rag: boolean;
  type: string;
}

/**
 * Items good enough to put in the prompt, in the retriever's fused order: each at or above the
 * score floor by its own tier's judgement, within the item and size budget.
 */
function selectContext(ctx: CommandContext, results: RetrievedItem[]): RetrievedItem[] {
  const { minContextScore, maxContextItems, maxContextChars } = ctx.config.serving;
  const chosen: RetrievedItem[] = [];
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

/** The production model when Ollama has it, else the base model (before the first promotion). */
async function servedModel(client: Ollama, ctx: CommandContext, requested?: string): Promise<string> {
  if (requested) return requested;
  const { models } = await client.list();
  const names = new Set(models.map((m) => m.name));
  return names.has(ctx.config.models.productionModel) ? ctx.config.models.productionModel : ctx.config.models.baseModel;
}

async function ask(args: AskArgs): Promise<number> {
  const ctx = createContext(args);
  args.model = modelName(ctx.config, args.model);
  const started = performance.now();
  const logger = QueryLogger.open(ctx.paths.metricsDb, { clock: ctx.clock, logger: ctx.logger });
  const { ragUsage } = await ragTiers();
  let context: RetrievedItem[] = [];
  let model = args.model ?? ctx.config.models.baseModel;
  try {
    const ollamaStatus = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
    if (ollamaStatus.state !== 'running' || !ollamaStatus.url) {
      throw new ServiceError('Ollama is not running.', { hint: 'Start it with `web4 services up`.' });
    }
    const timeoutMs = ctx.config.serving.timeoutMs;
    const client = new Ollama({
      host: ollamaStatus.url,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])]) }),
    });
    model = await servedModel(client, ctx, args.model);
    let retrievalMs = 0;
    if (args.rag) {
      const rag = await openRagForCommand(ctx);
      try {
        const retrieval = await rag.retriever.retrieve(args.question);
        retrievalMs = retrieval.latencyMs;
        context = selectContext(ctx, retrieval.results);
      } finally {
        await rag.close();
      }
    }
    const prompt = context.length
      ? `Context:\n${context.map((c, i) => `[${i + 1}] (${c.collection ?? c.tier}: ${c.documentId})\n${c.text}`).join('\n\n')}\n\nQuestion: ${args.question}`
      : args.question;
    const response = await client
      .chat({
        model,
        stream: false,
        messages: [
          { role: 'system', content: ctx.config.serving.systemPrompt },
          { role: 'user', content: prompt },
        ],
        options: { temperature: 0, num_predict: ctx.config.serving.maxTokens },
      })
      .catch((cause: Error) => {
        const timedOut = cause.name === 'TimeoutError' || /aborted|timeout/i.test(cause.message);
        throw new ServiceError(timedOut ? `${model} did not answer within ${timeoutMs / 1000} s.` : `Ollama could not answer with ${model}: ${cause.message}`, {
          cause,
          hint: timedOut ? 'The machine may be overloaded; check `web4 services status`, or raise serving.timeoutMs.' : 'Check `web4 services status` and `web4 doctor`.',
        });
      });
    const latencyMs = performance.now() - started;
    const usage = ragUsage(context);
    logger.log({ queryType: args.type, latencyMs, ...usage, tokensGenerated: response.eval_count ?? null });
    ctx.emit({ model, answer: response.message.content, latencyMs, retrievalMs, tokens: response.eval_count, usage, context: context.map((c) => ({ collection: c.collection, tier: c.tier, documentId: c.documentId, score: c.score })) });
    ctx.say(response.message.content.trim());
    ctx.say('');
    const tiers = Object.entries(usage).filter(([, v]) => v).map(([k]) => k.replace('used', '').toLowerCase());
    ctx.say(`— ${model}, ${Math.round(latencyMs)} ms (retrieval ${Math.round(retrievalMs)} ms), ${response.eval_count ?? '?'} tokens, context: ${tiers.length ? tiers.join(' + ') : 'none (pure trained)'}`);
    return EXIT_CODES.ok;
  } catch (error) {
    // A failed query is a query too: the error rate is one of the targets.
    logger.log({ queryType: args.type, latencyMs: performance.now() - started, ...ragUsage(context), error: (error as Error).message.slice(0, 500), errorContext: { model } });
    throw error;
  } finally {
    logger.close();
  }
}

export const askCommand: CommandModule<object, AskArgs> = {
  command: 'ask <question>',
  describe: 'Ask the served model a question with retrieved context; the query is recorded in the metrics',
  builder: (y) =>
    y
      .positional('question', { type: 'string', demandOption: true, describe: 'The question' })
      .option('model', { type: 'string', describe: 'Ollama model, or latest|previous|candidate|base (default: production if present, else the base model)' })
      .option('rag', { type: 'boolean', default: true, describe: 'Retrieve context (--no-rag: the model alone)' })
      .option('type', { type: 'string', default: 'general', describe: 'Query type recorded in the metrics' }) as never,
  handler: (args) => runCommand(args, () => ask(args)),
};
