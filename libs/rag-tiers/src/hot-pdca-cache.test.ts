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

describe('HotPdcaCache access writer on a real SQLite file', () => {
  it('keeps access records whose write failed and writes them on the next try', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { default: Database } = await import('better-sqlite3');
    const { MetadataTier } = await import('./metadata-tier.js');
    const dir = mkdtempSync(join(tmpdir(), 'hot-pdca-'));
    try {
      const path = join(dir, 'metadata.sqlite');
      const tier = MetadataTier.open(path);
      const cache = new HotPdcaCache(async (id) => entry(id), tier, 10);
      const other = new Database(path);
      const ddl = (other.prepare("SELECT sql FROM sqlite_master WHERE name = 'pdca_access'").get() as { sql: string }).sql;
      other.exec('DROP TABLE pdca_access'); // the next write fails: no such table
      await cache.get('a');
      await cache.get('a');
      expect(() => cache.flush()).toThrow(/pdca_access/);
      expect(cache.accessWriterStats()).toMatchObject({ pending: 2, failedWrites: 1 });
      other.exec(ddl);
      other.close();
      await cache.close();
      const rows = await tier.hotPdcas(5);
      expect(rows.map((r) => [r.pdcaId, r.accesses])).toEqual([['a', 2]]);
      await tier.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
