// The Training-First router's accuracy on the held-out routing examples, against baselines
// measured in the same run (keyword rules, majority class, always retrieve). One JSON object per
// figure on stdout; `--details` adds the full evaluation (fitted settings, mistakes) on stderr.
//   npx tsx libs/serving-gateway/src/router/router.eval.ts [--root DIR] [--examples FILE] [--details]
import { loadConfig, resolvePaths, resolveStatePath } from '@web4/core';
import { createEmbedder } from '@web4/rag-tiers';
import { evaluateRouter, evaluationLines } from './evaluate-router.js';
import { ROUTER_FLOORS } from './router-floors.js';
import { loadRoutingExamples } from './routing-examples.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const root = arg('root');
const { config } = loadConfig(root ? { root } : {});
const paths = resolvePaths(config);
const file = arg('examples') ?? resolveStatePath(config, config.gateway.routing.examples);
const set = loadRoutingExamples(file);
const embedder = createEmbedder(config, paths);
try {
  const ev = await evaluateRouter({ examples: set.examples, holdoutShare: config.gateway.routing.holdoutShare, embedder: embedder.local, allowedTiers: config.gateway.routing.tiers });
  for (const line of evaluationLines(ev, ROUTER_FLOORS)) console.log(JSON.stringify(line));
  if (process.argv.includes('--details')) console.error(JSON.stringify({ file, ...ev }, null, 2));
  process.exitCode = ev.router.accuracy > ev.bestBaseline.accuracy && ev.router.accuracy >= ROUTER_FLOORS.accuracy ? 0 : 1;
} finally {
  await embedder.dispose();
}
