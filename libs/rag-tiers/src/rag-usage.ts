import type { CollectionName } from './collections.js';
import type { RetrievedItem } from './retrieval-tier.js';

/**
 * What one answer's context drew on, in the four RAG flags the query metrics record
 * (and from which the six query categories follow). Which collection counts as which flag:
 * history ← PDCAs (pdca_historical, daily_buffer, and PDCA facts from the metadata tier);
 * tools ← tool_examples and components (code the agent calls or edits);
 * trainai ← process_framework and process_docs (the TrainAI method);
 * graph ← anything the graph tier contributed.
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
    if (item.tier === 'graph') usage.usedGraph = true;
    else if (item.collection) usage[FLAG_OF[item.collection]] = true;
    else if (item.tier === 'metadata') usage.usedHistory = true;
  }
  return usage;
}
