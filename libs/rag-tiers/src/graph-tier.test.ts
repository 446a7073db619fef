import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphTier, nodeId } from './graph-tier.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GraphTier', () => {
  it('stores typed nodes and edges and walks neighbourhoods both ways', async () => {
    const g = GraphTier.open(join(dir, 'g.db'));
    g.upsertNodes([
      { id: nodeId('pdca', 'p2'), kind: 'pdca', label: 'Second', collection: 'pdca_historical' },
      { id: nodeId('pdca', 'p1'), kind: 'pdca', label: 'First', collection: 'pdca_historical' },
      { id: nodeId('topic', 'dry'), kind: 'topic', label: 'DRY', collection: 'process_framework' },
    ]);
    g.replaceOutgoing(nodeId('pdca', 'p2'), ['previous', 'component', 'topic'], [
      { src: 'pdca:p2', dst: 'pdca:p1', kind: 'previous' },
      { src: 'pdca:p2', dst: 'component:OverlapChunker', kind: 'component' },
      { src: 'pdca:p2', dst: 'topic:dry', kind: 'topic' },
    ]);
    g.addEdges([{ src: 'pdca:p2', dst: 'batch:b1', kind: 'trained_in' }]);
    const one = await g.neighbourhood('pdca:p2');
    expect(one.nodes.map((n) => n.id).sort()).toEqual(['batch:b1', 'component:OverlapChunker', 'pdca:p1', 'topic:dry']);
    // The placeholder node for a component not indexed yet carries its kind.
    expect(one.nodes.find((n) => n.id === 'component:OverlapChunker')!.kind).toBe('component');
    const fromTopic = await g.neighbourhood('topic:dry', { depth: 2, kinds: ['topic', 'previous'] });
    expect(fromTopic.nodes.map((n) => [n.id, n.hops])).toEqual(expect.arrayContaining([['pdca:p2', 1], ['pdca:p1', 2]]));
    expect(fromTopic.nodes.some((n) => n.id === 'batch:b1')).toBe(false);

    // Re-indexing p2 with other links replaces them; the batch edge (another kind) stays.
    g.replaceOutgoing('pdca:p2', ['previous', 'component', 'topic'], [{ src: 'pdca:p2', dst: 'topic:dry', kind: 'topic' }]);
    expect((await g.counts()).edges).toEqual({ topic: 1, trained_in: 1 });
    await g.close();
  });

  it('expands around seeds and named components when searching', async () => {
    const g = GraphTier.open(join(dir, 's.db'));
    g.upsertNodes([{ id: 'component:OverlapChunker', kind: 'component', label: 'OverlapChunker', collection: 'components' }]);
    g.replaceOutgoing('pdca:b', ['previous', 'component'], [
      { src: 'pdca:b', dst: 'pdca:a', kind: 'previous' },
      { src: 'pdca:b', dst: 'component:OverlapChunker', kind: 'component' },
    ]);
    const seed = { id: 'b#0', tier: 'chroma' as const, collection: 'pdca_historical' as const, documentId: 'b', text: '', score: 0.8, metadata: {} };
    const items = await g.search({ text: 'why did it loop', nResults: {}, collections: [], filters: {}, seeds: [seed] });
    expect(items.map((i) => i.documentId).sort()).toEqual(['OverlapChunker', 'a']);
    expect(items[0]!.score).toBeCloseTo(0.64);
    const named = await g.search({ text: 'what does the OverlapChunker do', nResults: {}, collections: [], filters: {}, seeds: [] });
    expect(named.map((i) => i.documentId)).toEqual(['b']);
    await g.close();
  });
});
