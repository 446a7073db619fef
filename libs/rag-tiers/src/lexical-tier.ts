import type Database from 'better-sqlite3';
import type { CollectionName } from './collections.js';
import { PDCA_COLLECTIONS } from './collections.js';
import type { RetrievalFilters, RetrievalTier, RetrievedItem, TierQuery } from './retrieval-tier.js';
import { openMetadataFile } from './migrations/metadata/index.js';
import type { TierFileOptions } from './tier-file-options.js';

/** One chunk as the lexical index stores it: the same id and text as its Chroma chunk. */
export interface LexicalChunk {
  id: string;
  text: string;
}

export interface LexicalDocument {
  docId: string;
  title: string;
  chunks: readonly LexicalChunk[];
}

/** Terms of a query kept for matching; more than this adds cost and no precision. */
const MAX_TERMS = 32;

/** Function words that every chunk has: they would only make every row match. */
const STOPWORDS = new Set(
  ('a an and are as at be been but by can could did do does doing done for from had has have how i if in into is it its ' +
    'me my no not of on or our out so than that the their them then there these they this those to us was we were what ' +
    'when where which while who whom why will with would you your about after again all also any because before between both ' +
    'each few just more most other over same should some such only own very get got').split(' '),
);

/**
 * Turn what a person typed into an FTS5 MATCH expression that cannot be a syntax error: every
 * term becomes a double-quoted string (a quote inside is doubled), so `*`, `-`, `NEAR`, `AND`,
 * `:` and parentheses are text, never operators. Terms are OR-ed; BM25 ranks rows that match
 * more and rarer terms first. Returns undefined when nothing searchable is left.
 */
export function lexicalQuery(text: string): string | undefined {
  const terms = queryTerms(text);
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ');
}

/**
 * The searchable terms of a query, lower-cased and without diacritics: whitespace-separated
 * words with surrounding punctuation trimmed (inner `.`, `-`, `_`, `/` kept, so a version number
 * or a file name stays one term), function words dropped, each term once.
 */
export function queryTerms(text: string): string[] {
  const out: string[] = [];
  for (const raw of normalize(text).split(/[\s"'`“”‘’,;:!?()[\]{}<>|*^+=~&#@$%\\]+/u)) {
    const term = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    // Under three characters a term has no trigram (it would match nothing): "qa", "ci", the "s" of "it's".
    if ([...term].length < 3 || !/[\p{L}\p{N}]/u.test(term) || STOPWORDS.has(term)) continue;
    if (!out.includes(term)) out.push(term);
    if (out.length === MAX_TERMS) break;
  }
  return out;
}

function normalize(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/**
 * Share of the query's terms that a chunk contains, 0..1: the lexical tier's own score, on the
 * same scale as the other tiers' (`serving.minContextScore` applies to it). BM25 orders rows but
 * has no fixed scale. A term counts where it occurs as a substring, as the trigram index matches.
 */
export function termCoverage(terms: readonly string[], chunkText: string): number {
  if (terms.length === 0) return 0;
  const text = normalize(chunkText);
  return terms.filter((t) => text.includes(t)).length / terms.length;
}

/**
 * The lexical tier: SQLite FTS5 with BM25 over the same chunks that go to Chroma (same ids,
 * same text, the document title as a second, weighted column). It lives in the metadata
 * database, so it is backed up and restored with it, and a search joins the `documents` table:
 * filters (date, trained, quality) apply exactly as in the metadata tier, and a chunk whose
 * document row is gone is never returned.
 */
export class LexicalTier implements RetrievalTier {
  readonly name = 'lexical' as const;
  private readonly raw: Database.Database;

  private constructor(raw: Database.Database) {
    this.raw = raw;
  }

  /**
   * Open the index in the metadata database file. Its table and tokenizer are the metadata file's
   * migration 6 (`src/migrations/metadata/006_lexical_chunks.ts`, where the tokenizer is chosen).
   */
  static open(metadataDbPath: string, options: TierFileOptions = {}): LexicalTier {
    // An FTS5 virtual table and its MATCH/bm25() are beyond kysely's types: plain statements here.
    return new LexicalTier(openMetadataFile(metadataDbPath, options).handle);
  }

  /** Replace the chunks of these documents (a re-indexed document keeps none of its old ones). */
  replaceDocuments(collection: CollectionName, docs: readonly LexicalDocument[]): void {
    const del = this.raw.prepare('DELETE FROM lexical_chunks WHERE collection = ? AND doc_id = ?');
    const ins = this.raw.prepare('INSERT INTO lexical_chunks (title, text, collection, doc_id, chunk_id) VALUES (?, ?, ?, ?, ?)');
    this.raw.transaction(() => {
      for (const d of docs) {
        del.run(collection, d.docId);
        for (const c of d.chunks) ins.run(d.title, c.text, collection, d.docId, c.id);
      }
    })();
  }

  deleteDocuments(collection: CollectionName, docIds: readonly string[]): void {
    const del = this.raw.prepare('DELETE FROM lexical_chunks WHERE collection = ? AND doc_id = ?');
    this.raw.transaction(() => {
      for (const id of docIds) del.run(collection, id);
    })();
  }

  /** Copy documents' chunks to another collection (buffer → history), replacing what is there. */
  copyDocuments(from: CollectionName, to: CollectionName, docIds: readonly string[]): number {
    const del = this.raw.prepare('DELETE FROM lexical_chunks WHERE collection = ? AND doc_id = ?');
    const copy = this.raw.prepare(
      'INSERT INTO lexical_chunks (title, text, collection, doc_id, chunk_id) SELECT title, text, ?, doc_id, chunk_id FROM lexical_chunks WHERE collection = ? AND doc_id = ?',
    );
    let copied = 0;
    this.raw.transaction(() => {
      for (const id of docIds) {
        if (this.chunkCount(from, id) === 0) continue;
        del.run(to, id);
        copied += copy.run(to, from, id).changes;
      }
    })();
    return copied;
  }

  chunkCount(collection: CollectionName, docId: string): number {
    const row = this.raw.prepare('SELECT count(*) AS n FROM lexical_chunks WHERE collection = ? AND doc_id = ?').get(collection, docId) as { n: number };
    return row.n;
  }

  /** Chunks per document of a collection (consistency checks). */
  chunkCounts(collection: CollectionName): Map<string, number> {
    const rows = this.raw.prepare('SELECT doc_id, count(*) AS n FROM lexical_chunks WHERE collection = ? GROUP BY doc_id').all(collection) as Array<{ doc_id: string; n: number }>;
    return new Map(rows.map((r) => [r.doc_id, r.n]));
  }

  async search(query: TierQuery): Promise<RetrievedItem[]> {
    const match = lexicalQuery(query.text);
    if (!match) return [];
    const terms = queryTerms(query.text);
    const collections = query.collections;
    if (collections.length === 0) return [];
    const most = Math.max(...collections.map((c) => query.nResults[c] ?? 3));
    const { clause, params } = filterClause(query.filters);
    // One MATCH over every collection asked (one index scan, not one per collection), the best
    // `n` of each by bm25() (lower is better; the title counts twice as much as the text).
    // Filters narrow the PDCA collections only, as in the other tiers.
    const rows = this.raw
      .prepare(
        `SELECT * FROM (
           SELECT *, row_number() OVER (PARTITION BY collection ORDER BY bm25) AS rn FROM (
             SELECT l.chunk_id, l.doc_id, l.collection, l.title, l.text, bm25(lexical_chunks, 2.0, 1.0) AS bm25,
                    d.path, d.date, d.trained, d.quality_score
               FROM lexical_chunks l JOIN documents d ON d.collection = l.collection AND d.doc_id = l.doc_id
              WHERE lexical_chunks MATCH ? AND l.collection IN (${collections.map(() => '?').join(',')})
                AND (l.collection NOT IN (${PDCA_COLLECTIONS.map(() => '?').join(',')}) OR (1${clause}))))
         WHERE rn <= ?`,
      )
      .all(match, ...collections, ...PDCA_COLLECTIONS, ...params, most) as Array<{
      chunk_id: string;
      doc_id: string;
      collection: CollectionName;
      title: string;
      text: string;
      bm25: number;
      path: string;
      date: string | null;
      trained: number;
      quality_score: number;
      rn: number;
    }>;
    const out: RetrievedItem[] = [];
    for (const r of rows) {
      if (r.rn > (query.nResults[r.collection] ?? 3)) continue;
      out.push({
        id: r.chunk_id,
        tier: 'lexical',
        collection: r.collection,
        documentId: r.doc_id,
        text: r.text,
        score: termCoverage(terms, `${r.title}\n${r.text}`),
        metadata: {
          doc_id: r.doc_id,
          ...(PDCA_COLLECTIONS.includes(r.collection) ? { pdca_id: r.doc_id } : {}),
          title: r.title,
          file_path: r.path,
          date: r.date,
          trained_in_adapter: r.trained === 1,
          quality_score: r.quality_score,
          bm25: -r.bm25,
        },
      });
    }
    // One index holds every collection, so BM25 (its IDF and average length) ranks across them.
    return out.sort((a, b) => Number(b.metadata.bm25) - Number(a.metadata.bm25));
  }

  async close(): Promise<void> {
    if (this.raw.open) this.raw.close();
  }
}

function filterClause(f: RetrievalFilters): { clause: string; params: Array<string | number> } {
  const parts: string[] = [];
  const params: Array<string | number> = [];
  if (f.dateFrom) {
    parts.push('d.date >= ?');
    params.push(f.dateFrom);
  }
  if (f.dateTo) {
    parts.push('d.date <= ?');
    params.push(f.dateTo);
  }
  if (f.trained !== undefined) {
    parts.push('d.trained = ?');
    params.push(f.trained ? 1 : 0);
  }
  if (f.minQuality !== undefined) {
    parts.push('d.quality_score >= ?');
    params.push(f.minQuality);
  }
  if (f.pdcaIds?.length) {
    parts.push(`d.doc_id IN (${f.pdcaIds.map(() => '?').join(',')})`);
    params.push(...f.pdcaIds);
  }
  return { clause: parts.map((p) => ` AND ${p}`).join(''), params };
}
