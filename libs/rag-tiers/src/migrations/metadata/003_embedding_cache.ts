import type { Migration } from '@web4/storage';

/** Chunk vectors by text hash, so re-indexing unchanged text does not run the model again. */
export const embeddingCache003: Migration = {
  version: 3,
  name: 'embedding_cache',
  up: (db) => [
    db.schema
      .createTable('embedding_cache')
      .addColumn('text_hash', 'text', (c) => c.primaryKey())
      .addColumn('vector', 'blob', (c) => c.notNull()),
  ],
  adopt: (existing) => existing.hasTable('embedding_cache'),
};
