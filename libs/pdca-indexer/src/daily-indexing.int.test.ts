import { appendFileSync, readFileSync, symlinkSync, truncateSync, writeFileSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionHealth } from '@web4/rag-tiers';
import { indexDaily } from './daily-indexing.js';
import { indexingExitCode, type IndexingReport } from './indexing-report.js';
import { ragFixture, type RagFixture } from './test-support/rag-fixture.js';

const TODAY = '2026-11-25';
const byStatus = (r: IndexingReport, status: string) => r.files.filter((f) => f.status === status).map((f) => f.docId ?? f.path).sort();

describe('daily indexing into daily_buffer (real Chroma, real embeddings)', () => {
  let fx: RagFixture;
  beforeAll(async () => {
    fx = await ragFixture({ copyJournal: true });
  });
  afterAll(async () => fx?.cleanup());

  it("indexes the day's PDCAs once, with the plan's metadata, and skips them when unchanged", async () => {
    const first = await indexDaily(fx.rag, fx.config, { date: TODAY });
    // 5 developer PDCAs, the PO sprint notes (dated by their header only) and 1 daily note.
    expect(first.indexed).toBe(7);
    expect(first.failed).toBe(0);
    // The PO folder's symlink to the developer's PDCA is the same file: indexed once, an alias.
    expect(first.files.filter((f) => f.status === 'alias').map((f) => f.reason)).toEqual([
      expect.stringContaining('2026-11-25-UTC-1015-release-candidate-review'),
    ]);
    expect([first.aliases, first.skipped, first.ignored]).toEqual([1, 0, 0]);
    expect(byStatus(first, 'indexed')).toContain('2026-11-25-0800-release-prep/pdca/role/po/sprint-review-notes');

    const longest = first.files.filter((f) => f.status === 'indexed').sort((a, b) => (b.chunks ?? 0) - (a.chunks ?? 0))[0]!;
    const chunks = await fx.rag.chroma.chunksOf('daily_buffer', [longest.docId!]);
    expect(chunks.length).toBe(longest.chunks);
    expect(chunks.length).toBeGreaterThan(1); // the whole document is chunked, not its first 2000 characters
    const m = chunks[0]!.metadata;
    expect(m).toMatchObject({ date: TODAY, trained_in_adapter: false, chunk_count: chunks.length });
    expect(typeof m.quality_score).toBe('number');
    expect(String(m.file_path)).toBe(longest.path);
    expect(String(m.content_hash)).toMatch(/^[0-9a-f]{64}$/);
    expect(chunks.map((c) => c.metadata.chunk_index).sort()).toEqual(chunks.map((_, i) => i));

    const health = await collectionHealth(fx.config);
    const buffer = health.collections.find((c) => c.collection === 'daily_buffer')!;
    expect(buffer).toMatchObject({ reachable: true, documents: 7, consistent: true });
    expect(buffer.items).toBe(first.chunks);

    // Graph: the first PDCA of the day links to its predecessor.
    const prev = await fx.rag.graph.neighbourhood('pdca:2026-11-25-0800-release-prep/pdca/role/developer/2026-11-25-UTC-0930-flaky-canary-latency', { kinds: ['previous'] });
    expect(prev.nodes.length).toBeGreaterThan(0);

    const second = await indexDaily(fx.rag, fx.config, { date: TODAY });
    expect([second.indexed, second.unchanged, second.embedded]).toEqual([0, 7, 0]);
    expect(await fx.rag.chroma.count('daily_buffer')).toBe(first.chunks);
  });

  it('replaces the chunks of a changed file and never stores them twice', async () => {
    const id = '2026-11-25-0800-release-prep/pdca/role/developer/2026-11-25-UTC-0805-morning-validation';
    const file = join(fx.root, 'journal', `${id}.md`);
    const before = await fx.rag.metadata.getDocument('daily_buffer', id);
    appendFileSync(file, '\n\n## Addendum\nThe morning validation now also checks the canary latency budget.\n'.repeat(30));
    const r = await indexDaily(fx.rag, fx.config, { date: TODAY });
    expect(byStatus(r, 'indexed')).toEqual([id]);
    const after = await fx.rag.metadata.getDocument('daily_buffer', id);
    expect(after!.chunkCount).toBeGreaterThan(before!.chunkCount);
    const stored = await fx.rag.chroma.chunksOf('daily_buffer', [id]);
    expect(stored).toHaveLength(after!.chunkCount);
    expect(new Set(stored.map((c) => c.metadata.content_hash))).toEqual(new Set([after!.contentHash]));
    const health = await collectionHealth(fx.config);
    expect(health.collections.find((c) => c.collection === 'daily_buffer')!.consistent).toBe(true);
  });

  it('reports each bad file with a reason, goes on, and a second run after repair indexes exactly what was missed', async () => {
    const dir = join(fx.root, 'journal', 'bad-input', 'pdca');
    mkdirSync(dir, { recursive: true });
    const name = (slug: string) => join(dir, `${TODAY}-UTC-2000-${slug}.md`);
    const good = '# 📋 **PDCA Cycle: Good**\n\n**🗓️ Date:** 2026-11-25-UTC-2000\n\n## **📋 PLAN**\nplan\n\n## **🔧 DO**\ndo\n';
    writeFileSync(name('binary'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01]));
    writeFileSync(name('latin1'), Buffer.concat([Buffer.from('# Gr'), Buffer.from([0xf6, 0xdf]), Buffer.from('e\n')]));
    writeFileSync(name('empty'), '');
    writeFileSync(name('huge'), '');
    truncateSync(name('huge'), 50 * 1024 * 1024);
    symlinkSync(`${TODAY}-UTC-2000-loop.md`, name('loop'));
    symlinkSync('/etc/hostname', name('outside'));
    writeFileSync(name('mit Leerzeichen und Ümlauten ✓'), good);

    const run1 = await indexDaily(fx.rag, fx.config, { date: TODAY });
    const failed = Object.fromEntries(run1.files.filter((f) => f.status === 'failed').map((f) => [f.path.split('2000-')[1], f]));
    expect(Object.keys(failed).sort()).toEqual(['binary.md', 'empty.md', 'huge.md', 'latin1.md', 'loop.md', 'outside.md']);
    expect(failed['binary.md']).toMatchObject({ kind: 'binary', reason: expect.stringContaining('NUL byte') });
    expect(failed['latin1.md']).toMatchObject({ kind: 'invalid_utf8', reason: expect.stringContaining('iconv') });
    expect(failed['empty.md']).toMatchObject({ kind: 'empty' });
    expect(failed['huge.md']).toMatchObject({ kind: 'too_large', reason: expect.stringContaining('52.4 MB') });
    expect(failed['loop.md']).toMatchObject({ kind: 'symlink_loop' });
    expect(failed['outside.md']).toMatchObject({ kind: 'outside_root' });
    expect(byStatus(run1, 'indexed')).toEqual(['bad-input/pdca/2026-11-25-UTC-2000-mit Leerzeichen und Ümlauten ✓']);
    expect(run1.unchanged).toBe(7);
    expect(indexingExitCode([run1])).toBe(0); // bad files are reported, the run is not a failure

    // Repair: convert, write, shrink, fix the links.
    writeFileSync(name('binary'), good.replace('Good', 'Was binary'));
    writeFileSync(name('latin1'), readFileSync(name('latin1')).toString('latin1'));
    writeFileSync(name('empty'), good.replace('Good', 'Was empty'));
    writeFileSync(name('huge'), good.replace('Good', 'Was huge'));
    unlinkSync(name('loop'));
    writeFileSync(name('loop'), good.replace('Good', 'Was a loop'));
    unlinkSync(name('outside'));
    const run2 = await indexDaily(fx.rag, fx.config, { date: TODAY });
    expect(run2.failed).toBe(0);
    expect(byStatus(run2, 'indexed').map((id) => id.split('2000-')[1])).toEqual(['binary', 'empty', 'huge', 'latin1', 'loop']);
    expect(run2.unchanged).toBe(8);
    rmSync(join(fx.root, 'journal', 'bad-input'), { recursive: true, force: true });
  });
});
