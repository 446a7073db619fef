import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const EXAMPLES = join(REPO, 'examples');
const root = mkdtempSync(join(tmpdir(), 'web4-cli-rag-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the commands' JSON, read field by field below
type Json = Record<string, any>;

/** Run the CLI without blocking this worker (a blocked worker misses vitest's heartbeats). */
function web4(...args: string[]): Promise<{ code: number; out: string; err: string; json: () => Json }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, 'tools/web4.mjs'), ...args, '--root', root],
      { encoding: 'utf8', env: { ...process.env, WEB4_SERVICES__CHROMA__URL: process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl') }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, out: stdout, err: stderr, json: () => JSON.parse(stdout) as Json });
      },
    );
  });
}

/** `web4 index …` and `web4 rag …` end to end: real CLI process, real Chroma, real model. */
describe('web4 index / web4 rag', () => {
  writeFileSync(
    join(root, 'web4.config.json'),
    JSON.stringify({
      rag: {
        chromaDatabase: `cli_${process.pid}_${Date.now().toString(36)}`,
        journal: { root: join(EXAMPLES, 'journal') },
        corpus: { components: join(EXAMPLES, 'components'), processDocs: join(EXAMPLES, 'process_docs'), toolExamples: join(EXAMPLES, 'tool_examples'), trainai: join(EXAMPLES, 'trainai') },
        relevanceSet: join(EXAMPLES, 'queries/relevance.yaml'),
      },
    }),
  );

  it('index daily prints found/indexed/failed, logs the run, and a second run finds nothing new', async () => {
    const first = await web4('index', 'daily', '--date', '2026-11-25');
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/Found:\s+7/);
    expect(first.out).toMatch(/Indexed:\s+7/);
    expect(first.out).toMatch(/Failed:\s+0 ✓/);
    const second = await web4('index', 'daily', '--date', '2026-11-25', '--json');
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ date: '2026-11-25', indexed: 0, unchanged: 7, failed: 0, exitCode: 0 });
    const log = readFileSync(join(root, 'logs/daily_indexing.log'), 'utf8');
    expect(log.match(/daily 2026-11-25 daily_buffer: found 7/g)).toHaveLength(2);
  });

  it('index corpus reports the bad fixtures per file and exits 0 because the rest was indexed', async () => {
    const r = await web4('index', 'corpus', '--json');
    expect(r.code, r.err).toBe(0);
    const hist = r.json().reports.find((x: { collection: string }) => x.collection === 'pdca_historical');
    const failed = hist.files.filter((f: { status: string }) => f.status === 'failed');
    expect(failed.map((f: { kind: string }) => f.kind).sort()).toEqual(['empty', 'invalid_utf8']);
    expect(hist.indexed).toBeGreaterThan(60);
  });

  it('rag query records accesses that rag hot and rag cache-stats read back', async () => {
    const q = await web4('rag', 'query', 'why did the overlap chunker loop forever?', '--json');
    expect(q.code, q.err).toBe(0);
    const result = q.json();
    expect(result.tiersUsed).toContain('chroma');
    expect(result.tiersUsed).toContain('lexical');
    // The model's start in this fresh process is measured apart from the (warm) retrieval.
    expect(result.modelStartMs).toBeGreaterThan(0);
    expect(result.totalMs).toBeCloseTo(result.modelStartMs + result.latencyMs, 3);
    expect(result.timingsMs.embed).toBeLessThan(result.modelStartMs);
    expect(result.results[0].documentId).toMatch(/overlap-chunker-infinite-loop|chunker/i);
    const hot = await web4('rag', 'hot', '--top', '10', '--json');
    expect(hot.code).toBe(0);
    const pdcas = new Set(result.results.filter((x: { collection: string }) => x.collection === 'pdca_historical').map((x: { documentId: string }) => x.documentId));
    expect(hot.json().top.map((h: { pdcaId: string }) => h.pdcaId).sort()).toEqual([...pdcas].sort());
    const stats = await web4('rag', 'cache-stats', '--json');
    expect(stats.code).toBe(0);
    expect(stats.json().recorded).toMatchObject({ accesses: pdcas.size, misses: pdcas.size });
    expect(stats.json().cache.entries).toBe(pdcas.size);
    const human = await web4('rag', 'query', 'web4-agent 0.1.3.0 release', '--tiers', 'lexical,chroma');
    expect(human.code, human.err).toBe(0);
    expect(human.out).toMatch(/model start \d+\.\d ms \(load \+ first inference, once per process\), retrieval \d+\.\d ms/);
  });

  it('rag health, rag optimize --apply', async () => {
    const health = await web4('rag', 'health', '--json');
    expect(health.code, health.out).toBe(0);
    expect(health.json().collections.every((c: { consistent: boolean }) => c.consistent)).toBe(true);
    const opt = await web4('rag', 'optimize', '--apply', '--json');
    expect(opt.code, opt.err).toBe(0);
    const written = JSON.parse(readFileSync(join(root, 'web4.config.json'), 'utf8'));
    for (const r of opt.json().recommendations) expect(written.rag.nResults[r.collection]).toBe(r.recommended);
    const fusion = opt.json().fusion;
    expect(fusion.tiers.map((t: { ranking: string }) => t.ranking)).toEqual(['chroma', 'graph', 'metadata', 'lexical']);
    expect(written.rag.fusion).toEqual(fusion.tuned.settings);
    expect(fusion.current.mrr).toBeGreaterThanOrEqual(fusion.best.mrr);
    const human = await web4('rag', 'optimize');
    expect(human.out).toMatch(/chroma alone/);
    expect(human.out).toMatch(/Default retrieval \(config\): MRR \d\.\d\d vs best tier \d\.\d\d (✓|⚠️)/);
    expect(written.rag.journal.root).toBe(join(EXAMPLES, 'journal')); // the rest of the file is kept
  });

  it('bad input gets exit 2 and a hint', async () => {
    const r = await web4('index', 'daily', '--date', 'someday');
    expect(r.code).toBe(2);
    expect(r.err).toContain('YYYY-MM-DD');
  });
});
