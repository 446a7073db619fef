import type { RetrievedItem, TierName } from './retrieval-tier.js';
import { TIER_NAMES } from './retrieval-tier.js';

/**
 * Reciprocal rank fusion: a document's fused score is Σ over tiers of
 * `weight[tier] / (k + rank of the document in that tier)`. Ranks, not scores, are combined,
 * because the tiers' scores mean different things (cosine similarity, BM25 term coverage, a
 * graph hop from a seed, an exact fact). A larger `k` flattens the difference between rank 1
 * and rank 10; a weight of 0 leaves a tier out of the order (its items still come last).
 */
export interface FusionSettings {
  k: number;
  weights: Record<TierName, number>;
}

/** Cormack et al.'s k = 60; every tier counts the same until `web4 rag optimize` tunes them. */
export const DEFAULT_FUSION: FusionSettings = { k: 60, weights: { chroma: 1, graph: 1, metadata: 1, lexical: 1 } };

/** A document's identity across tiers: its collection and id (the same PDCA in the buffer and in history are two). */
export function documentKey(item: Pick<RetrievedItem, 'collection' | 'documentId' | 'tier'>): string {
  return `${item.collection ?? `(${item.tier})`}\u0000${item.documentId}`;
}

/**
 * A tier's ranking of documents: its items in the tier's own order (best first: cosine for
 * Chroma, BM25 for the lexical tier), each document at the rank of its first item.
 */
export function rankDocuments(items: readonly RetrievedItem[]): string[] {
  const seen = new Set<string>();
  for (const item of items) seen.add(documentKey(item));
  return [...seen];
}

export interface FusedDocument {
  key: string;
  score: number;
  /** The document's rank (1-based) in each tier that found it. */
  ranks: Partial<Record<TierName, number>>;
}

export interface Fusion {
  /** Documents, best first. */
  documents: FusedDocument[];
  /**
   * Every item once (the same chunk from two tiers is one item: the first tier's copy in
   * TIER_NAMES order, `foundBy` both), grouped by
   * document in fused order; within a document, the tier's best items first.
   */
  items: RetrievedItem[];
}

/** Fuse the tiers' result lists (each best first); ties keep the order of TIER_NAMES (Chroma first). */
export function fuseRankings(lists: Partial<Record<TierName, readonly RetrievedItem[]>>, settings: FusionSettings): Fusion {
  const docs = new Map<string, FusedDocument>();
  for (const tier of TIER_NAMES) {
    const list = lists[tier];
    if (!list?.length) continue;
    const weight = settings.weights[tier] ?? 0;
    rankDocuments(list).forEach((key, i) => {
      let d = docs.get(key);
      if (!d) docs.set(key, (d = { key, score: 0, ranks: {} }));
      d.ranks[tier] = i + 1;
      d.score += weight / (settings.k + i + 1);
    });
  }
  const order = [...docs.values()];
  const firstSeen = new Map(order.map((d, i) => [d.key, i]));
  order.sort((a, b) => b.score - a.score || firstSeen.get(a.key)! - firstSeen.get(b.key)!);

  const byItem = new Map<string, RetrievedItem>();
  for (const tier of TIER_NAMES) {
    for (const item of lists[tier] ?? []) {
      const id = `${item.collection ?? ''}\u0000${item.id}`;
      const prev = byItem.get(id);
      if (!prev) {
        byItem.set(id, { ...item, foundBy: [tier] });
        continue;
      }
      // The first tier's copy stays (Chroma's carries every chunk field); the later one is noted.
      byItem.set(id, { ...prev, foundBy: [...(prev.foundBy ?? []), tier] });
    }
  }
  const scoreOf = new Map(order.map((d) => [d.key, d.score]));
  const rankOf = new Map(order.map((d, i) => [d.key, i]));
  const items = [...byItem.values()]
    .map((item) => ({ ...item, fusedScore: scoreOf.get(documentKey(item)) ?? 0 }))
    .sort((a, b) => rankOf.get(documentKey(a))! - rankOf.get(documentKey(b))! || b.score - a.score);
  return { documents: order, items };
}
