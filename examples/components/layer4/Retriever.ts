import type { RetrievalQuery, RetrievalTier, RetrievedItem, TierName } from '../layer3/RetrievalTier.interface.js';

export interface RetrievalResult {
  items: RetrievedItem[];
  /** Tiers that returned at least one item: what the query metrics record as used. */
  tiersUsed: TierName[];
  latencyMs: number;
}

const TIER_WEIGHT: Record<TierName, number> = { vector: 1.0, graph: 0.6, metadata: 0.4 };

/**
 * Asks the requested tiers concurrently, weights their 0..1 scores, and keeps the best item per
 * document. Concurrency is what keeps p50 low: the tiers wait on different resources.
 */
export class Retriever {
  private tiers = new Map<TierName, RetrievalTier>();

  constructor() {}

  init(tiers: RetrievalTier[]): this {
    for (const t of tiers) this.tiers.set(t.name, t);
    return this;
  }

  async retrieve(query: RetrievalQuery, wanted: TierName[]): Promise<RetrievalResult> {
    const started = performance.now();
    const unknown = wanted.filter((w) => !this.tiers.has(w));
    if (unknown.length) throw new Error(`unknown retrieval tier(s): ${unknown.join(', ')}`);
    const results = await Promise.all(wanted.map(async (name) => ({ name, items: await this.tiers.get(name)!.search(query) })));
    const best = new Map<string, RetrievedItem>();
    for (const { name, items } of results) {
      for (const item of items) {
        const weighted = { ...item, score: item.score * TIER_WEIGHT[name] };
        const key = String(item.metadata.pdca_id ?? item.id);
        if ((best.get(key)?.score ?? -1) < weighted.score) best.set(key, weighted);
      }
    }
    return {
      items: [...best.values()].sort((a, b) => b.score - a.score).slice(0, query.nResults),
      tiersUsed: results.filter((r) => r.items.length > 0).map((r) => r.name),
      latencyMs: performance.now() - started,
    };
  }
}
