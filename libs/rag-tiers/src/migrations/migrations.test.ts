import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '@web4/core';
import { SqliteFile } from '@web4/storage';
import { GraphTier } from '../graph-tier.js';
import { LexicalTier } from '../lexical-tier.js';
import { MetadataTier } from '../metadata-tier.js';
import { graphMigrations } from './graph/index.js';
import { metadataMigrations } from './metadata/index.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-tier-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function versions(path: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version);
  } finally {
    db.close();
  }
}

/** Fixture: the graph file as GraphTier.open made it before numbered migrations (its DDL, verbatim). */
const OLD_GRAPH_DDL = `
      CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, collection TEXT);
      CREATE INDEX IF NOT EXISTS nodes_kind ON nodes (kind);
      CREATE TABLE IF NOT EXISTS edges (src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (src, dst, kind));
      CREATE INDEX IF NOT EXISTS edges_dst ON edges (dst);
    `;

/** Fixture: the metadata file as MetadataTier.open made it, before and after its ad-hoc ALTER TABLEs, and LexicalTier.open's index. */
const OLD_METADATA_DDL = `
      CREATE TABLE IF NOT EXISTS documents (
        collection TEXT NOT NULL, doc_id TEXT NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
        date TEXT, content_hash TEXT NOT NULL, size_bytes INTEGER NOT NULL, chunk_count INTEGER NOT NULL,
        trained INTEGER NOT NULL DEFAULT 0, training_batch TEXT, quality_score REAL NOT NULL,
        indexed_at TEXT NOT NULL, PRIMARY KEY (collection, doc_id));
      CREATE INDEX IF NOT EXISTS documents_date ON documents (date);
      CREATE INDEX IF NOT EXISTS documents_path ON documents (path);
      CREATE TABLE IF NOT EXISTS pdca_access (
        id INTEGER PRIMARY KEY AUTOINCREMENT, pdca_id TEXT NOT NULL, at TEXT NOT NULL, hit INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS pdca_access_pdca ON pdca_access (pdca_id);
      CREATE TABLE IF NOT EXISTS embedding_cache (text_hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
    `;
const OLD_METADATA_ALTERS = `
      ALTER TABLE documents ADD COLUMN index_signature TEXT;
      ALTER TABLE documents ADD COLUMN training_date TEXT;
    `;
const OLD_LEXICAL_DDL = `
      CREATE VIRTUAL TABLE IF NOT EXISTS lexical_chunks USING fts5(
        title, text, collection UNINDEXED, doc_id UNINDEXED, chunk_id UNINDEXED, tokenize = 'trigram remove_diacritics 1');
    `;

function oldFile(name: string, ddl: string, rows: string): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(ddl);
  db.exec(rows);
  db.close();
  return path;
}

describe('graph file from before numbered migrations', () => {
  it('is adopted with every node and edge, and records versions 1 and 2', async () => {
    const path = oldFile(
      'old-graph.db',
      OLD_GRAPH_DDL,
      `INSERT INTO nodes VALUES ('pdca:p1', 'pdca', 'First', 'pdca_historical'), ('pdca:p2', 'pdca', 'Second', 'pdca_historical'), ('topic:dry', 'topic', 'DRY', NULL);
       INSERT INTO edges VALUES ('pdca:p2', 'pdca:p1', 'previous'), ('pdca:p2', 'topic:dry', 'topic');`,
    );
    const g = GraphTier.open(path);
    expect(await g.counts()).toEqual({ nodes: { pdca: 2, topic: 1 }, edges: { previous: 1, topic: 1 } });
    expect(await g.node('pdca:p1')).toEqual({ id: 'pdca:p1', kind: 'pdca', label: 'First', collection: 'pdca_historical' });
    g.addEdges([{ src: 'pdca:p1', dst: 'component:Chunker', kind: 'component' }]);
    expect((await g.neighbourhood('pdca:p1')).nodes.map((n) => n.id).sort()).toEqual(['component:Chunker', 'pdca:p2']);
    await g.close();
    expect(versions(path)).toEqual(graphMigrations.map((m) => m.version));
    expect(versions(path)).toEqual([1, 2]);
    // Opening again changes nothing.
    const before = sha256(path);
    await GraphTier.open(path).close();
    expect(sha256(path)).toBe(before);
  });
});

describe('metadata file from before numbered migrations', () => {
  const rows = `
    INSERT INTO documents (collection, doc_id, path, title, date, content_hash, size_bytes, chunk_count, trained, training_batch, quality_score, indexed_at)
      VALUES ('pdca_historical', 'a/2026-11-20-x', '/j/a.md', 'A', '2026-11-20', 'ha', 10, 2, 1, 'night_1', 0.8, '2026-11-20T10:00:00Z');
    INSERT INTO pdca_access (pdca_id, at, hit) VALUES ('a/2026-11-20-x', '2026-11-21T08:00:00Z', 0), ('a/2026-11-20-x', '2026-11-21T08:01:00Z', 1);
    INSERT INTO embedding_cache VALUES ('hash1', X'0000003F000080BE');`;

  it('made by the last code (with both ALTER TABLEs and the lexical index) is adopted with every row: documents, accesses, vectors, lexical chunks', async () => {
    const path = oldFile(
      'old-metadata.db',
      OLD_METADATA_DDL + OLD_METADATA_ALTERS + OLD_LEXICAL_DDL,
      `${rows}
       UPDATE documents SET index_signature = 'sig1', training_date = '2026-11-20T22:00:00Z';
       INSERT INTO lexical_chunks VALUES ('A', 'the OverlapChunker release', 'pdca_historical', 'a/2026-11-20-x', 'a/2026-11-20-x#0');`,
    );
    const m = MetadataTier.open(path);
    expect(await m.getDocument('pdca_historical', 'a/2026-11-20-x')).toMatchObject({
      title: 'A',
      trained: true,
      trainingBatch: 'night_1',
      indexSignature: 'sig1',
      trainingDate: '2026-11-20T22:00:00Z',
    });
    expect(await m.accessTotals()).toEqual({ accesses: 2, hits: 1, misses: 1, distinct: 1 });
    expect(m.cachedVectors(['hash1'])).toEqual(new Map([['hash1', [0.5, -0.25]]]));
    const lexical = LexicalTier.open(path);
    expect(lexical.chunkCount('pdca_historical', 'a/2026-11-20-x')).toBe(1);
    await lexical.close();
    await m.close();
    expect(versions(path)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(versions(path)).toEqual(metadataMigrations.map((x) => x.version));
  });

  it('made before the ALTER TABLEs and the lexical index gets the two columns and the index, and keeps its rows', async () => {
    const path = oldFile('older-metadata.db', OLD_METADATA_DDL, rows);
    const m = MetadataTier.open(path);
    expect(await m.getDocument('pdca_historical', 'a/2026-11-20-x')).toMatchObject({ contentHash: 'ha', indexSignature: null, trainingDate: null });
    expect(await m.accessTotals()).toMatchObject({ accesses: 2 });
    await m.close();
    expect(versions(path)).toEqual([1, 2, 3, 4, 5, 6]);
    const lexical = LexicalTier.open(path);
    lexical.replaceDocuments('pdca_historical', [{ docId: 'a/2026-11-20-x', title: 'A', chunks: [{ id: 'a#0', text: 'text' }] }]);
    expect(lexical.chunkCount('pdca_historical', 'a/2026-11-20-x')).toBe(1);
    await lexical.close();
  });
});

describe('tier files refuse what they cannot use, changing nothing', () => {
  it('a metadata file written by a newer version: which file, which version, which this program knows', () => {
    const path = join(dir, 'newer-metadata.db');
    SqliteFile.open(path, [...metadataMigrations, { version: 7, name: 'from_the_future', up: (db) => [db.schema.createTable('future').addColumn('x', 'text')] }]).close();
    const before = sha256(path);
    let error: unknown;
    try {
      MetadataTier.open(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(
      `The metadata database ${path} was written by a newer version of web4: its schema is at version 7 (from_the_future), and this program knows versions up to 6. Nothing in it was changed.`,
    );
    expect((error as StorageError).hint).toContain('rag.metadataDb');
    expect(() => LexicalTier.open(path)).toThrow(/was written by a newer version of web4/);
    expect(sha256(path)).toBe(before);
  });

  it('a graph file written by a newer version', () => {
    const path = join(dir, 'newer-graph.db');
    SqliteFile.open(path, [...graphMigrations, { version: 3, name: 'weights', up: (db) => [db.schema.alterTable('edges').addColumn('weight', 'real')] }]).close();
    const before = sha256(path);
    expect(() => GraphTier.open(path)).toThrow(/^The graph database .* schema is at version 3 \(weights\), and this program knows versions up to 2\./);
    expect(sha256(path)).toBe(before);
  });

  it('a graph file that is not SQLite: named, with what to do, byte-identical', () => {
    const path = join(dir, 'text-graph.db');
    writeFileSync(path, 'nodes,edges\n1,2\n');
    const before = sha256(path);
    expect(() => GraphTier.open(path)).toThrow(/^The graph database .*text-graph\.db is not a SQLite database or is corrupt/);
    expect(sha256(path)).toBe(before);
  });
});

describe('a metadata file that is not SQLite', () => {
  it('is refused by the metadata and lexical tiers, named, and stays byte-identical', () => {
    const path = join(dir, 'text-metadata.db');
    writeFileSync(path, '{"documents": []}\n'.repeat(40));
    const before = sha256(path);
    expect(() => MetadataTier.open(path)).toThrow(/^The metadata database .*text-metadata\.db is not a SQLite database or is corrupt/);
    expect(() => LexicalTier.open(path)).toThrow(/^The metadata database .*text-metadata\.db is not a SQLite database or is corrupt/);
    expect(sha256(path)).toBe(before);
  });
});

describe('busy timeout', () => {
  it('the metadata tier waits the busy timeout it is given (monitoring.busyTimeoutMs) for another process’s lock', () => {
    const path = join(dir, 'busy-metadata.db');
    const m = MetadataTier.open(path, { busyTimeoutMs: 250 });
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      expect(() => m.appendAccess([{ pdcaId: 'p', at: '2026-11-21T08:00:00Z', hit: true }])).toThrow(/locked/);
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(230);
      expect(waited).toBeLessThan(4000);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    m.appendAccess([{ pdcaId: 'p', at: '2026-11-21T08:00:00Z', hit: true }]);
    return m.close();
  });

  it('the graph tier too', async () => {
    const path = join(dir, 'busy-graph.db');
    const g = GraphTier.open(path, { busyTimeoutMs: 250 });
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      expect(() => g.addEdges([{ src: 'pdca:a', dst: 'pdca:b', kind: 'previous' }])).toThrow(/locked/);
      expect(performance.now() - started).toBeGreaterThanOrEqual(230);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await g.close();
  });
});
