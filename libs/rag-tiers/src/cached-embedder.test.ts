import { describe, expect, it } from 'vitest';
import { CachedEmbedder } from './cached-embedder.js';
import { QueryEmbeddingCache } from './query-embedding-cache.js';

/**
 * A deterministic stand-in for the model (interface only: it records what it was asked and
 * returns one number per text), so the caching and ordering logic can be checked exactly.
 */
class RecordingEmbedder {
  calls: string[][] = [];
  async embed(texts: string[]): Promise<number[][]> {
    this.calls.push(texts);
    return texts.map((t) => [t.length]);
  }
}

function memoryStore() {
  const map = new Map<string, number[]>();
  return {
    cachedVectors: (hashes: readonly string[]) => new Map(hashes.filter((h) => map.has(h)).map((h) => [h, map.get(h)!] as const)),
    storeVectors: (entries: ReadonlyArray<readonly [string, number[]]>) => entries.forEach(([h, v]) => map.set(h, v)),
  };
}

describe('CachedEmbedder', () => {
  it('embeds each distinct text once, in length-sorted batches, and answers in input order', async () => {
    const inner = new RecordingEmbedder();
    const e = new CachedEmbedder(inner, memoryStore(), 2, 'model-a');
    const out = await e.embed(['ccc', 'a', 'ccc', 'bb', 'dddd']);
    expect(out).toEqual([[3], [1], [3], [2], [4]]);
    expect(inner.calls).toEqual([['a', 'bb'], ['ccc', 'dddd']]);
    expect(await e.embed(['bb', 'eeeee'])).toEqual([[2], [5]]);
    expect(inner.calls.at(-1)).toEqual(['eeeee']);
    expect([e.embedded, e.reused]).toEqual([5, 2]);
  });

  it('does not reuse vectors of another model', async () => {
    const store = memoryStore();
    await new CachedEmbedder(new RecordingEmbedder(), store, 8, 'model-a').embed(['x']);
    const inner = new RecordingEmbedder();
    await new CachedEmbedder(inner, store, 8, 'model-b').embed(['x']);
    expect(inner.calls).toEqual([['x']]);
  });
});

describe('QueryEmbeddingCache', () => {
  it('answers repeated queries from memory and asks the model only for new ones', async () => {
    const inner = new RecordingEmbedder();
    const q = new QueryEmbeddingCache(inner, 2);
    expect(await q.embed(['why', 'how'])).toEqual([[3], [3]]);
    expect(await q.embed(['why', 'where'])).toEqual([[3], [5]]);
    expect(inner.calls).toEqual([['why', 'how'], ['where']]);
    expect([q.hits, q.misses]).toEqual([1, 3]);
  });
});
