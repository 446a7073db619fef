import type { CollectionName } from './collections.js';
import { TIER_NAMES, type RetrievedItem, type TierName } from './retrieval-tier.js';

/**
 * What one answer's context drew on, in the four RAG flags the query metrics record
 * (and from which the six query categories follow). Which collection counts as which flag:
 * history ← PDCAs (pdca_historical, daily_buffer, and PDCA facts from the metadata tier);
 * tools ← tool_examples and components (code the agent calls or edits);
 * trainai ← process_framework and process_docs (the TrainAI method);
 * graph ← anything the graph tier contributed.
 * A chunk found by the lexical tier (FTS5) counts by its collection, exactly like the same
 * chunk found by Chroma; a chunk found by both is one item with both in `foundBy`.
 */
export interface RagUsage {
  usedHistory: boolean;
  usedTools: boolean;
  usedTrainai: boolean;
  usedGraph: boolean;
}

const FLAG_OF: Record<CollectionName, keyof RagUsage> = {
  pdca_historical: 'usedHistory',
  daily_buffer: 'usedHistory',
  tool_examples: 'usedTools',
  components: 'usedTools',
  process_framework: 'usedTrainai',
  process_docs: 'usedTrainai',
};

export function ragUsage(context: readonly RetrievedItem[]): RagUsage {
  const usage: RagUsage = { usedHistory: false, usedTools: false, usedTrainai: false, usedGraph: false };
  for (const item of context) {
    if (item.tier === 'graph' || item.foundBy?.includes('graph')) usage.usedGraph = true;
    if (item.tier === 'graph') continue;
    if (item.collection) usage[FLAG_OF[item.collection]] = true;
    else if (item.tier === 'metadata') usage.usedHistory = true;
  }
  return usage;
}

/** The tiers behind a context, each once, in TIER_NAMES order (an item counts for every tier that found it). */
export function tiersInContext(context: readonly RetrievedItem[]): TierName[] {
  const used = new Set<TierName>();
  for (const item of context) for (const t of item.foundBy ?? [item.tier]) used.add(t);
  return TIER_NAMES.filter((t) => used.has(t));
}
