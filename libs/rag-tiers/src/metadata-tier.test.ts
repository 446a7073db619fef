import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { MetadataTier, type DocumentRecord } from './metadata-tier.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const doc = (over: Partial<DocumentRecord>): DocumentRecord => ({
  collection: 'daily_buffer',
  docId: 'x',
  path: join(dir, 'x.md'),
  title: 'X',
  date: '2026-11-20',
  contentHash: 'h1',
  sizeBytes: 10,
  chunkCount: 2,
  trained: false,
  trainingBatch: null,
  qualityScore: 0.5,
  indexedAt: '2026-11-20T10:00:00Z',
  ...over,
});

describe('MetadataTier', () => {
  it('keeps per-document facts, filters, counts and marks training batches', async () => {
    const m = MetadataTier.open(join(dir, 'm.db'));
    writeFileSync(join(dir, 'a.md'), 'a');
    await m.upsertDocument(doc({ docId: 'a', path: join(dir, 'a.md'), date: '2026-11-20', qualityScore: 0.9 }));
    await m.upsertDocument(doc({ docId: 'b', path: join(dir, 'gone.md'), date: '2026-11-21', chunkCount: 3 }));
    await m.upsertDocument(doc({ docId: 'a', path: join(dir, 'a.md'), contentHash: 'h2', qualityScore: 0.9 }));
    expect((await m.getDocument('daily_buffer', 'a'))!.contentHash).toBe('h2');
    expect(await m.countsByCollection()).toEqual({ daily_buffer: { documents: 2, chunks: 5 } });
    expect((await m.listDocuments('daily_buffer', { dateFrom: '2026-11-21' })).map((d) => d.docId)).toEqual(['b']);
    expect((await m.listDocuments('daily_buffer', { minQuality: 0.8 })).map((d) => d.docId)).toEqual(['a']);
    expect(await m.markTrained('daily_buffer', ['a'], 'batch-1', '2026-11-25T22:00:00.000Z')).toBe(1);
    expect(await m.getDocument('daily_buffer', 'a')).toMatchObject({ trained: true, trainingBatch: 'batch-1' });
    expect((await m.listDocuments('daily_buffer', { trained: false })).map((d) => d.docId)).toEqual(['b']);
    const missing = await m.missingFiles(true);
    expect(missing.map((d) => d.docId)).toEqual(['b']);
    expect(await m.getDocument('daily_buffer', 'b')).toBeUndefined();
    await m.close();
  });

  it('answers queries that name a day', async () => {
    const m = MetadataTier.open(join(dir, 'q.db'));
    await m.upsertDocument(doc({ docId: 'd1', date: '2026-11-20', title: 'Cache week' }));
    await m.upsertDocument(doc({ docId: 'd2', date: '2026-11-22', title: 'Other' }));
    const items = await m.search({ text: 'what happened on 2026-11-20?', nResults: {}, collections: ['daily_buffer'], filters: {}, seeds: [] });
    expect(items.map((i) => i.documentId)).toEqual(['d1']);
    expect(items[0]!.tier).toBe('metadata');
    expect(await m.search({ text: 'no dates here', nResults: {}, collections: ['daily_buffer'], filters: {}, seeds: [] })).toEqual([]);
    await m.close();
  });

  it('records accesses and ranks hot PDCAs; caches vectors by hash', async () => {
    const m = MetadataTier.open(join(dir, 'h.db'));
    m.appendAccess([
      { pdcaId: 'p1', at: '2026-11-20T10:00:00Z', hit: false },
      { pdcaId: 'p1', at: '2026-11-20T10:01:00Z', hit: true },
      { pdcaId: 'p2', at: '2026-11-20T10:02:00Z', hit: false },
    ]);
    const hot = await m.hotPdcas(10);
    expect(hot.map((h) => [h.pdcaId, h.accesses, h.hits])).toEqual([['p1', 2, 1], ['p2', 1, 0]]);
    expect(await m.accessTotals()).toEqual({ accesses: 3, hits: 1, misses: 2, distinct: 2 });
    m.storeVectors([['k', [0.5, -0.25]]]);
    expect(m.cachedVectors(['k', 'nope'])).toEqual(new Map([['k', [0.5, -0.25]]]));
    await m.close();
  });

  it('refuses a file that is not a database, naming it', () => {
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, 'this is not sqlite at all, just text that is long enough to be read as a header');
    expect(() => MetadataTier.open(bad)).toThrow(/bad\.db/);
  });

  it('opens a file from before index signatures: the column is added, old rows read as NULL', async () => {
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE documents (
        collection TEXT NOT NULL, doc_id TEXT NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
        date TEXT, content_hash TEXT NOT NULL, size_bytes INTEGER NOT NULL, chunk_count INTEGER NOT NULL,
        trained INTEGER NOT NULL DEFAULT 0, training_batch TEXT, quality_score REAL NOT NULL,
        indexed_at TEXT NOT NULL, PRIMARY KEY (collection, doc_id));
      INSERT INTO documents VALUES ('daily_buffer', 'old', '/j/old.md', 'Old', '2026-11-01', 'h', 1, 1, 0, NULL, 0.5, '2026-11-01T00:00:00Z');`);
    old.close();
    const m = MetadataTier.open(file);
    expect(await m.getDocument('daily_buffer', 'old')).toMatchObject({ docId: 'old', contentHash: 'h', indexSignature: null });
    await m.upsertDocument(doc({ docId: 'new', indexSignature: 'sig' }));
    expect((await m.getDocument('daily_buffer', 'new'))!.indexSignature).toBe('sig');
    await m.close();
    expect(() => MetadataTier.open(file).close()).not.toThrow(); // opening again does not add it twice
  });
});
