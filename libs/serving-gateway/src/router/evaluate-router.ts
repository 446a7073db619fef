import type { TextEmbedder } from '@web4/rag-tiers';
import type { RouteDecision, TierName } from '../types.js';
import { EmbeddingRouter, type FittedRouting } from './embedding-router.js';
import { FixedRouter, KeywordRouter } from './rule-routers.js';
import { GATEWAY_TIERS, splitExamples, type RoutingExample } from './routing-examples.js';

/** How well one way of routing did on the held-out examples. */
export interface RoutingScores {
  name: string;
  /** Share of held-out questions whose retrieve-or-not was right. */
  accuracy: number;
  /** Of the questions it sent to retrieval, the share that needed it; of those that needed it, the share sent. */
  retrievePrecision: number;
  retrieveRecall: number;
  /** Tier labels over all held-out questions (a tier asked for a question that needed none is a false one). */
  tierPrecision: number;
  tierRecall: number;
  tierF1: number;
}

export interface RouterEvaluation {
  examples: number;
  train: number;
  holdout: number;
  holdoutShare: number;
  /** Held-out questions that needed retrieval / did not. */
  holdoutRetrieve: number;
  holdoutTrained: number;
  fitted: FittedRouting;
  router: RoutingScores;
  /** In the same run, on the same held-out part: keyword rules, the majority class of the training part, always retrieve. */
  baselines: RoutingScores[];
  /** The best baseline by accuracy. */
  bestBaseline: RoutingScores;
  /** Embedding the examples and fitting the router. */
  trainMs: number;
  /** One decide() per held-out question, each embedding its question (no cache). */
  decideMs: { p50: number; p99: number; mean: number };
  /** Held-out questions the router got wrong, for whoever curates the examples. */
  mistakes: Array<{ entry: number; query: string; expected: string; got: string }>;
}

export interface EvaluateRouterOptions {
  examples: readonly RoutingExample[];
  holdoutShare: number;
  embedder: TextEmbedder;
  allowedTiers?: readonly TierName[];
  /** Vectors of `examples`, in order, when cached. */
  vectors?: number[][];
}

/**
 * Train the router on the training part only and measure it on the held-out part, against
 * baselines measured in the same run on the same part.
 */
export async function evaluateRouter(options: EvaluateRouterOptions): Promise<RouterEvaluation> {
  const { examples, holdoutShare, embedder } = options;
  const allowedTiers = options.allowedTiers ?? GATEWAY_TIERS;
  const split = splitExamples(examples, holdoutShare);
  const index = new Map(examples.map((e, i) => [e, i]));
  const started = performance.now();
  const vectors = options.vectors ?? (await embedder.embed(examples.map((e) => e.query)));
  const router = await EmbeddingRouter.train(split.train, embedder, { allowedTiers, vectors: split.train.map((e) => vectors[index.get(e)!]!) });
  const trainMs = performance.now() - started;

  const truth = (e: RoutingExample): RouteDecision => ({ retrieve: e.retrieve, tiers: e.tiers.filter((t) => allowedTiers.includes(t)), confidence: 1, reason: 'label' });
  const routerDecisions = split.holdout.map((e) => router.decideVector(vectors[index.get(e)!]!));

  const keyword = new KeywordRouter(allowedTiers);
  const majorityRetrieves = split.train.filter((e) => e.retrieve).length * 2 > split.train.length;
  const majority = new FixedRouter(majorityRetrieves ? 'always' : 'never', allowedTiers);
  const always = new FixedRouter('always', allowedTiers);
  const baselines = [
    score('keyword rules', split.holdout, split.holdout.map((e) => keyword.decideText(e.query)), truth),
    score(`majority class (${majorityRetrieves ? 'retrieve' : 'trained'})`, split.holdout, await Promise.all(split.holdout.map((e) => majority.decide(e.query))), truth),
    score('always retrieve, all tiers', split.holdout, await Promise.all(split.holdout.map((e) => always.decide(e.query))), truth),
  ];
  const bestBaseline = baselines.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));

  const times: number[] = [];
  for (const e of split.holdout) {
    const t = performance.now();
    await router.decide(e.query);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);

  const label = (d: RouteDecision) => (d.retrieve ? `retrieve ${d.tiers.join('+')}` : 'trained');
  return {
    examples: examples.length,
    train: split.train.length,
    holdout: split.holdout.length,
    holdoutShare,
    holdoutRetrieve: split.holdout.filter((e) => e.retrieve).length,
    holdoutTrained: split.holdout.filter((e) => !e.retrieve).length,
    fitted: router.fitted,
    router: score('embedding router (linear probes)', split.holdout, routerDecisions, truth),
    baselines,
    bestBaseline,
    trainMs,
    decideMs: { p50: quantile(times, 0.5), p99: quantile(times, 0.99), mean: times.reduce((a, b) => a + b, 0) / Math.max(times.length, 1) },
    mistakes: split.holdout
      .map((e, i) => ({ e, d: routerDecisions[i]! }))
      .filter(({ e, d }) => d.retrieve !== e.retrieve || label(d) !== label(truth(e)))
      .map(({ e, d }) => ({ entry: e.entry, query: e.query, expected: label(truth(e)), got: label(d) })),
  };
}

function score(name: string, holdout: readonly RoutingExample[], decisions: readonly RouteDecision[], truth: (e: RoutingExample) => RouteDecision): RoutingScores {
  let correct = 0;
  let sent = 0;
  let sentRight = 0;
  let needed = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  holdout.forEach((e, i) => {
    const d = decisions[i]!;
    const t = truth(e);
    if (d.retrieve === t.retrieve) correct++;
    if (d.retrieve) sent++;
    if (t.retrieve) needed++;
    if (d.retrieve && t.retrieve) sentRight++;
    const predicted = d.retrieve ? d.tiers : [];
    for (const x of predicted) {
      if (t.tiers.includes(x)) tp++;
      else fp++;
    }
    for (const x of t.tiers) if (!predicted.includes(x)) fn++;
  });
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    name,
    accuracy: ratio(correct, holdout.length),
    retrievePrecision: ratio(sentRight, sent),
    retrieveRecall: ratio(sentRight, needed),
    tierPrecision: ratio(tp, tp + fp),
    tierRecall: ratio(tp, tp + fn),
    tierF1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** The evaluation as benchmark lines (docs/benchmarks.md format): one JSON object per figure. */
export function evaluationLines(ev: RouterEvaluation, floors: { accuracy: number; tierF1: number }): Array<Record<string, unknown>> {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const base = ev.bestBaseline;
  const keyword = ev.baselines[0]!;
  return [
    {
      bench: 'serving-gateway.router.accuracy',
      value: r3(ev.router.accuracy),
      unit: 'share of held-out questions',
      baseline: r3(base.accuracy),
      baseline_name: base.name,
      ratio: r3(ev.router.accuracy / Math.max(base.accuracy, 1e-9)),
      target: `> best baseline and >= ${floors.accuracy}`,
      pass: ev.router.accuracy > base.accuracy && ev.router.accuracy >= floors.accuracy,
      holdout: ev.holdout,
      train: ev.train,
    },
    {
      bench: 'serving-gateway.router.tier_f1',
      value: r3(ev.router.tierF1),
      unit: 'F1 of tier labels',
      precision: r3(ev.router.tierPrecision),
      recall: r3(ev.router.tierRecall),
      baseline: r3(keyword.tierF1),
      baseline_name: `${keyword.name} (P ${r3(keyword.tierPrecision)}, R ${r3(keyword.tierRecall)})`,
      ratio: r3(ev.router.tierF1 / Math.max(keyword.tierF1, 1e-9)),
      target: `>= ${floors.tierF1} and not below keyword rules by more than 0.05`,
      pass: ev.router.tierF1 >= floors.tierF1 && ev.router.tierF1 > keyword.tierF1 - 0.05,
    },
    { bench: 'serving-gateway.router.decide_p50', value: r3(ev.decideMs.p50), unit: 'ms', p99: r3(ev.decideMs.p99), note: 'one query embedding (no cache) + linear probes + nearest example' },
    { bench: 'serving-gateway.router.train', value: Math.round(ev.trainMs), unit: 'ms', note: `embedding ${ev.examples} examples + probes and 5-fold threshold fit on ${ev.train}; threshold=${r3(ev.fitted.threshold)} tierThreshold=${ev.fitted.tierThreshold}` },
  ];
}
