import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionName } from './collections.js';
import { LexicalTier, lexicalQuery, queryTerms, termCoverage } from './lexical-tier.js';
import { MetadataTier } from './metadata-tier.js';
import type { TierQuery } from './retrieval-tier.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-lexical-'));
const file = join(dir, 'rag_metadata.db');
let metadata: MetadataTier;
let lexical: LexicalTier;

async function addDoc(collection: CollectionName, docId: string, title: string, chunks: string[], extra: { date?: string; trained?: boolean } = {}) {
  await metadata.upsertDocument({
    collection,
    docId,
    path: `/journal/${docId}.md`,
    title,
    date: extra.date ?? '2026-11-20',
    contentHash: docId,
    sizeBytes: 100,
    chunkCount: chunks.length,
    trained: extra.trained ?? false,
    trainingBatch: null,
    qualityScore: 0.8,
    indexedAt: '2026-11-20T10:00:00Z',
  });
  lexical.replaceDocuments(collection, [{ docId, title, chunks: chunks.map((text, i) => ({ id: `${docId}#${i}`, text })) }]);
}

const query = (text: string, extra: Partial<TierQuery> = {}): TierQuery => ({
  text,
  nResults: { pdca_historical: 5, components: 5, daily_buffer: 5 },
  collections: ['pdca_historical', 'components'],
  filters: {},
  seeds: [],
  ...extra,
});

beforeAll(async () => {
  metadata = MetadataTier.open(file);
  lexical = LexicalTier.open(file);
  await addDoc('pdca_historical', 'a/2026-11-20-UTC-0900-release-0.1.3.0', 'Release 0.1.3.0 checklist', [
    'We tagged version 0.1.3.0 after the canary suite passed 20/20.',
    'The web4-agent model was promoted; the previous tag kept as web4-agent:previous.',
  ]);
  await addDoc('pdca_historical', 'a/2026-11-21-UTC-1000-release-0.1.2.9', 'Release 0.1.2.9 notes', ['Version 0.1.2.9 shipped with the old chunker: 3 checks, 0 failures, 1 rerun, 0.1 s.'], {
    date: '2026-11-21',
    trained: true,
  });
  await addDoc('pdca_historical', 'a/2026-11-22-UTC-1100-résumé', 'Résumé of the ScrumMaster role', ['The ScrumMaster role reviews every PDCA; naïve estimates were dropped.']);
  await addDoc('components', 'layer2/OverlapChunker.ts', 'OverlapChunker.ts', ['export class OverlapChunker { split(text: string) { /* overlap_size */ } }']);
});
afterAll(async () => {
  await lexical.close();
  await metadata.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lexical query builder', () => {
  it('quotes every term, so operators in user text are only text', () => {
    expect(lexicalQuery('NEAR(gateway canary) AND chunk* -release')).toBe('"near" OR "gateway" OR "canary" OR "chunk" OR "release"');
    expect(lexicalQuery('it\'s "quoted"')).toBe('"quoted"');
    expect(lexicalQuery('abc"def')).toBe('"abc" OR "def"');
    // Under three characters there is no trigram to match: dropped, not sent.
    expect(lexicalQuery('qa ci db')).toBeUndefined();
    expect(lexicalQuery('say "hello" to 0.1.3.0')).toBe('"say" OR "hello" OR "0.1.3.0"');
    expect(lexicalQuery('')).toBeUndefined();
    expect(lexicalQuery('*** --- ""')).toBeUndefined();
    expect(lexicalQuery('why did the')).toBeUndefined();
  });

  it('keeps version numbers, file names and hyphenated names as one term', () => {
    expect(queryTerms('What changed in 0.1.3.0? See OverlapChunker.ts and web4-agent.')).toEqual(['changed', '0.1.3.0', 'see', 'overlapchunker.ts', 'web4-agent']);
    expect(queryTerms('Naïve RÉSUMÉ')).toEqual(['naive', 'resume']);
  });

  it('scores a chunk by the share of query terms it holds, as substrings like the index', () => {
    expect(termCoverage(['0.1.3.0', 'canary'], 'Tagged 0.1.3.0 after the canary suite')).toBe(1);
    expect(termCoverage(['0.1.3.0', 'canary'], 'Tagged 0.1.3 after a run')).toBe(0);
    expect(termCoverage(['chunker', 'naive'], 'class OverlapChunker — naïve')).toBe(1);
    expect(termCoverage(['dropped', 'tail'], 'it drops the tail')).toBe(0.5);
  });
});

describe('LexicalTier (real SQLite FTS5)', () => {
  it('finds the PDCA that names a version number, not the one with the same digits apart', async () => {
    const r = await lexical.search(query('what was tagged in 0.1.3.0?'));
    expect(r[0]!.documentId).toBe('a/2026-11-20-UTC-0900-release-0.1.3.0');
    expect(r.map((x) => x.documentId)).not.toContain('a/2026-11-21-UTC-1000-release-0.1.2.9');
    expect(r[0]).toMatchObject({ tier: 'lexical', collection: 'pdca_historical', id: 'a/2026-11-20-UTC-0900-release-0.1.3.0#0' });
    expect(r[0]!.score).toBe(1);
  });

  it('finds role names, hyphenated names and code identifiers, parts of identifiers; folds case and accents', async () => {
    expect((await lexical.search(query('scrummaster')))[0]!.documentId).toBe('a/2026-11-22-UTC-1100-résumé');
    expect((await lexical.search(query('web4-agent promoted')))[0]!.id).toBe('a/2026-11-20-UTC-0900-release-0.1.3.0#1');
    expect((await lexical.search(query('OverlapChunker')))[0]!.collection).toBe('components');
    expect((await lexical.search(query('overlap_size')))[0]!.documentId).toBe('layer2/OverlapChunker.ts');
    expect((await lexical.search(query('chunker', { collections: ['components'] })))[0]!.documentId).toBe('layer2/OverlapChunker.ts');
    expect((await lexical.search(query('SCRUMMASTER estimates')))[0]!.documentId).toBe('a/2026-11-22-UTC-1100-résumé');
    expect((await lexical.search(query('naive resume')))[0]!.documentId).toBe('a/2026-11-22-UTC-1100-résumé');
  });

  it('never throws on awkward input: quotes, *, NEAR, -, empty, unicode', async () => {
    const awkward = [
      '"', '""', 'say "hi', "it's", '*', 'chunk*', '* OR *', 'NEAR', 'NEAR(release checklist)', 'NEAR/3', 'release NOT canary', 'AND', 'OR OR',
      '-', '-release', '--', 'a - b', '', '   ', '(', ')', '((release', 'title:release', '^release', 'col:', '{release}', '[x]', '\\', '\u0000',
      '0.1.3.0', '0.1.3.0.', 'v0.1.3.0-rc1', '1e10', '🚀 release', 'リリース', 'Ünïcödé', 'ß', '\u200b', 'x'.repeat(5000), 'a '.repeat(500),
    ];
    for (const text of awkward) {
      const r = await lexical.search(query(text));
      expect(Array.isArray(r), JSON.stringify(text)).toBe(true);
    }
    expect(await lexical.search(query(''))).toEqual([]);
    expect((await lexical.search(query('NEAR(release checklist)'))).length).toBeGreaterThan(0);
  });

  it('applies the PDCA filters through the documents table', async () => {
    const all = await lexical.search(query('release version'));
    expect(all.map((x) => x.documentId)).toContain('a/2026-11-21-UTC-1000-release-0.1.2.9');
    const trained = await lexical.search(query('release version', { filters: { trained: true } }));
    expect([...new Set(trained.map((x) => x.documentId))]).toEqual(['a/2026-11-21-UTC-1000-release-0.1.2.9']);
    const before = await lexical.search(query('release version', { filters: { dateTo: '2026-11-20' } }));
    expect(before.every((x) => x.metadata.date === '2026-11-20')).toBe(true);
    // Filters narrow PDCAs only; other collections answer as they are, n per collection.
    const mixed = await lexical.search(query('release OverlapChunker', { filters: { trained: true } }));
    expect(mixed.map((x) => x.collection).sort()).toEqual(['components', 'pdca_historical']);
    const one = await lexical.search(query('release version', { nResults: { pdca_historical: 1 } }));
    expect(one).toHaveLength(1);
  });

  it('an index made with another tokenizer, in a file from before numbered migrations, is replaced (and refilled by the next index run)', async () => {
    const other = join(dir, 'old.db');
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(other);
    // What LexicalTier.open made before the file had numbered migrations, with an older tokenizer.
    raw.exec("CREATE VIRTUAL TABLE lexical_chunks USING fts5(title, text, collection UNINDEXED, doc_id UNINDEXED, chunk_id UNINDEXED, tokenize = 'porter unicode61')");
    raw.exec("INSERT INTO lexical_chunks VALUES ('t', 'old text', 'components', 'x', 'x#0')");
    raw.close();
    const reopened = LexicalTier.open(other);
    expect(reopened.chunkCounts('components').size).toBe(0);
    await reopened.close();
    const check = new Database(other, { readonly: true });
    expect((check.prepare("SELECT sql FROM sqlite_master WHERE name = 'lexical_chunks'").get() as { sql: string }).sql).toContain("tokenize = 'trigram remove_diacritics 1'");
    check.close();
  });

  it('stays consistent through re-index, copy to history and delete', async () => {
    await addDoc('daily_buffer', 'b/2026-11-25-UTC-0800-today', 'Today', ['first chunk about the gateway', 'second chunk about the gateway']);
    expect(lexical.chunkCount('daily_buffer', 'b/2026-11-25-UTC-0800-today')).toBe(2);
    // Re-indexed with one chunk: the old two are gone, not added to.
    await addDoc('daily_buffer', 'b/2026-11-25-UTC-0800-today', 'Today', ['only chunk about the gateway']);
    expect(lexical.chunkCount('daily_buffer', 'b/2026-11-25-UTC-0800-today')).toBe(1);
    expect(lexical.copyDocuments('daily_buffer', 'pdca_historical', ['b/2026-11-25-UTC-0800-today', 'not/there'])).toBe(1);
    expect(lexical.copyDocuments('daily_buffer', 'pdca_historical', ['b/2026-11-25-UTC-0800-today'])).toBe(1); // again: replaced, not doubled
    expect(lexical.chunkCount('pdca_historical', 'b/2026-11-25-UTC-0800-today')).toBe(1);
    lexical.deleteDocuments('daily_buffer', ['b/2026-11-25-UTC-0800-today']);
    expect(lexical.chunkCounts('daily_buffer').size).toBe(0);
    // The history copy needs its own documents row to be found (as DailyBuffer.copyToHistory writes).
    expect(await lexical.search(query('gateway'))).toEqual([]);
    const doc = await metadata.getDocument('daily_buffer', 'b/2026-11-25-UTC-0800-today');
    await metadata.upsertDocument({ ...doc!, collection: 'pdca_historical' });
    expect((await lexical.search(query('gateway')))[0]!.id).toBe('b/2026-11-25-UTC-0800-today#0');
    const buffer = await lexical.search(query('gateway', { collections: ['daily_buffer'] }));
    expect(buffer).toEqual([]);
  });
});
