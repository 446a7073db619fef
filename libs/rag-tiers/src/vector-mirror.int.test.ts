import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '@web4/core';
import { LocalService } from '@web4/local-services';
import { ChromaTier, CHANGE_MARK, type ChunkRecord } from './chroma-tier.js';
import type { CollectionName } from './collections.js';
import type { RetrievalFilters, RetrievedItem } from './retrieval-tier.js';

/**
 * The vector mirror against a real Chroma (tools/test/global-setup.ts): it must return what
 * Chroma returns, see other processes' writes within its refresh, and never hide this process's.
 */
const url = process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl');
const DIM = 384;
const database = `mirror_${process.pid}_${Date.now().toString(36)}`;

// Deterministic vectors, so a failure can be replayed.
const random = seededRandom(7);
const vector = (): number[] => Array.from({ length: DIM }, () => random() - 0.5);
const near = (v: number[], noise: number): number[] => v.map((x) => x + noise * (random() - 0.5));

function pdcaChunks(n: number): ChunkRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const day = 1 + (i % 28);
    const metadata: ChunkRecord['metadata'] = {
      doc_id: `pdca-${Math.floor(i / 2)}`,
      pdca_id: `pdca-${Math.floor(i / 2)}`,
      chunk_index: i % 2,
      date: `2026-11-${String(day).padStart(2, '0')}`,
      date_num: 20261100 + day,
      trained_in_adapter: i % 3 === 0,
    };
    // Some rows carry no quality score: a filter on it must leave them out, as Chroma does.
    if (i % 5 !== 0) metadata.quality_score = (i % 10) / 10;
    return { id: `pdca-${Math.floor(i / 2)}#${i % 2}`, embedding: vector(), document: `PDCA chunk ${i}`, metadata };
  });
}

const history = pdcaChunks(600);
const components: ChunkRecord[] = Array.from({ length: 50 }, (_, i) => ({ id: `comp-${i}#0`, embedding: vector(), document: `component ${i}`, metadata: { doc_id: `comp-${i}`, chunk_index: 0 } }));

const FILTERS: RetrievalFilters[] = [
  {},
  { dateFrom: '2026-11-05', dateTo: '2026-11-12' },
  { trained: true },
  { trained: false, minQuality: 0.5 },
  { minQuality: 0.7 },
  { pdcaIds: ['pdca-3', 'pdca-40', 'pdca-41', 'pdca-250'] },
];
const COLLECTIONS: CollectionName[] = ['pdca_historical', 'components'];

const ask = (tier: ChromaTier, embedding: number[], filters: RetrievalFilters = {}, n = 5): Promise<RetrievedItem[]> =>
  tier.search({ text: 'q', embedding, nResults: { pdca_historical: n, components: n }, collections: COLLECTIONS, filters, seeds: [] });

function expectSameAnswers(fromMirror: RetrievedItem[], fromChroma: RetrievedItem[]): void {
  expect(fromMirror.map((r) => r.id)).toEqual(fromChroma.map((r) => r.id));
  fromMirror.forEach((r, i) => {
    expect(r.score).toBeCloseTo(fromChroma[i]!.score, 5);
    expect(r.text).toBe(fromChroma[i]!.text);
    expect(r.metadata).toEqual(fromChroma[i]!.metadata);
    expect(r.documentId).toBe(fromChroma[i]!.documentId);
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('VectorMirror on a real Chroma', () => {
  /** Another process: writes and reads Chroma directly. */
  const chroma = new ChromaTier(url, database);
  const open: ChromaTier[] = [];
  const mirrored = async (options: { maxVectors?: number; refreshMs?: number; countEveryMs?: number; maxStaleMs?: number } = {}): Promise<ChromaTier> => {
    const tier = new ChromaTier(url, database);
    open.push(tier);
    await tier.mirrorVectors({ ...options, maxVectors: options.maxVectors ?? 10_000, refreshMs: options.refreshMs ?? 60_000 }).ready();
    return tier;
  };

  beforeAll(async () => {
    await chroma.upsert('pdca_historical', history);
    await chroma.upsert('components', components);
  }, 120_000);

  afterAll(async () => {
    for (const t of open) await t.close();
    await chroma.dropDatabase();
  });

  it('answers every query and filter as Chroma does, from memory', async () => {
    const tier = await mirrored();
    const stats = tier.vectorMirror!.snapshotStats();
    expect(stats.mirrored).toMatchObject({ pdca_historical: 600, components: 50 });
    expect(stats.lastError).toBeNull();
    let compared = 0;
    for (const [q, filters] of FILTERS.flatMap((f) => [0, 1, 2, 3, 4].map((k) => [k, f] as const))) {
      // Near a stored row (a clear best match) or anywhere (near-ties further down).
      const embedding = q % 2 === 0 ? near(history[(q * 97 + compared * 13) % history.length]!.embedding, 0.3) : vector();
      const [fromMirror, fromChroma] = await Promise.all([ask(tier, embedding, filters), ask(chroma, embedding, filters)]);
      expect(fromChroma.length).toBeGreaterThan(0);
      expectSameAnswers(fromMirror, fromChroma);
      compared++;
    }
    // A document's chunks (the hot-PDCA cache rebuilds PDCAs from them): the same rows from memory.
    const byId = (rows: Array<{ id: string }>) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    for (const doc of ['pdca-0', 'pdca-77', 'pdca-299', 'no-such-pdca']) {
      expect(tier.vectorMirror!.rowsOf('pdca_historical', doc)).toBeDefined();
      expect(byId(await tier.textsOf('pdca_historical', doc))).toEqual(byId(await chroma.textsOf('pdca_historical', doc)));
    }
    expect((await tier.textsOf('pdca_historical', 'pdca-77')).map((r) => r.document).sort()).toEqual(['PDCA chunk 154', 'PDCA chunk 155']);
    const after = tier.vectorMirror!.snapshotStats();
    // Two collections per query, every one from memory.
    expect(after.served - stats.served).toBe(2 * compared);
    expect(after.fellBack).toBe(stats.fellBack);
  }, 60_000);

  it("sees another process's update and delete within its refresh, through the collection's change mark", async () => {
    const tier = await mirrored({ refreshMs: 100 });
    const target = history[10]!;
    const before = (await chroma.collection('pdca_historical')).metadata?.[CHANGE_MARK];
    const reloads = tier.vectorMirror!.snapshotStats().reloads;
    // The same id with a new vector and text: the row count does not change, only the mark does.
    const moved = vector();
    await chroma.upsert('pdca_historical', [{ ...target, embedding: moved, document: 'rewritten by the evening loop' }]);
    expect((await chroma.collection('pdca_historical')).metadata?.[CHANGE_MARK]).not.toBe(before);
    await until('the rewritten chunk', async () => (await ask(tier, moved, {}, 1))[0]?.text === 'rewritten by the evening loop');
    expect(tier.vectorMirror!.snapshotStats().reloads).toBeGreaterThan(reloads);
    expectSameAnswers(await ask(tier, moved), await ask(chroma, moved));

    const gone = history[20]!;
    await chroma.deleteDocuments('pdca_historical', [String(gone.metadata.doc_id)]);
    await until('the deleted document to leave', async () => !(await ask(tier, gone.embedding, {}, 10)).some((r) => r.documentId === gone.metadata.doc_id));
    expectSameAnswers(await ask(tier, gone.embedding), await ask(chroma, gone.embedding));
    // Put both back for the other tests.
    await chroma.upsert('pdca_historical', [target, gone, history[21]!]);
  }, 60_000);

  it('sees rows another program adds without a change mark through the row count', async () => {
    const tier = await mirrored({ refreshMs: 50, countEveryMs: 200 });
    const col = await chroma.collection('components');
    const foreign = { id: 'foreign#0', embedding: vector(), document: 'added by another program', metadata: { doc_id: 'foreign', chunk_index: 0 } };
    // The Chroma client directly: no change mark.
    await col.add({ ids: [foreign.id], embeddings: [foreign.embedding], documents: [foreign.document], metadatas: [foreign.metadata] });
    await until('the foreign row', async () => (await ask(tier, foreign.embedding, {}, 1)).some((r) => r.id === 'foreign#0'));
    expect(tier.vectorMirror!.snapshotStats().mirrored.components).toBe(components.length + 1);
    await col.delete({ ids: [foreign.id] });
    await until('the foreign row to leave', async () => !(await ask(tier, foreign.embedding, {}, 1)).some((r) => r.id === 'foreign#0'));
  }, 60_000);

  it('does not reload on every write while another process keeps writing, and has the last write once it stops', async () => {
    const tier = await mirrored({ refreshMs: 100, maxStaleMs: 700 });
    const mirror = tier.vectorMirror!;
    const reloads = mirror.snapshotStats().reloads;
    const target = components[3]!;
    const started = Date.now();
    let writes = 0;
    let last = target.embedding;
    while (Date.now() - started < 2_000) {
      last = vector();
      await chroma.upsert('components', [{ ...target, embedding: last, document: `version ${++writes}` }]);
      await new Promise((r) => setTimeout(r, 20));
    }
    const during = mirror.snapshotStats().reloads - reloads;
    // A write every ~30 ms for 2 s, refreshes every 100 ms: without holding still that is ~20 reloads;
    // maxStaleMs 700 allows about 3.
    expect(writes).toBeGreaterThan(20);
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThanOrEqual(4);
    await until('the last write', async () => (await ask(tier, last, {}, 1)).find((r) => r.collection === 'components')?.text === `version ${writes}`);
    await chroma.upsert('components', [target]);
  }, 60_000);

  it('answers its own process at once after a write (Chroma until the reload has it), then from memory again', async () => {
    const tier = await mirrored({ refreshMs: 60_000 });
    const mirror = tier.vectorMirror!;
    const fresh: ChunkRecord = { id: 'pdca-new#0', embedding: vector(), document: 'written a moment ago', metadata: { doc_id: 'pdca-new', pdca_id: 'pdca-new', chunk_index: 0, date_num: 20261130, trained_in_adapter: false } };
    await tier.upsert('pdca_historical', [fresh]);
    const fellBack = mirror.snapshotStats().fellBack;
    expect((await ask(tier, fresh.embedding, {}, 1))[0]?.text).toBe('written a moment ago');
    expect(mirror.snapshotStats().fellBack).toBe(fellBack + 1);
    // The write asked for a reload at once (not at the 60 s refresh).
    await until('the reload', async () => mirror.snapshotStats().mirrored.pdca_historical === history.length + 1);
    const served = mirror.snapshotStats().served;
    expect((await ask(tier, fresh.embedding, {}, 1))[0]?.text).toBe('written a moment ago');
    expect(mirror.snapshotStats().served).toBe(served + 2);
    await tier.deleteDocuments('pdca_historical', ['pdca-new']);
    expect((await ask(tier, fresh.embedding, {}, 1))[0]?.id).not.toBe('pdca-new#0');
  }, 60_000);

  it('keeps a collection that would pass the vector budget on Chroma, and the answers stay the same', async () => {
    const tier = await mirrored({ maxVectors: 100 });
    const stats = tier.vectorMirror!.snapshotStats();
    expect(stats.mirrored).toEqual({ components: 50 });
    expect(stats.overBudget).toContain('pdca_historical');
    const embedding = near(history[5]!.embedding, 0.3);
    expectSameAnswers(await ask(tier, embedding, { trained: false }), await ask(chroma, embedding, { trained: false }));
    const after = tier.vectorMirror!.snapshotStats();
    expect(after.fellBack - stats.fellBack).toBe(1);
    expect(after.served - stats.served).toBe(1);
  }, 60_000);

  it('leaves a query of another dimension to Chroma, which rejects it', async () => {
    const tier = await mirrored();
    expect(tier.vectorMirror!.search('components', [1, 0, 0], 3)).toBeUndefined();
    await expect(ask(tier, [1, 0, 0])).rejects.toThrow(/dimension/i);
  }, 60_000);

  it('keeps answering from its copy while Chroma is down, says so once, and catches up when it is back', async () => {
    // A Chroma of its own: this test stops it.
    const dir = mkdtempSync(join(tmpdir(), 'web4-mirror-'));
    // A fixed port, so that the server comes back where the tier looks for it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const server = new LocalService({ name: 'chroma', host: '127.0.0.1', port, servicesDir: join(dir, 'services'), dataDir: join(dir, 'data'), startTimeoutS: 60 });
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: unknown) => void warnings.push(String(m)), error: () => undefined, debug: () => undefined } as never;
    try {
      const first = await server.up();
      const writer = new ChromaTier(first.url, 'down_test');
      await writer.upsert('components', components);
      const tier = new ChromaTier(first.url, 'down_test');
      const mirror = tier.mirrorVectors({ maxVectors: 1_000, refreshMs: 50, logger });
      await mirror.ready();
      const embedding = near(components[7]!.embedding, 0.2);
      const before = await ask(tier, embedding);
      expect(before[0]?.id).toBe('comp-7#0');

      await server.down();
      await until('a failed refresh', async () => mirror.snapshotStats().lastError !== null);
      await new Promise((r) => setTimeout(r, 300)); // several more failed refreshes
      const whileDown = await tier.search({ text: 'q', embedding, nResults: { components: 5 }, collections: ['components'], filters: {}, seeds: [] });
      expect(whileDown.map((r) => r.id)).toEqual(before.map((r) => r.id));
      expect(warnings.filter((w) => w.includes('refresh failed'))).toHaveLength(1);
      // A collection it never loaded is not invented: Chroma's own error, naming the server.
      await expect(tier.search({ text: 'q', embedding, nResults: { process_docs: 3 }, collections: ['process_docs'], filters: {}, seeds: [] })).rejects.toThrow(/not reachable/);

      const again = await server.up();
      expect(again.url).toBe(first.url);
      await until('the refresh after Chroma is back', async () => mirror.snapshotStats().lastError === null);
      await tier.close();
    } finally {
      await server.down();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
