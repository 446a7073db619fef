import type { TextEmbedder } from '@web4/rag-tiers';
import type { QueryRouter, RouteDecision, TierName } from '../types.js';
import { LinearProbe } from './linear-probe.js';
import { GATEWAY_TIERS, type RoutingExample } from './routing-examples.js';

/** What training chose (by cross-validation on the training part only); reported by the evaluation. */
export interface FittedRouting {
  /** L2 strength of the probes. */
  lambda: number;
  /** p(retrieve) at or above which a query retrieves. */
  threshold: number;
  /** p(tier) at or above which a tier is asked. */
  tierThreshold: number;
  /** Out-of-fold accuracy / tier F1 on the training part at these settings. */
  cvAccuracy: number;
  cvTierF1: number;
}

export interface EmbeddingRouterOptions {
  /** Tiers a retrieval may use (config.gateway.routing.tiers); default all four. */
  allowedTiers?: readonly TierName[];
  /** Vectors of the examples, in order, when already known (a cache); else they are embedded. */
  vectors?: number[][];
  /** Fixed settings instead of fitting them. */
  fitted?: Pick<FittedRouting, 'lambda' | 'threshold' | 'tierThreshold'>;
}

const LAMBDA = 0.01;
const ITERATIONS = 300;
const FOLDS = 5;
const TIER_THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6];

interface Probes {
  retrieve: LinearProbe;
  tiers: Record<TierName, LinearProbe | undefined>;
}

/**
 * The Training-First router. Each question becomes an all-MiniLM-L6-v2 vector; a linear probe
 * (logistic regression on the unit vectors) trained on the labelled examples gives p(retrieve),
 * and one probe per tier, trained on the examples that needed retrieval, gives each tier's
 * p(needed). The thresholds are fitted by 5-fold cross-validation on the training examples
 * alone, so a held-out part stays unseen. The nearest training example (cosine similarity) is
 * named in the reason, so a person can see which labelled question the query resembles.
 * Deciding costs one query embedding and five dot products over 384 dimensions.
 */
export class EmbeddingRouter implements QueryRouter {
  private constructor(
    private readonly embedder: TextEmbedder,
    readonly examples: readonly RoutingExample[],
    private readonly vectors: Float32Array[],
    private readonly probes: Probes,
    readonly fitted: FittedRouting,
    readonly allowedTiers: readonly TierName[],
  ) {}

  static async train(examples: readonly RoutingExample[], embedder: TextEmbedder, options: EmbeddingRouterOptions = {}): Promise<EmbeddingRouter> {
    if (!examples.some((e) => e.retrieve) || !examples.some((e) => !e.retrieve)) {
      throw new Error('EmbeddingRouter.train needs examples of both kinds (retrieve: true and false)');
    }
    const raw = options.vectors ?? (await embedder.embed(examples.map((e) => e.query)));
    if (raw.length !== examples.length) throw new Error(`EmbeddingRouter.train got ${raw.length} vectors for ${examples.length} examples`);
    const vectors = raw.map(unit);
    const fitted = options.fitted ? { ...options.fitted, cvAccuracy: NaN, cvTierF1: NaN } : fit(examples, vectors);
    return new EmbeddingRouter(embedder, examples, vectors, trainProbes(examples, vectors, fitted.lambda), fitted, options.allowedTiers ?? GATEWAY_TIERS);
  }

  async decide(query: string, signal?: AbortSignal): Promise<RouteDecision> {
    signal?.throwIfAborted();
    const text = query.trim();
    if (!text) return { retrieve: false, tiers: [], confidence: 1, reason: 'empty question: nothing to retrieve for' };
    const [vector] = await this.embedder.embed([text]);
    signal?.throwIfAborted();
    return this.decideVector(vector!);
  }

  /** The decision for an already embedded query (the evaluation embeds the held-out part at once). */
  decideVector(vector: readonly number[]): RouteDecision {
    const v = unit(vector);
    const p = this.probes.retrieve.probability(v);
    const { threshold, tierThreshold } = this.fitted;
    const near = this.nearest(v);
    const why = `p(retrieve) ${p.toFixed(2)} ${p >= threshold ? '≥' : '<'} ${threshold.toFixed(2)}; nearest example #${near.entry} (${near.similarity.toFixed(2)})`;
    const allowed = GATEWAY_TIERS.filter((t) => this.allowedTiers.includes(t));
    if (allowed.length === 0) return { retrieve: false, tiers: [], confidence: 1, reason: 'no retrieval tiers allowed (gateway.routing.tiers)' };
    if (p < threshold) return { retrieve: false, tiers: [], confidence: clamp01((threshold - p) / threshold), reason: why };
    const scores = tierScores(this.probes, v);
    let tiers = allowed.filter((t) => scores[t] >= tierThreshold);
    // Retrieval with no tier would be pure trained in disguise: take the allowed tier most likely needed.
    if (tiers.length === 0) tiers = [allowed.reduce((best, t) => (scores[t] > scores[best] ? t : best), allowed[0]!)];
    return {
      retrieve: true,
      tiers,
      confidence: clamp01((p - threshold) / (1 - threshold)),
      reason: `${why}; tiers ${tiers.map((t) => `${t} ${scores[t].toFixed(2)}`).join(', ')}`,
    };
  }

  private nearest(v: Float32Array): { entry: number; similarity: number } {
    let best = { entry: 0, similarity: -Infinity };
    this.vectors.forEach((e, i) => {
      const s = dot(e, v);
      if (s > best.similarity) best = { entry: this.examples[i]!.entry, similarity: s };
    });
    return best;
  }
}

function trainProbes(examples: readonly RoutingExample[], vectors: readonly Float32Array[], lambda: number, iterations = ITERATIONS): Probes {
  const retrieving = examples.map((e, i) => ({ e, v: vectors[i]! })).filter((x) => x.e.retrieve);
  const tiers = {} as Record<TierName, LinearProbe | undefined>;
  for (const t of GATEWAY_TIERS) {
    const labels = retrieving.map((x) => x.e.tiers.includes(t));
    // A tier no example (or every example) needs has nothing to learn from.
    tiers[t] = labels.some(Boolean) && !labels.every(Boolean) ? LinearProbe.train(retrieving.map((x) => x.v), labels, lambda, iterations) : undefined;
  }
  return { retrieve: LinearProbe.train(vectors, examples.map((e) => e.retrieve), lambda, iterations), tiers };
}

function tierScores(probes: Probes, v: Float32Array): Record<TierName, number> {
  const scores = { tools: 0, history: 0, trainai: 0, graph: 0 } as Record<TierName, number>;
  for (const t of GATEWAY_TIERS) scores[t] = probes.tiers[t]?.probability(v) ?? 0;
  return scores;
}

/** Thresholds by 5-fold cross-validation on the training examples: out-of-fold probabilities only. */
function fit(examples: readonly RoutingExample[], vectors: Float32Array[]): FittedRouting {
  const n = examples.length;
  const pRetrieve = new Array<number>(n).fill(0);
  const pTiers = new Array<Record<TierName, number>>(n);
  for (let fold = 0; fold < FOLDS; fold++) {
    const inFold = (i: number) => i % FOLDS === fold;
    const trainIdx = examples.map((_, i) => i).filter((i) => !inFold(i));
    if (!trainIdx.some((i) => examples[i]!.retrieve) || !trainIdx.some((i) => !examples[i]!.retrieve)) continue;
    const probes = trainProbes(trainIdx.map((i) => examples[i]!), trainIdx.map((i) => vectors[i]!), LAMBDA);
    for (let i = 0; i < n; i++) {
      if (!inFold(i)) continue;
      pRetrieve[i] = probes.retrieve.probability(vectors[i]!);
      pTiers[i] = tierScores(probes, vectors[i]!);
    }
  }
  let best = { threshold: 0.5, accuracy: -1 };
  for (const t of thresholdCandidates(pRetrieve)) {
    const accuracy = examples.reduce((c, e, i) => c + ((pRetrieve[i]! >= t) === e.retrieve ? 1 : 0), 0) / n;
    // Ties: the threshold nearer 0.5, where the probe itself puts the boundary.
    if (accuracy > best.accuracy + 1e-12 || (Math.abs(accuracy - best.accuracy) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best.threshold - 0.5))) best = { threshold: t, accuracy };
  }
  let bestTier = { tierThreshold: 0.5, f1: -1 };
  for (const t of TIER_THRESHOLDS) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    examples.forEach((e, i) => {
      if (!e.retrieve || !pTiers[i]) return;
      const scores = pTiers[i]!;
      let chosen = GATEWAY_TIERS.filter((x) => scores[x] >= t);
      if (chosen.length === 0) chosen = [GATEWAY_TIERS.reduce((b, x) => (scores[x] > scores[b] ? x : b), GATEWAY_TIERS[0]!)];
      for (const x of chosen) {
        if (e.tiers.includes(x)) tp++;
        else fp++;
      }
      for (const x of e.tiers) if (!chosen.includes(x)) fn++;
    });
    const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    if (f1 > bestTier.f1 + 1e-12 || (Math.abs(f1 - bestTier.f1) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(bestTier.tierThreshold - 0.5))) bestTier = { tierThreshold: t, f1 };
  }
  return { lambda: LAMBDA, threshold: best.threshold, tierThreshold: bestTier.tierThreshold, cvAccuracy: best.accuracy, cvTierF1: Math.max(0, bestTier.f1) };
}

/** 0.5 and the midpoints between the distinct out-of-fold probabilities between 0.2 and 0.8. */
function thresholdCandidates(ps: readonly number[]): number[] {
  const sorted = [...new Set(ps.map((p) => Math.round(p * 1e6) / 1e6))].sort((a, b) => a - b);
  const mids = sorted.slice(1).map((p, i) => (p + sorted[i]!) / 2);
  return [0.5, ...mids.filter((m) => m >= 0.2 && m <= 0.8)];
}

function unit(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function clamp01(x: number): number {
  return Math.max(0, Math.min(1, x));
}
