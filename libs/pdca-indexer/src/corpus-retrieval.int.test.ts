import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@web4/core';
import { applyNResults, collectionHealth, evaluateFusion, FUSION_GOAL_MRR, loadRelevanceSet, matchesRef, optimizeRetrieval, SEARCH_COLLECTIONS } from '@web4/rag-tiers';
import { indexCorpus } from './corpus-indexing.js';
import { indexDaily } from './daily-indexing.js';
import { EXAMPLES, ragFixture, type RagFixture } from './test-support/rag-fixture.js';

const CHUNKER_PDCA = '2026-11-12-0900-indexer-sprint/pdca/role/developer/2026-11-12-UTC-0930-chunker-drops-document-tail';

describe('corpus → retrieve → cache → optimize (real Chroma, real embeddings)', () => {
  let fx: RagFixture;
  beforeAll(async () => {
    fx = await ragFixture();
    const { reports } = await indexCorpus(fx.rag, fx.config);
    for (const r of reports) expect(r.files.filter((f) => f.status === 'failed' && f.kind !== 'empty' && f.kind !== 'invalid_utf8')).toEqual([]);
    await indexDaily(fx.rag, fx.config, { date: '2026-11-25' });
  }, 600_000);
  afterAll(async () => fx?.cleanup());

  it('fills every collection and the graph, consistently', async () => {
    const health = await collectionHealth(fx.config);
    for (const c of health.collections) {
      expect(c.items, c.collection).toBeGreaterThan(0);
      expect(c.consistent, c.collection).toBe(true);
    }
    expect(health.collections.find((c) => c.collection === 'process_framework')!.documents).toBe(20);
    // The lexical index holds every chunk metadata counts (training consistency checks it per PDCA).
    expect(health.training?.mismatches).toEqual([]);
    expect(fx.rag.lexical.chunkCounts('components').size).toBe(health.collections.find((c) => c.collection === 'components')!.documents);
    expect(health.graph.nodes.topic).toBe(20);
    expect(health.graph.nodes.component).toBeGreaterThanOrEqual(13);
    expect(health.graph.edges.previous).toBeGreaterThan(50);
    expect(health.graph.edges.topic).toBeGreaterThan(10);
    expect(health.graph.edges.component).toBeGreaterThan(10);
    const chunker = await fx.rag.graph.neighbourhood(`pdca:${CHUNKER_PDCA}`, { kinds: ['component'] });
    expect(chunker.nodes.map((n) => n.label)).toContain('OverlapChunker');
  });

  it('a second corpus run on unchanged files embeds nothing', async () => {
    const { reports } = await indexCorpus(fx.rag, fx.config);
    expect(reports.reduce((n, r) => n + r.indexed + r.embedded, 0)).toBe(0);
    expect(reports.reduce((n, r) => n + r.unchanged, 0)).toBeGreaterThan(100);
  });

  it('a state indexed before the lexical tier existed gets it on the next run, from cached vectors', async () => {
    const before = fx.rag.lexical.chunkCounts('components');
    fx.rag.lexical.deleteDocuments('components', [...before.keys()]);
    const { reports } = await indexCorpus(fx.rag, fx.config);
    const components = reports.find((r) => r.collection === 'components')!;
    expect(components.indexed).toBe(before.size);
    expect(components.embedded).toBe(0);
    expect(fx.rag.lexical.chunkCounts('components')).toEqual(before);
    const hist = reports.find((r) => r.collection === 'pdca_historical')!;
    expect(hist.indexed).toBe(0);
  });

  it('retrieves ranked results across tiers and says which tiers were used', async () => {
    const r = await fx.rag.retriever.retrieve('Why did questions about the ACT section of long PDCAs return nothing?');
    const pdcas = r.results.filter((x) => x.collection === 'pdca_historical' && x.tier === 'chroma');
    expect(pdcas[0]!.documentId).toBe(CHUNKER_PDCA);
    expect(r.tiersUsed).toEqual(expect.arrayContaining(['chroma', 'graph']));
    expect(r.collectionsUsed).toEqual(expect.arrayContaining(['pdca_historical', 'components']));
    expect(r.results.map((x) => x.fusedScore)).toEqual([...r.results.map((x) => x.fusedScore!)].sort((a, b) => b - a));
    expect(r.tiersUsed).toContain('lexical');
    expect(r.results.filter((x) => x.tier === 'chroma' && x.collection === 'components')).toHaveLength(3);

    const only = await fx.rag.retriever.retrieve('overlap chunker infinite loop', { tiers: ['chroma'], nResults: 2 });
    expect(only.tiersUsed).toEqual(['chroma']);
    const named = await fx.rag.retriever.retrieve('OverlapChunker', { tiers: ['lexical'], collections: ['components'] });
    expect(named.results[0]!.documentId).toMatch(/OverlapChunker/);
    expect(only.results).toHaveLength(2 * SEARCH_COLLECTIONS.length);

    const old = await fx.rag.retriever.retrieve('chunker', { filters: { dateTo: '2026-11-11' }, tiers: ['chroma'] });
    const dates = old.results.filter((x) => x.collection === 'pdca_historical').map((x) => String(x.metadata.date));
    expect(dates.length).toBeGreaterThan(0);
    expect(dates.every((d) => d <= '2026-11-11')).toBe(true);

    const byDay = await fx.rag.retriever.retrieve('what did we do on 2026-11-25?', { collections: ['daily_buffer', 'pdca_historical'] });
    expect(byDay.tiersUsed).toContain('metadata');
    expect(byDay.results.filter((x) => x.tier === 'metadata').every((x) => x.metadata.date === '2026-11-25')).toBe(true);
  });

  it('serves whole PDCAs through the hot cache and records the accesses', async () => {
    const first = await fx.rag.retriever.retrieve('chunker drops the tail of long documents', { pdcaContext: true, collections: ['pdca_historical'] });
    const entry = first.pdcas.find((p) => p.pdcaId === CHUNKER_PDCA)!;
    // Rebuilt from its overlapping chunks, the PDCA is the file, byte for byte.
    expect(entry.text).toBe(readFileSync(join(EXAMPLES, 'journal', `${CHUNKER_PDCA}.md`), 'utf8'));
    const before = fx.rag.cache.stats();
    await fx.rag.retriever.retrieve('chunker drops the tail of long documents', { pdcaContext: true, collections: ['pdca_historical'] });
    const after = fx.rag.cache.stats();
    expect(after.hits - before.hits).toBe(first.pdcas.length);
    expect(after.memoryBytes).toBeGreaterThan(entry.text.length);
    fx.rag.cache.flush();
    const hot = await fx.rag.metadata.hotPdcas(3);
    expect(hot[0]!.accesses).toBeGreaterThanOrEqual(2);
    expect(hot.map((h) => h.pdcaId)).toContain(CHUNKER_PDCA);
  });

  it('the default fusion is never worse than the best single tier on the labelled queries', async () => {
    const queries = loadRelevanceSet(join(EXAMPLES, 'queries/relevance.yaml'));
    const ev = await evaluateFusion(fx.rag.retriever, queries, fx.config.rag.fusion);
    const line = (r: { ranking: string; mrr: number | null; recall: number | null; precision: number | null; hitsInTop: number }) =>
      `${r.ranking}: MRR ${r.mrr?.toFixed(3)} R@5 ${r.recall?.toFixed(3)} P@5 ${r.precision?.toFixed(3)} top5 ${r.hitsInTop}/${ev.queries}`;
    console.log([...ev.tiers.map(line), `current ${line(ev.current)} ${JSON.stringify(ev.current.settings)}`, `tuned ${line(ev.tuned)} ${JSON.stringify(ev.tuned.settings)}`].join('\n'));
    expect(ev.tiers.map((t) => t.ranking)).toEqual(['chroma', 'graph', 'metadata', 'lexical']);
    // The goal of the issue, on the measured figures: the default fusion's MRR is not below the
    // best single tier's, and reaches 0.90.
    expect(ev.current.mrr!).toBeGreaterThanOrEqual(ev.best.mrr);
    expect(ev.current.mrr!).toBeGreaterThanOrEqual(FUSION_GOAL_MRR);
    expect(ev.current.hitsInTop).toBeGreaterThanOrEqual(Math.max(...ev.tiers.map((t) => t.hitsInTop)));
    // Tuning may only improve, and where settings exist that lose neither MRR nor recall to the
    // best tier, it finds them (it does on this set: printed above).
    expect(ev.tuned.mrr! + ev.tuned.recall!).toBeGreaterThanOrEqual(ev.current.mrr! + ev.current.recall!);
    expect(ev.goals.tuned).toEqual({ notWorseMrr: true, notWorseRecall: true, mrrReached: true });
    // What the optimizer reports is what the retriever does with those settings.
    const q = queries.find((x) => ev.perQuery.find((p) => p.query === x.query)!.firstRelevant.tuned === 1)!;
    const r = await fx.rag.retriever.retrieve(q.query, { collections: ev.collections, fusion: ev.tuned.settings });
    const top = r.results[0]!;
    expect(q.relevant.some((ref) => matchesRef(ref.ref, top.documentId, String(top.metadata.file_path ?? '')))).toBe(true);
  }, 300_000);

  it('tunes n_results on the labelled queries and writes the choice into the config', async () => {
    const queries = loadRelevanceSet(join(EXAMPLES, 'queries/relevance.yaml'));
    const result = await optimizeRetrieval(fx.rag.chroma, fx.rag.embedder, queries, fx.config.rag.nResults, { repeats: 1 });
    const hist = result.rows.filter((r) => r.collection === 'pdca_historical');
    expect(hist.map((r) => r.k)).toEqual([2, 3, 5]);
    // More results can only find more of the relevant documents.
    expect(hist[2]!.recall!).toBeGreaterThanOrEqual(hist[0]!.recall!);
    expect(hist[2]!.recall!).toBeGreaterThan(0.3);
    expect(hist[0]!.mrr!).toBeGreaterThan(0.3);
    expect(result.recommendations).toHaveLength(6);
    const file = join(fx.root, 'web4.config.json');
    applyNResults(file, Object.fromEntries(result.recommendations.map((r) => [r.collection, r.recommended])));
    const reloaded = loadConfig({ root: fx.root, env: {} }).config;
    for (const rec of result.recommendations) expect(reloaded.rag.nResults[rec.collection]).toBe(rec.recommended);
  });
});
