import { describe, expect, it } from 'vitest';
import type { CollectionName } from './collections.js';
import { DEFAULT_FUSION, fuseRankings, rankDocuments, type FusionSettings } from './rank-fusion.js';
import type { RetrievedItem, TierName } from './retrieval-tier.js';

const item = (tier: TierName, doc: string, score: number, collection: CollectionName = 'pdca_historical', chunk = 0): RetrievedItem => ({
  id: tier === 'graph' ? `graph:pdca:${doc}` : `${doc}#${chunk}`,
  tier,
  collection,
  documentId: doc,
  text: `${doc} ${chunk}`,
  score,
  metadata: {},
});

const order = (items: RetrievedItem[]) => [...new Set(items.map((i) => i.documentId))];

describe('reciprocal rank fusion', () => {
  it('ranks documents, not chunks: a document is at the rank of its first (best) chunk in the tier\'s order', () => {
    const list = [item('lexical', 'a', 0.2, 'pdca_historical', 1), item('lexical', 'b', 0.9), item('lexical', 'a', 0.6, 'pdca_historical', 2)];
    // The tier's order (BM25 here), not the items' scores (term coverage), is its ranking.
    expect(rankDocuments(list).map((k) => k.split('\u0000')[1])).toEqual(['a', 'b']);
  });

  it('the issue: items of other tiers with higher raw scores no longer push the right document down', () => {
    // Chroma has the right document at rank 5 with cosine 0.41; metadata facts score 0.9+ and
    // graph expansions 0.8 × a seed. Sorting raw scores put "right" 15th.
    const chroma = ['c1', 'c2', 'c3', 'c4', 'right'].map((d, i) => item('chroma', d, 0.6 - i * 0.05));
    const metadata = ['m1', 'm2', 'm3', 'm4'].map((d) => item('metadata', d, 0.95));
    const graph = Array.from({ length: 8 }, (_, i) => item('graph', `g${i}`, 0.8 * 0.6));
    const rawOrder = [...chroma, ...metadata, ...graph].sort((a, b) => b.score - a.score);
    expect(rawOrder.map((i) => i.documentId).indexOf('right')).toBeGreaterThan(10);

    // Fusion with expansions weighted below direct evidence keeps Chroma's top five first.
    const fused = fuseRankings({ chroma, metadata, graph }, { k: 60, weights: { chroma: 1, lexical: 1, metadata: 0.5, graph: 0.25 } });
    expect(order(fused.items).indexOf('right')).toBe(4);
    // The lexical tier agreeing on it lifts it to the top.
    const lexical = [item('lexical', 'right', 1), item('lexical', 'c4', 0.5)];
    const withLexical = fuseRankings({ chroma, metadata, graph, lexical }, DEFAULT_FUSION);
    expect(order(withLexical.items)[0]).toBe('right');
  });

  it('a document ranked 1 by a tier is never pushed below documents every tier ranks lower', () => {
    // Random tiers and settings: whenever each tier that found B ranks A ahead of it, A is ahead in the fusion.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const docs = Array.from({ length: 12 }, (_, i) => `d${i}`);
      const lists: Partial<Record<TierName, RetrievedItem[]>> = {};
      for (const tier of ['chroma', 'lexical', 'metadata', 'graph'] as TierName[]) {
        const picked = docs.filter(() => rand() < 0.5).sort(() => rand() - 0.5);
        lists[tier] = picked.map((d, i) => item(tier, d, 1 - i / 20));
      }
      const settings: FusionSettings = { k: [1, 10, 60][round % 3]!, weights: { chroma: rand(), lexical: rand(), metadata: rand(), graph: rand() } };
      const fused = order(fuseRankings(lists, settings).items);
      const rank = (tier: TierName, d: string) => lists[tier]!.findIndex((i) => i.documentId === d);
      for (const top of (['chroma', 'lexical', 'metadata', 'graph'] as TierName[]).map((t) => lists[t]![0]?.documentId).filter(Boolean) as string[]) {
        for (const other of fused) {
          if (other === top) continue;
          const dominated = (['chroma', 'lexical', 'metadata', 'graph'] as TierName[]).every((t) => rank(t, other) === -1 || (rank(t, top) !== -1 && rank(t, top) < rank(t, other)));
          if (dominated) expect(fused.indexOf(top), `${top} vs ${other}`).toBeLessThan(fused.indexOf(other));
        }
      }
    }
  });

  it('keeps every item once, says which tiers found it, and orders by document then score', () => {
    const chroma = [item('chroma', 'a', 0.7), item('chroma', 'b', 0.6), item('chroma', 'a', 0.5, 'pdca_historical', 1)];
    const lexical = [item('lexical', 'b', 1), item('lexical', 'a', 0.5, 'pdca_historical', 1)];
    const fused = fuseRankings({ chroma, lexical }, DEFAULT_FUSION);
    expect(fused.items.map((i) => i.id)).toEqual(['a#0', 'a#1', 'b#0']);
    expect(fused.items.find((i) => i.id === 'b#0')!.foundBy).toEqual(['chroma', 'lexical']);
    expect(fused.items.find((i) => i.id === 'b#0')!.tier).toBe('chroma'); // Chroma's copy, with all its chunk fields
    expect(fused.items[0]!.fusedScore).toBeCloseTo(1 / 61 + 1 / 62);
    expect(fused.documents.map((d) => d.ranks)).toEqual([{ chroma: 1, lexical: 2 }, { chroma: 2, lexical: 1 }]);
  });

  it('the same document id in two collections is two documents; a weight of 0 leaves a tier out of the order', () => {
    const fused = fuseRankings(
      { chroma: [item('chroma', 'x', 0.9, 'daily_buffer'), item('chroma', 'x', 0.8)], graph: [item('graph', 'y', 0.9)] },
      { k: 60, weights: { chroma: 1, lexical: 1, metadata: 1, graph: 0 } },
    );
    expect(fused.documents).toHaveLength(3);
    expect(fused.items.map((i) => i.documentId)).toEqual(['x', 'x', 'y']);
    expect(fused.items[2]!.fusedScore).toBe(0);
  });
});
