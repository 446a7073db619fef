import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolvePaths, type Web4Config } from '@web4/core';
import { DailyBuffer, openRag } from '@web4/rag-tiers';
import { indexDaily } from './daily-indexing.js';
import { ragFixture, realEmbedder, type RagFixture } from './test-support/rag-fixture.js';

const TODAY = '2026-11-25';

/** The same state root opened with other chunk settings (as after editing web4.config.json). */
function reopened(fx: RagFixture, chunk: { size: number; overlap: number }) {
  const config: Web4Config = { ...fx.config, rag: { ...fx.config.rag, chunk } };
  return openRag(config, { embedder: realEmbedder(loadConfig({ env: {} }).config) });
}

describe('indexing again after the model or the chunk settings change', () => {
  let fx: RagFixture;
  beforeAll(async () => {
    fx = await ragFixture({ copyJournal: true });
  });
  afterAll(async () => fx?.cleanup());

  it('re-indexes unchanged files made another way, once, and leaves trained buffer rows alone', async () => {
    const first = await indexDaily(fx.rag, fx.config, { date: TODAY });
    expect(first.indexed).toBe(7);
    expect(first.settingsChanged).toBe(0);
    const sig = (await fx.rag.metadata.getDocument('daily_buffer', first.files.find((f) => f.status === 'indexed')!.docId!))!.indexSignature;
    expect(sig).toMatch(/int8\|chunk 1000\/150\|window 256\|chunker \d+/);

    // One PDCA is trained and cleared from the buffer: its row stays, with no chunks.
    const trainedId = first.files.find((f) => f.status === 'indexed')!.docId!;
    const buffer = new DailyBuffer(fx.rag);
    await buffer.markTrained([trainedId], 'batch-test', '2026-11-25T22:00:00.000Z');
    await buffer.copyToHistory([trainedId]);
    const { file: archive } = await buffer.archive([trainedId], resolvePaths(fx.config).logsDir, new Date());
    await buffer.clear([trainedId], archive);

    const smaller = reopened(fx, { size: 600, overlap: 90 });
    try {
      const second = await indexDaily(smaller, smaller.config, { date: TODAY });
      expect(second.indexed).toBe(6);
      expect(second.settingsChanged).toBe(6);
      expect(second.unchanged).toBe(1); // the trained one is not put back into the buffer
      expect(second.files.find((f) => f.docId === trainedId)).toMatchObject({ status: 'unchanged', reason: expect.stringContaining('batch-test') });
      expect(second.chunks).toBeGreaterThan(first.chunks - (first.files.find((f) => f.docId === trainedId)!.chunks ?? 0));
      // the old chunks were replaced, not added to
      expect(await smaller.chroma.count('daily_buffer')).toBe(second.chunks);

      const third = await indexDaily(smaller, smaller.config, { date: TODAY });
      expect([third.indexed, third.settingsChanged, third.unchanged]).toEqual([0, 0, 7]);
    } finally {
      await smaller.close();
    }
  });

  it('a row written before signatures existed (NULL) counts as made another way', async () => {
    const docs = await fx.rag.metadata.documentsOf('daily_buffer');
    const live = [...docs.values()].find((d) => d.chunkCount > 0)!;
    await fx.rag.metadata.upsertDocument({ ...live, indexSignature: null });
    const smaller = reopened(fx, { size: 600, overlap: 90 });
    try {
      const r = await indexDaily(smaller, smaller.config, { date: TODAY });
      expect(r.files.filter((f) => f.status === 'indexed').map((f) => f.docId)).toEqual([live.docId]);
      expect(r.settingsChanged).toBe(1);
    } finally {
      await smaller.close();
    }
  });
});
