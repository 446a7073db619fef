import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '@web4/rag-tiers';
import { indexCorpus } from './corpus-indexing.js';
import { indexDaily } from './daily-indexing.js';
import { appendIndexingLog } from './indexing-log.js';
import type { IndexingReport } from './indexing-report.js';
import { buildMessyJournal, MESSY_EXPECTED, MESSY_PDCAS, type MessyJournal } from './test-support/messy-journal.js';
import { ragFixture, type RagFixture } from './test-support/rag-fixture.js';

const failedOf = (r: IndexingReport) => r.files.filter((f) => f.status === 'failed');

/** A journal and components tree with a living repository's shapes, indexed for real (Chroma, model, SQLite tiers). */
describe('indexing a journal shaped like a real one (real Chroma, real embeddings)', () => {
  let m: MessyJournal;
  let fx: RagFixture;
  let reports: IndexingReport[];
  beforeAll(async () => {
    m = buildMessyJournal();
    fx = await ragFixture({ journal: m.journal, components: m.components });
    // What the file-name rule of earlier versions left in the graph: generic nodes with edges.
    fx.rag.graph.upsertNodes([{ id: nodeId('component', 'README'), kind: 'component', label: 'README', collection: 'components' }]);
    fx.rag.graph.addEdges([
      { src: nodeId('pdca', 'old/pdca'), dst: nodeId('component', 'README'), kind: 'component' },
      { src: nodeId('pdca', 'old/pdca'), dst: nodeId('component', 'index'), kind: 'component' },
    ]);
    ({ reports } = await indexCorpus(fx.rag, fx.config));
  }, 300_000);
  afterAll(async () => {
    await fx?.cleanup();
    m?.cleanup();
  });

  it('fails only the PDCAs it could not index, each with a reason; aliases and ignored links are counts', () => {
    const hist = reports.find((r) => r.collection === 'pdca_historical')!;
    expect(hist.indexed).toBe(Object.keys(MESSY_PDCAS).length);
    expect(hist.files.filter((f) => f.status === 'indexed').map((f) => f.docId).sort()).toEqual(Object.values(MESSY_PDCAS).sort());
    expect(failedOf(hist).map((f) => [f.path.slice(m.journal.length + 1), f.kind])).toEqual([
      [MESSY_EXPECTED.brokenPdca, 'broken_link'],
      [MESSY_EXPECTED.outsidePdca, 'outside_root'],
    ]);
    expect(failedOf(hist)[0]!.reason).toContain(MESSY_EXPECTED.brokenTarget);
    expect(failedOf(hist)[1]!.reason).toContain('outside the journal root');
    expect([hist.failed, hist.aliases, hist.ignored, hist.skipped]).toEqual([2, MESSY_EXPECTED.aliases.length, MESSY_EXPECTED.ignored.length, 2]);
    expect(hist.found).toBe(Object.keys(MESSY_PDCAS).length + 2);

    const comps = reports.find((r) => r.collection === 'components')!;
    expect(failedOf(comps).map((f) => [f.path.slice(m.components.length + 1), f.kind])).toEqual([['Web4Requirement/0.1.3.0/src/ts/shared.ts', 'outside_root']]);
    expect(failedOf(comps)[0]!.reason).toContain('outside the components folder');
    expect([comps.aliases, comps.ignored]).toEqual([1, 1]);
    expect(comps.files.some((f) => f.path.includes('/latest/'))).toBe(false);
  });

  it('logs FAILED only for those, so `grep FAILED` is the list of what to fix', () => {
    const log = join(fx.root, 'logs/daily_indexing.log');
    appendIndexingLog(log, 'corpus', reports, new Date('2026-11-25T18:00:00Z'));
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines.filter((l) => l.includes('FAILED')).map((l) => l.split('FAILED ')[1]!.split(':')[0]!.split('/').pop())).toEqual([
      'shared.ts',
      '2026-11-25-UTC-1200-moved-away.md',
      '2026-11-25-UTC-1300-shared-elsewhere.md',
    ]);
    expect(lines.find((l) => l.includes('corpus pdca_historical:'))).toContain(`failed 2, skipped 2, aliases ${MESSY_EXPECTED.aliases.length}, ignored ${MESSY_EXPECTED.ignored.length}`);
    expect(lines.filter((l) => l.includes(' skipped ') && l.includes('[symlink_loop]'))).toHaveLength(1);
  });

  it('makes component nodes of component folders and exported units only, and removes generic ones', async () => {
    const nodes = (await fx.rag.graph.nodesOfKind('component')).map((n) => n.label).sort();
    expect(nodes).toEqual([...MESSY_EXPECTED.componentNodes]);
    expect(await fx.rag.graph.node(nodeId('component', 'README'))).toBeUndefined();
    expect(await fx.rag.graph.node(nodeId('component', 'index'))).toBeUndefined();
    // Every PDCA reads "the README … the index"; none is linked to them, each to the components it names.
    const linked = async (id: string) => (await fx.rag.graph.neighbourhood(nodeId('pdca', id), { kinds: ['component'] })).nodes.map((n) => n.label).sort();
    expect(await linked(MESSY_PDCAS.fixChunker)).toEqual(['DefaultWeb4Requirement', 'Web4Requirement']);
    expect(await linked(MESSY_PDCAS.capitalDated)).toEqual(['Web4Requirement', 'Web4RequirementCLI']);
    expect(await linked(MESSY_PDCAS.capitalUndated)).toEqual([]);
    const counts = await fx.rag.graph.counts();
    expect(counts.edges.component).toBe(6);
  });

  it('links a previous PDCA named through a folder alias to its real id', async () => {
    const prev = await fx.rag.graph.neighbourhood(nodeId('pdca', MESSY_PDCAS.reviewChunker), { kinds: ['previous'] });
    expect(prev.nodes.map((n) => n.id)).toEqual([nodeId('pdca', MESSY_PDCAS.fixChunker)]);
    const doc = await fx.rag.metadata.getDocument('pdca_historical', MESSY_PDCAS.releaseNotes);
    expect(doc!.path).toBe(join(m.journal, `${MESSY_PDCAS.releaseNotes}.md`));
    expect(await fx.rag.metadata.getDocument('pdca_historical', MESSY_PDCAS.releaseNotes.replace('/v1/', '/latest/'))).toBeUndefined();
  });

  it("a day's report counts that day's PDCAs and failures only", async () => {
    const day = await indexDaily(fx.rag, fx.config, { date: '2026-11-25' });
    expect(day.files.filter((f) => f.status === 'indexed').map((f) => f.docId).sort()).toEqual([MESSY_PDCAS.capitalDated, MESSY_PDCAS.capitalUndated, MESSY_PDCAS.releaseNotes].sort());
    expect(failedOf(day).map((f) => f.kind)).toEqual(['broken_link', 'outside_root']);
    expect(day.aliases).toBe(1); // releases/latest; the aliases of the 24th are that day's
  });
});
