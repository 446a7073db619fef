import { existsSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type Database from 'better-sqlite3';
import type { SqliteFile } from '@web4/storage';
import type { CollectionName } from './collections.js';
import { PDCA_COLLECTIONS } from './collections.js';
import { openMetadataFile } from './migrations/metadata/index.js';
import type { RetrievalFilters, RetrievalTier, RetrievedItem, TierQuery } from './retrieval-tier.js';
import type { TierFileOptions } from './tier-file-options.js';

/** Tier 3 schema: one row per indexed document, the hot-PDCA access records, cached vectors. */
export interface MetadataDatabase {
  documents: DocumentTable;
  pdca_access: PdcaAccessTable;
  embedding_cache: EmbeddingCacheTable;
}

interface DocumentTable {
  collection: string;
  doc_id: string;
  path: string;
  title: string;
  /** `YYYY-MM-DD`, or null when neither name nor header gives one. */
  date: string | null;
  content_hash: string;
  size_bytes: number;
  chunk_count: number;
  trained: number;
  training_batch: string | null;
  quality_score: number;
  indexed_at: string;
  index_signature: string | null;
  /** When the nightly loop trained it (ISO), with training_batch. */
  training_date: string | null;
}

interface PdcaAccessTable {
  id: import('kysely').Generated<number>;
  pdca_id: string;
  at: string;
  hit: number;
}

interface EmbeddingCacheTable {
  text_hash: string;
  vector: Buffer;
}

export interface DocumentRecord {
  collection: CollectionName;
  docId: string;
  path: string;
  title: string;
  date: string | null;
  contentHash: string;
  sizeBytes: number;
  chunkCount: number;
  trained: boolean;
  trainingBatch: string | null;
  qualityScore: number;
  indexedAt: string;
  /**
   * How the chunks were made (model, dtype, chunk settings, chunker version): a file indexed
   * differently from how it would be now is indexed again, even when its text is unchanged.
   * Null for rows written before this was recorded.
   */
  indexSignature?: string | null;
  /** When the nightly loop marked it trained (ISO 8601); null for untrained or bulk-loaded history. */
  trainingDate?: string | null;
}

export interface AccessRecord {
  pdcaId: string;
  at: string;
  hit: boolean;
}

export interface HotPdca {
  pdcaId: string;
  accesses: number;
  hits: number;
  lastAccess: string;
  title: string | null;
}

const DATE_IN_TEXT = /\b(\d{4}-\d{2}-\d{2})\b/g;

/**
 * Tier 3: per-document facts in SQLite (path, date, content hash, size, trained flag, training
 * batch, quality score). The indexers use it to skip unchanged files; as a retrieval tier it
 * answers queries that name a day or a PDCA, which vectors answer badly.
 */
export class MetadataTier implements RetrievalTier {
  readonly name = 'metadata' as const;
  readonly db: Kysely<MetadataDatabase>;
  private readonly raw: Database.Database;

  private constructor(private readonly file: SqliteFile<MetadataDatabase>) {
    this.db = file.db;
    this.raw = file.handle;
  }

  /**
   * Open (and create or migrate) the metadata file: `src/migrations/metadata/`, busy timeout
   * `monitoring.busyTimeoutMs`. Files made before numbered migrations are adopted with their rows.
   */
  static open(path: string, options: TierFileOptions = {}): MetadataTier {
    return new MetadataTier(openMetadataFile<MetadataDatabase>(path, options));
  }

  async getDocument(collection: CollectionName, docId: string): Promise<DocumentRecord | undefined> {
    const row = await this.db
      .selectFrom('documents')
      .selectAll()
      .where('collection', '=', collection)
      .where('doc_id', '=', docId)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** All documents of a collection keyed by doc_id: one query instead of one per file. */
  async documentsOf(collection: CollectionName): Promise<Map<string, DocumentRecord>> {
    const rows = await this.db.selectFrom('documents').selectAll().where('collection', '=', collection).execute();
    return new Map(rows.map((r) => [r.doc_id, toRecord(r)]));
  }

  async upsertDocument(record: DocumentRecord): Promise<void> {
    const row = fromRecord(record);
    await this.db
      .insertInto('documents')
      .values(row)
      .onConflict((oc) => oc.columns(['collection', 'doc_id']).doUpdateSet(row))
      .execute();
  }

  async deleteDocument(collection: CollectionName, docId: string): Promise<void> {
    await this.db.deleteFrom('documents').where('collection', '=', collection).where('doc_id', '=', docId).execute();
  }

  async listDocuments(collection: CollectionName | undefined, filters: RetrievalFilters = {}, limit = 10_000): Promise<DocumentRecord[]> {
    let q = this.db.selectFrom('documents').selectAll();
    if (collection) q = q.where('collection', '=', collection);
    if (filters.dateFrom) q = q.where('date', '>=', filters.dateFrom);
    if (filters.dateTo) q = q.where('date', '<=', filters.dateTo);
    if (filters.trained !== undefined) q = q.where('trained', '=', filters.trained ? 1 : 0);
    if (filters.minQuality !== undefined) q = q.where('quality_score', '>=', filters.minQuality);
    if (filters.pdcaIds?.length) q = q.where('doc_id', 'in', filters.pdcaIds);
    const rows = await q.orderBy('date', 'desc').orderBy('doc_id').limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Documents and chunks per collection, for collection health. */
  async countsByCollection(): Promise<Record<string, { documents: number; chunks: number }>> {
    const rows = await this.db
      .selectFrom('documents')
      // Rows with no chunks are documents cleared from the buffer after training (kept for their hash).
      .select(['collection', sql<number>`sum(chunk_count > 0)`.as('documents'), sql<number>`sum(chunk_count)`.as('chunks')])
      .groupBy('collection')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.collection, { documents: Number(r.documents), chunks: Number(r.chunks ?? 0) }]));
  }

  /** Mark buffer documents trained in a batch (the nightly loop, after the gates pass). */
  async markTrained(collection: CollectionName, docIds: string[], batchId: string, trainingDate: string): Promise<number> {
    if (docIds.length === 0) return 0;
    const result = await this.db
      .updateTable('documents')
      .set({ trained: 1, training_batch: batchId, training_date: trainingDate })
      .where('collection', '=', collection)
      .where('doc_id', 'in', docIds)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Rows whose source file is gone (metadata clean-up); `remove` deletes them. */
  async missingFiles(remove = false): Promise<DocumentRecord[]> {
    const all = await this.listDocuments(undefined, {}, Number.MAX_SAFE_INTEGER);
    const missing = all.filter((d) => !existsSync(d.path));
    if (remove) for (const d of missing) await this.deleteDocument(d.collection, d.docId);
    return missing;
  }

  /** Synchronous batch insert: called from the cache's flush, off the lookup path. */
  appendAccess(records: readonly AccessRecord[]): void {
    if (records.length === 0) return;
    const insert = this.raw.prepare('INSERT INTO pdca_access (pdca_id, at, hit) VALUES (?, ?, ?)');
    this.raw.transaction(() => {
      for (const r of records) insert.run(r.pdcaId, r.at, r.hit ? 1 : 0);
    })();
  }

  async hotPdcas(top: number, since?: string): Promise<HotPdca[]> {
    let q = this.db
      .selectFrom('pdca_access as a')
      .select([
        'a.pdca_id',
        sql<number>`count(*)`.as('accesses'),
        sql<number>`sum(a.hit)`.as('hits'),
        sql<string>`max(a.at)`.as('last_access'),
        sql<string | null>`(SELECT d.title FROM documents d WHERE d.doc_id = a.pdca_id LIMIT 1)`.as('title'),
      ]);
    if (since) q = q.where('a.at', '>=', since);
    const rows = await q.groupBy('a.pdca_id').orderBy('accesses', 'desc').orderBy('last_access', 'desc').limit(top).execute();
    return rows.map((r) => ({
      pdcaId: r.pdca_id,
      accesses: Number(r.accesses),
      hits: Number(r.hits),
      lastAccess: r.last_access,
      title: r.title,
    }));
  }

  async accessTotals(since?: string): Promise<{ accesses: number; hits: number; misses: number; distinct: number }> {
    let q = this.db
      .selectFrom('pdca_access')
      .select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(hit), 0)`.as('hits'), sql<number>`count(DISTINCT pdca_id)`.as('distinct')]);
    if (since) q = q.where('at', '>=', since);
    const row = await q.executeTakeFirstOrThrow();
    const accesses = Number(row.n);
    const hits = Number(row.hits);
    return { accesses, hits, misses: accesses - hits, distinct: Number(row.distinct) };
  }

  /** Cached vectors by text hash (synchronous: used inside the embedding batch loop). */
  cachedVectors(hashes: readonly string[]): Map<string, number[]> {
    const out = new Map<string, number[]>();
    const select = this.raw.prepare('SELECT vector FROM embedding_cache WHERE text_hash = ?');
    for (const h of hashes) {
      const row = select.get(h) as { vector: Buffer } | undefined;
      if (row) out.set(h, Array.from(new Float32Array(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength / 4)));
    }
    return out;
  }

  storeVectors(entries: ReadonlyArray<readonly [string, number[]]>): void {
    const insert = this.raw.prepare('INSERT OR REPLACE INTO embedding_cache (text_hash, vector) VALUES (?, ?)');
    this.raw.transaction(() => {
      for (const [hash, vector] of entries) insert.run(hash, Buffer.from(new Float32Array(vector).buffer));
    })();
  }

  async search(query: TierQuery): Promise<RetrievedItem[]> {
    const dates = [...new Set([...query.text.matchAll(DATE_IN_TEXT)].map((m) => m[1]!))];
    const limit = Math.max(...PDCA_COLLECTIONS.map((c) => query.nResults[c] ?? 0), 3);
    const results: RetrievedItem[] = [];
    const wanted = PDCA_COLLECTIONS.filter((c) => query.collections.includes(c));
    for (const collection of wanted) {
      const rows: DocumentRecord[] = [];
      for (const date of dates) {
        rows.push(...(await this.listDocuments(collection, { ...query.filters, dateFrom: date, dateTo: date }, limit)));
      }
      const named = await this.documentsNamedIn(collection, query.text, query.filters);
      rows.push(...named);
      for (const doc of rows) {
        if (results.some((r) => r.documentId === doc.docId)) continue;
        results.push({
          id: `${collection}:${doc.docId}`,
          tier: 'metadata',
          collection,
          documentId: doc.docId,
          text: `${doc.title} (${doc.date ?? 'undated'}, ${doc.path})`,
          // Exact facts: a named PDCA beats a date match; quality breaks ties.
          score: (named.includes(doc) ? 0.9 : 0.6) + 0.1 * doc.qualityScore,
          metadata: {
            pdca_id: doc.docId,
            date: doc.date,
            file_path: doc.path,
            trained_in_adapter: doc.trained,
            quality_score: doc.qualityScore,
          },
        });
      }
    }
    return results.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  private async documentsNamedIn(collection: CollectionName, text: string, filters: RetrievalFilters): Promise<DocumentRecord[]> {
    // PDCA ids are long slugs; only tokens that look like one are looked up.
    const tokens = [...new Set(text.split(/[\s,;()"']+/).filter((t) => t.length >= 10 && /\d/.test(t)))];
    if (tokens.length === 0) return [];
    const rows = await this.db
      .selectFrom('documents')
      .selectAll()
      .where('collection', '=', collection)
      .where((eb) => eb.or(tokens.map((t) => eb('doc_id', 'like', `%${t.replace(/\.md$/, '')}%`))))
      .limit(10)
      .execute();
    return rows.map(toRecord).filter((d) => matchesFilters(d, filters));
  }

  async close(): Promise<void> {
    await this.file.destroy();
  }
}

function matchesFilters(d: DocumentRecord, f: RetrievalFilters): boolean {
  if (f.dateFrom && (!d.date || d.date < f.dateFrom)) return false;
  if (f.dateTo && (!d.date || d.date > f.dateTo)) return false;
  if (f.trained !== undefined && d.trained !== f.trained) return false;
  if (f.minQuality !== undefined && d.qualityScore < f.minQuality) return false;
  return true;
}

function toRecord(r: DocumentTable): DocumentRecord {
  return {
    collection: r.collection as CollectionName,
    docId: r.doc_id,
    path: r.path,
    title: r.title,
    date: r.date,
    contentHash: r.content_hash,
    sizeBytes: r.size_bytes,
    chunkCount: r.chunk_count,
    trained: r.trained === 1,
    trainingBatch: r.training_batch,
    qualityScore: r.quality_score,
    indexedAt: r.indexed_at,
    indexSignature: r.index_signature,
    trainingDate: r.training_date,
  };
}

function fromRecord(r: DocumentRecord): DocumentTable {
  return {
    collection: r.collection,
    doc_id: r.docId,
    path: r.path,
    title: r.title,
    date: r.date,
    content_hash: r.contentHash,
    size_bytes: r.sizeBytes,
    chunk_count: r.chunkCount,
    trained: r.trained ? 1 : 0,
    training_batch: r.trainingBatch,
    quality_score: r.qualityScore,
    indexed_at: r.indexedAt,
    index_signature: r.indexSignature ?? null,
    training_date: r.trainingDate ?? null,
  };
}
