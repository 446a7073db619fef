import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contextToNoise, percentile, precisionAtK, recall, reciprocalRank } from './retrieval-metrics.js';
import { loadRelevanceSet, matchesRef } from './relevance-set.js';

describe('retrieval metrics', () => {
  const list = { relevant: [false, true, true], chars: [100, 50, 150], foundDocs: 1, totalRelevantDocs: 2 };
  it('computes precision@k, recall, MRR and context-to-noise', () => {
    expect(precisionAtK(list, 3)).toBeCloseTo(2 / 3);
    expect(precisionAtK(list, 2)).toBe(0.5);
    expect(recall(list)).toBe(0.5);
    expect(reciprocalRank(list)).toBe(0.5);
    expect(contextToNoise(list)).toBe(2);
    expect(contextToNoise({ ...list, relevant: [true, true, true] })).toBe(Infinity);
    expect(reciprocalRank({ ...list, relevant: [false, false, false] })).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 100], 99)).toBe(100);
  });
});

describe('relevance set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web4-rel-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('reads the per-collection map form and matches by path suffix', () => {
    const f = join(dir, 'r.yaml');
    writeFileSync(f, 'queries:\n  - query: why?\n    relevant:\n      pdca_historical:\n        - journal/a/2026-11-12-UTC-0930-x.md\n      components: [components/layer2/OverlapChunker.ts]\n');
    const q = loadRelevanceSet(f);
    expect(q[0]!.relevant).toEqual([
      { collection: 'pdca_historical', ref: 'journal/a/2026-11-12-UTC-0930-x.md' },
      { collection: 'components', ref: 'components/layer2/OverlapChunker.ts' },
    ]);
    expect(matchesRef('journal/a/2026-11-12-UTC-0930-x.md', 'a/2026-11-12-UTC-0930-x', '/repo/examples/journal/a/2026-11-12-UTC-0930-x.md')).toBe(true);
    expect(matchesRef('journal/b/2026-11-12-UTC-0930-x.md', 'a/2026-11-12-UTC-0930-x', '/repo/examples/journal/a/2026-11-12-UTC-0930-x.md')).toBe(false);
    expect(matchesRef('components/layer2/OverlapChunker.ts', 'layer2/OverlapChunker.ts', '/r/examples/components/layer2/OverlapChunker.ts')).toBe(true);
  });
  it('rejects broken sets with what to fix', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'queries:\n  - query: x\n    relevant: {nowhere: [a]}\n');
    expect(() => loadRelevanceSet(f)).toThrow(/unknown collection "nowhere"/);
    expect(() => loadRelevanceSet(join(dir, 'none.yaml'))).toThrow(/does not exist/);
  });
});
