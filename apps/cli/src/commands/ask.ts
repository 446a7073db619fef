import { askServedModel, formatContext, selectContext, servedModel, servingClient } from '@web4/canary-suite';
import { EXIT_CODES, ServiceError } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { openQueryLogger } from '@web4/metrics-store';
import type { RetrievedItem } from '@web4/rag-tiers';
import type { CommandModule } from 'yargs';
import { createContext, modelName, runCommand, type GlobalArgs } from '../context.js';
import { openRagForCommand, ragTiers } from './rag.js';

interface AskArgs extends GlobalArgs {
  question: string;
  model?: string;
  rag: boolean;
  type: string;
}

async function ask(args: AskArgs): Promise<number> {
  const ctx = createContext(args);
  args.model = modelName(ctx.config, args.model);
  const started = performance.now();
  // Where storage.url says, as the gateway logs its queries.
  const logger = await openQueryLogger(ctx.config, ctx.paths, { clock: ctx.clock, logger: ctx.logger });
  const { ragUsage } = await ragTiers();
  let context: RetrievedItem[] = [];
  let model = args.model ?? ctx.config.models.baseModel;
  try {
    const ollamaStatus = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
    if (ollamaStatus.state !== 'running' || !ollamaStatus.url) {
      throw new ServiceError('Ollama is not running.', { hint: 'Start it with `web4 services up`.' });
    }
    const client = servingClient(ollamaStatus.url, ctx.config.serving.timeoutMs);
    model = await servedModel(client, ctx.config.models, args.model);
    let retrievalMs = 0;
    if (args.rag) {
      const rag = await openRagForCommand(ctx);
      try {
        const retrieval = await rag.retriever.retrieve(args.question);
        retrievalMs = retrieval.latencyMs;
        context = selectContext(ctx.config.serving, retrieval.results);
      } finally {
        await rag.close();
      }
    }
    const response = await askServedModel(client, ctx.config.serving, model, args.question, formatContext(context));
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
    await logger.closeAsync();
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
