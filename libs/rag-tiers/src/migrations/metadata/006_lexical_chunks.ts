import { sql } from 'kysely';
import type { Migration } from '@web4/storage';

/**
 * `trigram`: the index holds every three-character window of the text, and a quoted query term
 * matches wherever it occurs as a substring, case- and accent-insensitive. Names survive whole:
 * `0.1.3.0`, `web4-agent`, `OverlapChunker.ts`, and `chunker` finds `OverlapChunker` (which a
 * word tokenizer never splits out); terms shorter than three characters cannot match. Measured on the labelled queries against `porter unicode61`
 * and `unicode61 tokenchars '._-'`: docs/architecture.md ("The lexical tier"). Another tokenizer
 * later is a new step that drops and makes the table again; the next `index` run refills it.
 */
export const LEXICAL_TOKENIZER = 'trigram remove_diacritics 1';

/** The lexical tier's FTS5 index (kysely has no builder for a virtual table: raw statements). */
export const lexicalChunks006: Migration = {
  version: 6,
  name: 'lexical_chunks',
  up: (db) => [
    // An index made with another tokenizer is dropped; the next `index` run writes it again
    // (documents without lexical rows are re-indexed, their vectors from the cache).
    sql`DROP TABLE IF EXISTS lexical_chunks`.compile(db),
    sql`CREATE VIRTUAL TABLE lexical_chunks USING fts5(
      title, text, collection UNINDEXED, doc_id UNINDEXED, chunk_id UNINDEXED, tokenize = '${sql.raw(LEXICAL_TOKENIZER)}')`.compile(db),
  ],
  adopt: (existing) => existing.tableSql('lexical_chunks')?.includes(LEXICAL_TOKENIZER) ?? false,
};
