import { describe, expect, it } from 'vitest';
import type { RetrievedItem } from '@web4/rag-tiers';
import { gatewayTiersOf, retrievalPlan } from './retrieval.js';

const item = (o: Partial<RetrievedItem>): RetrievedItem => ({ id: 'x', tier: 'chroma', documentId: 'd', text: 't', score: 0.9, metadata: {}, ...o });

describe('from gateway tiers to rag-tiers and back', () => {
  it('asks only the collections and mechanisms of the decision', () => {
    expect(retrievalPlan(['tools'])).toEqual({ ragTiers: ['chroma', 'lexical'], collections: ['components', 'tool_examples'] });
    expect(retrievalPlan(['history'])).toEqual({ ragTiers: ['chroma', 'lexical', 'metadata'], collections: ['pdca_historical', 'daily_buffer'] });
    expect(retrievalPlan(['trainai', 'tools'])).toEqual({ ragTiers: ['chroma', 'lexical'], collections: ['process_framework', 'process_docs', 'components', 'tool_examples'] });
    // The graph expands around PDCAs, so it needs the PDCA collections as its starting points.
    expect(retrievalPlan(['graph'])).toEqual({ ragTiers: ['chroma', 'lexical', 'graph'], collections: ['pdca_historical', 'daily_buffer'] });
  });

  it('counts each item for the tiers whose content it is, as the query metrics do', () => {
    expect(gatewayTiersOf(item({ collection: 'components' }))).toEqual(['tools']);
    expect(gatewayTiersOf(item({ collection: 'tool_examples', tier: 'lexical' }))).toEqual(['tools']);
    expect(gatewayTiersOf(item({ collection: 'daily_buffer' }))).toEqual(['history']);
    expect(gatewayTiersOf(item({ collection: 'process_docs' }))).toEqual(['trainai']);
    expect(gatewayTiersOf(item({ tier: 'metadata', collection: 'pdca_historical' }))).toEqual(['history']);
    expect(gatewayTiersOf(item({ tier: 'graph', collection: 'components' }))).toEqual(['graph']);
    expect(gatewayTiersOf(item({ collection: 'pdca_historical', foundBy: ['chroma', 'graph'] }))).toEqual(['history', 'graph']);
  });
});
