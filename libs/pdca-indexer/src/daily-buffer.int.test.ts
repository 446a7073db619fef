import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionHealth, DailyBuffer } from '@web4/rag-tiers';
import { indexDaily } from './daily-indexing.js';
import { ragFixture, type RagFixture } from './test-support/rag-fixture.js';

/** The nightly loop's use of the buffer: read, mark trained, copy to history, archive, clear. */
describe('DailyBuffer (real Chroma, real embeddings)', () => {
  let fx: RagFixture;
  beforeAll(async () => {
    fx = await ragFixture();
  });
  afterAll(async () => fx?.cleanup());

  it('moves a trained day to history without re-embedding, and never trains it twice', async () => {
    const day = await indexDaily(fx.rag, fx.config, { date: '2026-11-25' });
    const buffer = new DailyBuffer(fx.rag);
    const items = await buffer.untrained();
    expect(items).toHaveLength(day.chunks);
    expect(items.every((i) => i.metadata.trained_in_adapter === false)).toBe(true);
    const ids = [...new Set(items.map((i) => i.pdcaId))];
    // The lexical index holds the same chunks as Chroma, per document.
    const lexicalBuffer = fx.rag.lexical.chunkCounts('daily_buffer');
    for (const id of ids) expect(lexicalBuffer.get(id), id).toBe(items.filter((i) => i.pdcaId === id).length);
    const found = await fx.rag.retriever.retrieve(items[0]!.text.slice(0, 200), { tiers: ['lexical'], collections: ['daily_buffer'] });
    expect(found.results.map((r) => r.documentId)).toContain(items[0]!.pdcaId);

    // Nothing can be cleared before it is archived and in history.
    await expect(buffer.clear(ids, '/nonexistent/archive.json')).rejects.toThrow(/archive/);
    const { file: archive } = await buffer.archive(ids, `${fx.root}/logs`, new Date('2026-11-25T22:00:00Z'));
    expect(JSON.parse(readFileSync(archive, 'utf8')).items).toHaveLength(items.length);
    await expect(buffer.clear(ids, archive)).rejects.toThrow(/not in pdca_historical/);

    expect(await buffer.markTrained(ids, 'batch-20261125', '2026-11-25T22:00:00.000Z')).toBe(ids.length);
    expect(await buffer.untrained()).toEqual([]);
    const embeddedBefore = fx.rag.embedder.embedded;
    expect(await buffer.copyToHistory(ids)).toBe(items.length);
    expect(fx.rag.embedder.embedded).toBe(embeddedBefore);
    const hist = await fx.rag.chroma.chunksOf('pdca_historical', ids);
    expect(hist.every((c) => c.metadata.trained_in_adapter === true && c.metadata.training_batch === 'batch-20261125')).toBe(true);
    expect((await fx.rag.graph.neighbourhood('batch:batch-20261125')).nodes).toHaveLength(ids.length);

    // A history copy without the lexical rows is not a finished move.
    fx.rag.lexical.deleteDocuments('pdca_historical', [ids[0]!]);
    await expect(buffer.clear(ids, archive)).rejects.toThrow(/not in pdca_historical.*lexical index/);
    expect(await buffer.copyToHistory(ids)).toBe(items.length);

    expect(await buffer.clear(ids, archive)).toBe(items.length);
    // Chroma, metadata and the lexical index agree after the move: nothing left in the buffer, all in history.
    expect(fx.rag.lexical.chunkCounts('daily_buffer').size).toBe(0);
    for (const id of ids) expect(fx.rag.lexical.chunkCount('pdca_historical', id)).toBe(lexicalBuffer.get(id));
    const moved = await fx.rag.retriever.retrieve(items[0]!.text.slice(0, 200), { tiers: ['lexical'], collections: ['daily_buffer', 'pdca_historical'] });
    expect(moved.results.filter((r) => r.documentId === items[0]!.pdcaId).map((r) => r.collection)).toEqual(expect.arrayContaining(['pdca_historical']));
    expect(moved.results.some((r) => r.collection === 'daily_buffer')).toBe(false);
    expect(existsSync(archive)).toBe(true);
    const health = await collectionHealth(fx.config);
    expect(health.collections.find((c) => c.collection === 'daily_buffer')).toMatchObject({ items: 0, documents: 0, consistent: true });
    expect(health.collections.find((c) => c.collection === 'pdca_historical')).toMatchObject({ items: items.length, documents: ids.length, consistent: true });
    expect(health.training?.mismatches).toEqual([]);

    // Indexing the same day again does not put the learned PDCAs back into the buffer.
    const again = await indexDaily(fx.rag, fx.config, { date: '2026-11-25' });
    expect(again.indexed).toBe(0);
    expect(again.files.filter((f) => f.status === 'unchanged').every((f) => f.reason?.startsWith('already trained in batch-20261125'))).toBe(true);
  });
});
