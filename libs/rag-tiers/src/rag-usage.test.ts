import { describe, expect, it } from 'vitest';
import type { RetrievedItem } from './retrieval-tier.js';
import { ragUsage, tiersInContext } from './rag-usage.js';

const item = (tier: RetrievedItem['tier'], collection?: RetrievedItem['collection']): RetrievedItem => ({
  id: `${tier}-${collection ?? 'x'}`,
  tier,
  ...(collection ? { collection } : {}),
  documentId: 'd',
  text: 't',
  score: 0.5,
  metadata: {},
});

describe('ragUsage', () => {
  it('is all false for no context (a pure trained answer)', () => {
    expect(ragUsage([])).toEqual({ usedHistory: false, usedTools: false, usedTrainai: false, usedGraph: false });
  });

  it('maps collections and tiers to the four flags', () => {
    expect(ragUsage([item('chroma', 'pdca_historical')])).toMatchObject({ usedHistory: true, usedTools: false });
    expect(ragUsage([item('chroma', 'components')]).usedTools).toBe(true);
    expect(ragUsage([item('chroma', 'tool_examples')]).usedTools).toBe(true);
    expect(ragUsage([item('chroma', 'process_framework')]).usedTrainai).toBe(true);
    expect(ragUsage([item('graph', 'pdca_historical')])).toMatchObject({ usedGraph: true, usedHistory: false });
    expect(ragUsage([item('metadata')]).usedHistory).toBe(true);
  });

  it('counts a lexical chunk by its collection, and every tier that found an item', () => {
    expect(ragUsage([item('lexical', 'tool_examples')])).toEqual({ usedHistory: false, usedTools: true, usedTrainai: false, usedGraph: false });
    const both = { ...item('chroma', 'pdca_historical'), foundBy: ['chroma', 'lexical'] as RetrievedItem['tier'][] };
    expect(ragUsage([both])).toMatchObject({ usedHistory: true, usedGraph: false });
    expect(tiersInContext([both, item('graph', 'pdca_historical')])).toEqual(['chroma', 'graph', 'lexical']);
    expect(tiersInContext([])).toEqual([]);
  });
});
