import { describe, expect, it } from 'vitest';
import type { AccessRecord } from './metadata-tier.js';
import { HotPdcaCache, type PdcaEntry } from './hot-pdca-cache.js';

const entry = (id: string): PdcaEntry => ({ pdcaId: id, collection: 'daily_buffer', title: id, date: null, filePath: `/j/${id}.md`, text: 'x'.repeat(100) });

describe('HotPdcaCache', () => {
  it('counts hits and misses, loads once, evicts the least recently used', async () => {
    const loads: string[] = [];
    const records: AccessRecord[] = [];
    const cache = new HotPdcaCache(async (id) => (loads.push(id), id === 'missing' ? undefined : entry(id)), { appendAccess: (r) => records.push(...r) }, 2);
    await Promise.all([cache.get('a'), cache.get('a')]);
    expect(loads).toEqual(['a']);
    await cache.get('a');
    await cache.get('b');
    await cache.get('c'); // evicts a
    expect(cache.keys().sort()).toEqual(['b', 'c']);
    expect(await cache.get('missing')).toBeUndefined();
    const s = cache.stats();
    expect([s.hits, s.misses, s.entries]).toEqual([1, 5, 2]);
    expect(s.memoryBytes).toBe(2 * 2 * (100 + 1 + 7 + 1)); // text, title, path (/j/b.md), key; UTF-16
    expect(records).toHaveLength(0); // buffered, not yet written
    await cache.close();
    expect(records.map((r) => [r.pdcaId, r.hit])).toEqual([['a', false], ['a', false], ['a', true], ['b', false], ['c', false], ['missing', false]]);
  });

  it('peek answers hits synchronously and starts a load on a miss', async () => {
    const cache = new HotPdcaCache(async (id) => entry(id), undefined, 100);
    expect(cache.peek('p')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.peek('p')?.pdcaId).toBe('p');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
  });
});

describe('HotPdcaCache.warm', () => {
  it('fills the cache without counting or recording lookups', async () => {
    const records: AccessRecord[] = [];
    const cache = new HotPdcaCache(async (id) => entry(id), { appendAccess: (r) => records.push(...r) }, 2);
    expect(await cache.warm(['a', 'b', 'c'])).toBe(2);
    expect(cache.stats()).toMatchObject({ entries: 2, hits: 0, misses: 0 });
    await cache.close();
    expect(records).toEqual([]);
  });
});
