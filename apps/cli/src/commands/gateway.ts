import { EXIT_CODES, InputError, MARK, resolveStatePath } from '@web4/core';
import type { CommandModule } from 'yargs';
import { createContext, runCommand, type GlobalArgs } from '../context.js';

interface GatewayArgs extends GlobalArgs {
  action: 'serve' | 'router';
  port?: number;
  host?: string;
  ollamaUrl?: string;
}

/**
 * `web4 gateway router`: the Training-First router trained on the training part of
 * gateway.routing.examples, as the gateway trains it, and measured on the held-out part against
 * the baselines (keyword rules, majority class, always retrieve) in the same run.
 */
async function routerEvaluation(args: GatewayArgs): Promise<number> {
  const ctx = createContext(args);
  // Loaded on use: the embedding model's packages are heavy for every other command's start.
  const { evaluateRouter, loadRoutingExamples, ROUTER_FLOORS } = await import('@web4/serving-gateway');
  const { createEmbedder } = await import('@web4/rag-tiers');
  const routing = ctx.config.gateway.routing;
  const file = resolveStatePath(ctx.config, routing.examples);
  const set = loadRoutingExamples(file);
  const embedder = createEmbedder(ctx.config, ctx.paths);
  try {
    ctx.say(`Training-First router: ${set.examples.length} labelled questions in ${file}; ${Math.round(routing.holdoutShare * 100)} % held out (seeded split)…`);
    const ev = await evaluateRouter({ examples: set.examples, holdoutShare: routing.holdoutShare, embedder: embedder.local, allowedTiers: routing.tiers });
    const pass = ev.router.accuracy > ev.bestBaseline.accuracy && ev.router.accuracy >= ROUTER_FLOORS.accuracy;
    ctx.emit({ file, pass, floors: ROUTER_FLOORS, ...ev });
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    ctx.say(`trained on ${ev.train}, measured on ${ev.holdout} held-out questions (${ev.holdoutRetrieve} need retrieval, ${ev.holdoutTrained} do not)`);
    ctx.say('');
    ctx.say(`${'router'.padEnd(26)} ${'accuracy'.padStart(9)} ${'tier P'.padStart(8)} ${'tier R'.padStart(8)} ${'tier F1'.padStart(8)}`);
    for (const r of [{ ...ev.router, name: 'embedding router (served)' }, ...ev.baselines]) {
      ctx.say(`${r.name.padEnd(26)} ${pct(r.accuracy).padStart(9)} ${r.tierPrecision.toFixed(3).padStart(8)} ${r.tierRecall.toFixed(3).padStart(8)} ${r.tierF1.toFixed(3).padStart(8)}`);
    }
    ctx.say('');
    ctx.say(`${pass ? MARK.pass : MARK.warn} accuracy ${pct(ev.router.accuracy)} against the best baseline (${ev.bestBaseline.name}) ${pct(ev.bestBaseline.accuracy)}; floor ${pct(ROUTER_FLOORS.accuracy)}`);
    return pass ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
  } finally {
    await embedder.dispose();
  }
}

async function gateway(args: GatewayArgs): Promise<number> {
  if (args.action === 'router') return routerEvaluation(args);
  if (args.port !== undefined && (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)) {
    throw new InputError(`--port must be a whole number from 0 to 65535 (0: any free port), got ${String(args.port)}.`);
  }
  if (args.host !== undefined && args.host.trim() === '') throw new InputError('--host is empty; give an address such as 127.0.0.1.');
  const ctx = createContext(args, 'gateway.log');
  const { closeOnSignal, describeGateway, gatewayParts, openGateway } = await import('@web4/serving-gateway');
  const parts = await gatewayParts({ config: ctx.config, paths: ctx.paths, logger: ctx.logger });
  const running = await openGateway({
    config: ctx.config,
    paths: ctx.paths,
    logger: ctx.logger,
    router: parts.router,
    retriever: parts.retriever,
    observers: parts.observers,
    routes: parts.routes,
    publicRoutes: parts.publicRoutes,
    ...(args.port !== undefined ? { port: args.port } : {}),
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.ollamaUrl !== undefined ? { ollamaUrl: args.ollamaUrl } : {}),
  }).catch(async (error: unknown) => {
    await parts.close();
    throw error;
  });
  for (const line of describeGateway(running, { ollamaUrl: running.ollamaUrl, tokenRequired: running.tokenRequired, tokenEnv: ctx.config.gateway.tokenEnv, dashboard: true })) ctx.say(line);
  ctx.emit({ url: running.url, ollamaUrl: running.ollamaUrl, tokenRequired: running.tokenRequired });
  const signal = await closeOnSignal(running, (s) => ctx.say(`${s}: stopping (open answers end, queries recorded)…`));
  await parts.close();
  ctx.say(`gateway stopped (${signal})`);
  return EXIT_CODES.ok;
}

export const gatewayCommand: CommandModule<object, GatewayArgs> = {
  command: 'gateway [action]',
  describe: 'Serve the Ollama API with routing, retrieval, a metrics row per query, /metrics and the dashboard (runs until Ctrl-C); `gateway router`: the router\'s held-out accuracy',
  builder: (y) =>
    y
      .positional('action', { choices: ['serve', 'router'] as const, default: 'serve' as const, describe: 'serve (default), or router: measure the Training-First router on the held-out examples (exit 0 when it beats the baselines and its floor, 1 when not)' })
      .option('port', { type: 'number', describe: 'Port (default gateway.port, 11435; 0: any free port)' })
      .option('host', { type: 'string', describe: 'Address to bind (default gateway.host, 127.0.0.1; any other needs the token in gateway.tokenEnv)' })
      .option('ollama-url', { type: 'string', describe: "Ollama's URL (default: this state root's Ollama, as `web4 services status` shows it)" }) as never,
  handler: (args) => runCommand(args, () => gateway(args)),
};
