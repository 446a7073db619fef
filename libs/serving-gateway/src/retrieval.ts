import { selectContext, type ServingSettings } from '@web4/canary-suite';
import { ragUsage, type CollectionName, type RetrievedItem, type Retriever, type TierName as RagTierName } from '@web4/rag-tiers';
import type { ContextRetriever, GatewayContextItem, RetrievedContext, RouteDecision, TierName } from './types.js';

/** The collections behind each gateway tier (as @web4/rag-tiers' ragUsage counts them). */
export const TIER_COLLECTIONS: Record<Exclude<TierName, 'graph'>, readonly CollectionName[]> = {
  history: ['pdca_historical', 'daily_buffer'],
  tools: ['components', 'tool_examples'],
  trainai: ['process_framework', 'process_docs'],
};

/** What to ask rag-tiers for one decision: its retrieval tiers and collections. */
export interface RetrievalPlan {
  ragTiers: RagTierName[];
  collections: CollectionName[];
}

/**
 * rag-tiers chooses by retrieval mechanism (chroma, lexical, metadata, graph) and by collection;
 * the gateway's tiers are kinds of content. History, tools and TrainAI are collections searched
 * by vectors and FTS5 (history also by PDCA facts: dates and names); graph is the SQLite graph,
 * which expands around the PDCAs the other tiers found, so a graph-only decision still searches
 * the PDCA collections for its starting points (their items are then left out of the prompt).
 */
export function retrievalPlan(tiers: readonly TierName[]): RetrievalPlan {
  const collections = new Set<CollectionName>();
  for (const t of tiers) if (t !== 'graph') for (const c of TIER_COLLECTIONS[t]) collections.add(c);
  if (tiers.includes('graph')) for (const c of TIER_COLLECTIONS.history) collections.add(c);
  const ragTiers: RagTierName[] = ['chroma', 'lexical'];
  if (tiers.includes('history')) ragTiers.push('metadata');
  if (tiers.includes('graph')) ragTiers.push('graph');
  return { ragTiers, collections: [...collections] };
}

/** The gateway tiers one retrieved item counts for (an item found by several mechanisms counts for each). */
export function gatewayTiersOf(item: RetrievedItem): TierName[] {
  const u = ragUsage([item]);
  return [...(u.usedTools ? ['tools' as const] : []), ...(u.usedHistory ? ['history' as const] : []), ...(u.usedTrainai ? ['trainai' as const] : []), ...(u.usedGraph ? ['graph' as const] : [])];
}

/**
 * Context for the gateway from this root's retrieval tiers: only from the decision's tiers, the
 * items good enough for the prompt by `serving` (selectContext, the same as `web4 ask`), and the
 * tiers of those items alone as `tiersUsed`. When no item passes the score floor the query is
 * answered, and recorded, as pure trained.
 */
export class RagContextRetriever implements ContextRetriever {
  constructor(
    private readonly retriever: Pick<Retriever, 'retrieve'>,
    private readonly serving: Pick<ServingSettings, 'minContextScore' | 'maxContextItems' | 'maxContextChars'>,
    /** Releases what the retriever reads from (the tiers, the model); the gateway calls it on close. */
    private readonly onClose?: () => Promise<void>,
  ) {}

  async close(): Promise<void> {
    await this.onClose?.();
  }

  async retrieve(query: string, decision: RouteDecision, signal?: AbortSignal): Promise<RetrievedContext> {
    signal?.throwIfAborted();
    const started = performance.now();
    if (!decision.retrieve || decision.tiers.length === 0 || !query.trim()) return { items: [], tiersUsed: [], latencyMs: 0 };
    const plan = retrievalPlan(decision.tiers);
    // rag-tiers takes no abort signal: a cancelled query stops here, before its context is used.
    const result = await this.retriever.retrieve(query, { tiers: plan.ragTiers, collections: plan.collections });
    signal?.throwIfAborted();
    const asked = new Set(decision.tiers);
    const eligible = result.results.filter((item) => gatewayTiersOf(item).every((t) => asked.has(t)));
    const selected = selectContext(this.serving, eligible);
    const used = new Set(selected.flatMap(gatewayTiersOf));
    const items = selected.map(
      (item): GatewayContextItem => ({ text: item.text, score: item.score, documentId: item.documentId, tier: item.tier, ...(item.collection ? { collection: item.collection } : {}) }),
    );
    return { items, tiersUsed: (['tools', 'history', 'trainai', 'graph'] as const).filter((t) => used.has(t)), latencyMs: performance.now() - started };
  }
}
