import type { Migration } from '@web4/storage';

export const documents001: Migration = {
  version: 1,
  name: 'documents',
  up: (db) => [
    db.schema
      .createTable('documents')
      .addColumn('collection', 'text', (c) => c.notNull())
      .addColumn('doc_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('date', 'text')
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('chunk_count', 'integer', (c) => c.notNull())
      .addColumn('trained', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('training_batch', 'text')
      .addColumn('quality_score', 'real', (c) => c.notNull())
      .addColumn('indexed_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('documents_pk', ['collection', 'doc_id']),
    db.schema.createIndex('documents_date').on('documents').column('date'),
    db.schema.createIndex('documents_path').on('documents').column('path'),
  ],
  // Files from before numbered migrations made it with CREATE TABLE IF NOT EXISTS.
  adopt: (existing) => existing.hasTable('documents'),
};
