import { updateRagSettings } from './retrieval-optimizer.js';
import { COLLECTION_NAMES, type CollectionName } from '../collections.js';
import { documentKey, type FusionSettings } from '../rank-fusion.js';
import { TIER_NAMES, type RetrievedItem, type TierName } from '../retrieval-tier.js';
import type { Retriever } from '../retriever.js';
import { mean, percentile, precisionAtK, reciprocalRank, recall, type JudgedList } from './retrieval-metrics.js';
import { matchesRef, type LabelledQuery, type RelevantDocument } from './relevance-set.js';

/** The goal of issue 10 on the labelled queries: MRR of the default retrieval at least this. */
export const FUSION_GOAL_MRR = 0.9;
/** Precision and recall are over the first this many documents (what a prompt holds). */
export const FUSION_EVAL_DEPTH = 5;

/** Candidate settings `web4 rag optimize` tries: weights per tier, and RRF's k. */
const WEIGHT_STEPS = [0, 0.25, 0.5, 0.75, 1] as const;
const K_STEPS = [1, 5, 10, 20, 40, 60, 100] as const;

/** Scores of one ranking of documents (a tier alone, or a fusion) over the labelled queries. */
export interface RankingScores {
  ranking: TierName | 'fusion';
  /** Labelled queries scored (all of them: a ranking that finds nothing scores 0 for a query). */
  queries: number;
  precision: number | null;
  recall: number | null;
  mrr: number | null;
  /** Queries whose first relevant document is in the top FUSION_EVAL_DEPTH. */
  hitsInTop: number;
  latencyP50Ms?: number;
}

export interface FusionGoals {
  notWorseMrr: boolean;
  notWorseRecall: boolean;
  mrrReached: boolean;
}

export interface FusionEvaluation {
  queries: number;
  depth: number;
  collections: CollectionName[];
  /** Each tier's own ranking of documents, as the default retrieval gets it (graph: seeded by the others). */
  tiers: RankingScores[];
  /** The tier with the best MRR alone. */
  bestTier: RankingScores;
  /** The best MRR and the best recall of any single tier: what "not worse" is held against. */
  best: { mrr: number; recall: number };
  /** The fusion with the configured settings (what retrieval does now). */
  current: RankingScores & { settings: FusionSettings };
  /** The best settings found on these queries. */
  tuned: RankingScores & { settings: FusionSettings };
  goals: {
    mrr: number;
    /** Per fusion: MRR, and recall, not below the best single tier's; MRR at least `mrr`. */
    current: FusionGoals;
    tuned: FusionGoals;
  };
  /** Per query: the rank of the first relevant document per tier and for both fusions (null: not found). */
  perQuery: Array<{ query: string; firstRelevant: Partial<Record<TierName | 'current' | 'tuned', number | null>> }>;
}

interface QueryLists {
  query: LabelledQuery;
  /** Each tier's documents, best first, and whether each is relevant. */
  ranked: Partial<Record<TierName, string[]>>;
  relevantRefs: Map<string, Set<number>>;
  chars: Map<string, number>;
}

/**
 * Score every tier alone and the fusion on the labelled queries, and tune the fusion: each
 * query is retrieved once (all tiers, the configured n_results); the tiers' lists are then fused
 * under every candidate (weights 0..1 per tier, k from 1 to 100) without asking the tiers again.
 * The tuned settings maximise MRR, then recall and precision at FUSION_EVAL_DEPTH; among equals,
 * the ones closest to the current settings win (no change without a gain).
 */
export async function evaluateFusion(
  retriever: Retriever,
  queries: readonly LabelledQuery[],
  current: FusionSettings,
  options: { collections?: readonly CollectionName[] } = {},
): Promise<FusionEvaluation> {
  const collections = [...(options.collections ?? COLLECTION_NAMES)];
  const lists: QueryLists[] = [];
  const latencies: Partial<Record<TierName, number[]>> = {};
  for (const query of queries) {
    const gathered = await retriever.gather(query.query, { collections });
    const ranked: QueryLists['ranked'] = {};
    const relevantRefs = new Map<string, Set<number>>();
    const chars = new Map<string, number>();
    for (const tier of TIER_NAMES) {
      const items = gathered.byTier[tier];
      if (!items) continue;
      (latencies[tier] ??= []).push(gathered.timingsMs[tier] ?? 0);
      const keys: string[] = [];
      for (const item of items) {
        const key = documentKey(item);
        chars.set(key, (chars.get(key) ?? 0) + item.text.length);
        if (keys.includes(key)) continue;
        keys.push(key);
        if (!relevantRefs.has(key)) relevantRefs.set(key, matchingRefs(query.relevant, item));
      }
      ranked[tier] = keys;
    }
    lists.push({ query, ranked, relevantRefs, chars });
  }

  const tiers = TIER_NAMES.filter((t) => lists.some((l) => l.ranked[t])).map((tier) => ({
    ...scoreRanking(tier, lists.map((l) => l.ranked[tier] ?? []), lists),
    latencyP50Ms: percentile(latencies[tier] ?? [], 50),
  }));
  const bestTier = tiers.reduce((a, b) => ((b.mrr ?? 0) > (a.mrr ?? 0) + 1e-9 ? b : a));
  // "Not worse than the best single tier": on MRR and on recall, each against the best tier at it.
  const best = { mrr: Math.max(...tiers.map((t) => t.mrr ?? 0)), recall: Math.max(...tiers.map((t) => t.recall ?? 0)) };
  const currentScores = { ...scoreRanking('fusion', lists.map((l) => fuseKeys(l, current)), lists), settings: current };

  let tuned = currentScores;
  for (const settings of candidates()) {
    const s = { ...scoreRanking('fusion', lists.map((l) => fuseKeys(l, settings)), lists), settings };
    const c = compare(s, tuned, best);
    if (c > 0 || (c === 0 && distance(s.settings, current) < distance(tuned.settings, current))) tuned = s;
  }

  const goal = (r: RankingScores) => ({
    notWorseMrr: (r.mrr ?? 0) >= best.mrr - 1e-9,
    notWorseRecall: (r.recall ?? 0) >= best.recall - 1e-9,
    mrrReached: (r.mrr ?? 0) >= FUSION_GOAL_MRR,
  });
  return {
    queries: queries.length,
    depth: FUSION_EVAL_DEPTH,
    collections,
    tiers,
    bestTier,
    best,
    current: currentScores,
    tuned,
    goals: { mrr: FUSION_GOAL_MRR, current: goal(currentScores), tuned: goal(tuned) },
    perQuery: lists.map((l) => ({
      query: l.query.query,
      firstRelevant: {
        ...Object.fromEntries(TIER_NAMES.filter((t) => l.ranked[t]).map((t) => [t, firstRelevant(l.ranked[t]!, l)])),
        current: firstRelevant(fuseKeys(l, current), l),
        tuned: firstRelevant(fuseKeys(l, tuned.settings), l),
      },
    })),
  };
}

/** Which of the query's relevant documents an item is (indexes into `relevant`). */
function matchingRefs(relevant: readonly RelevantDocument[], item: RetrievedItem): Set<number> {
  const path = item.metadata.file_path === undefined || item.metadata.file_path === null ? undefined : String(item.metadata.file_path);
  const out = new Set<number>();
  relevant.forEach((r, i) => {
    if (r.collection && r.collection !== item.collection) return;
    if (matchesRef(r.ref, item.documentId, path)) out.add(i);
  });
  return out;
}

/** The fused order of a query's documents: the same arithmetic as fuseRankings, on keys. */
function fuseKeys(l: QueryLists, settings: FusionSettings): string[] {
  const score = new Map<string, number>();
  const first = new Map<string, number>();
  for (const tier of TIER_NAMES) {
    const keys = l.ranked[tier];
    if (!keys) continue;
    const w = settings.weights[tier] ?? 0;
    keys.forEach((key, i) => {
      if (!first.has(key)) first.set(key, first.size);
      score.set(key, (score.get(key) ?? 0) + w / (settings.k + i + 1));
    });
  }
  return [...score.keys()].sort((a, b) => score.get(b)! - score.get(a)! || first.get(a)! - first.get(b)!);
}

function firstRelevant(keys: readonly string[], l: QueryLists): number | null {
  const i = keys.findIndex((k) => (l.relevantRefs.get(k)?.size ?? 0) > 0);
  return i === -1 ? null : i + 1;
}

function scoreRanking(ranking: RankingScores['ranking'], perQuery: readonly string[][], lists: readonly QueryLists[]): RankingScores {
  const p: number[] = [];
  const r: number[] = [];
  const rr: number[] = [];
  let hitsInTop = 0;
  perQuery.forEach((keys, q) => {
    const l = lists[q]!;
    const top = keys.slice(0, FUSION_EVAL_DEPTH);
    const found = new Set<number>();
    for (const k of top) for (const i of l.relevantRefs.get(k) ?? []) found.add(i);
    const judged: JudgedList = {
      relevant: keys.map((k) => (l.relevantRefs.get(k)?.size ?? 0) > 0),
      chars: keys.map((k) => l.chars.get(k) ?? 0),
      foundDocs: found.size,
      totalRelevantDocs: l.query.relevant.length,
    };
    p.push(precisionAtK(judged, FUSION_EVAL_DEPTH));
    r.push(recall(judged) ?? 0);
    const rank = reciprocalRank(judged);
    rr.push(rank);
    if (rank >= 1 / FUSION_EVAL_DEPTH) hitsInTop++;
  });
  return { ranking, queries: perQuery.length, precision: mean(p), recall: mean(r), mrr: mean(rr), hitsInTop };
}

/**
 * Which fusion is better: first, one that is not worse than the best single tier (on MRR and on
 * recall) beats one that is; then the larger MRR + recall (a gain in where the first right
 * document lands must not be bought with fewer right documents in the prompt); then precision.
 */
function compare(a: RankingScores, b: RankingScores, best: { mrr: number; recall: number }): number {
  const eps = 1e-9;
  const holds = (r: RankingScores) => Number(notWorse(r, best));
  const keys = [(r: RankingScores) => holds(r), (r: RankingScores) => (r.mrr ?? 0) + (r.recall ?? 0), (r: RankingScores) => r.precision ?? 0];
  for (const key of keys) {
    const d = key(a) - key(b);
    if (d > eps) return 1;
    if (d < -eps) return -1;
  }
  return 0;
}

function notWorse(r: RankingScores, best: { mrr: number; recall: number }): boolean {
  return (r.mrr ?? 0) >= best.mrr - 1e-9 && (r.recall ?? 0) >= best.recall - 1e-9;
}

function* candidates(): Generator<FusionSettings> {
  for (const k of K_STEPS) {
    for (const chroma of WEIGHT_STEPS) {
      for (const graph of WEIGHT_STEPS) {
        for (const metadata of WEIGHT_STEPS) {
          for (const lexical of WEIGHT_STEPS) {
            // Scaling every weight changes no order: only sets whose largest weight is 1.
            if (Math.max(chroma, graph, metadata, lexical) !== 1) continue;
            yield { k, weights: { chroma, graph, metadata, lexical } };
          }
        }
      }
    }
  }
}

/** How far settings are from the current ones (weights normalised to a largest weight of 1). */
function distance(a: FusionSettings, b: FusionSettings): number {
  const norm = (s: FusionSettings) => {
    const max = Math.max(...TIER_NAMES.map((t) => s.weights[t] ?? 0)) || 1;
    return TIER_NAMES.map((t) => (s.weights[t] ?? 0) / max);
  };
  const wa = norm(a);
  const wb = norm(b);
  return wa.reduce((sum, w, i) => sum + Math.abs(w - wb[i]!), 0) + Math.abs(Math.log(a.k / b.k));
}

/** Write fusion settings into the config file's `rag.fusion`, keeping every other setting. */
export function applyFusion(configFile: string, settings: FusionSettings): void {
  updateRagSettings(configFile, (rag) => ({ ...rag, fusion: { k: settings.k, weights: { ...settings.weights } } }));
}
