/**
 * The six query categories of DESIGN.md, derived from which retrieval tiers a query used.
 * "Trained + X" means exactly that tier; more than one tier is "Trained + Multiple".
 */
export const QUERY_CATEGORIES = ['pure_trained', 'tools', 'history', 'trainai', 'graph', 'multiple'] as const;
export type QueryCategory = (typeof QUERY_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<QueryCategory, string> = {
  pure_trained: 'Pure Trained',
  tools: 'Trained + Tools',
  history: 'Trained + History',
  trainai: 'Trained + TrainAI',
  graph: 'Trained + Graph',
  multiple: 'Trained + Multiple',
};

export interface TierFlags {
  usedHistory?: boolean;
  usedTools?: boolean;
  usedTrainai?: boolean;
  usedGraph?: boolean;
}

export function categorize(flags: TierFlags): QueryCategory {
  const used = (flags.usedHistory ? 1 : 0) + (flags.usedTools ? 1 : 0) + (flags.usedTrainai ? 1 : 0) + (flags.usedGraph ? 1 : 0);
  if (used === 0) return 'pure_trained';
  if (used > 1) return 'multiple';
  if (flags.usedHistory) return 'history';
  if (flags.usedTools) return 'tools';
  if (flags.usedTrainai) return 'trainai';
  return 'graph';
}
