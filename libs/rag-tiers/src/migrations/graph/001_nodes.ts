import type { Migration } from '@web4/storage';

export const nodes001: Migration = {
  version: 1,
  name: 'nodes',
  up: (db) => [
    db.schema
      .createTable('nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('collection', 'text'),
    db.schema.createIndex('nodes_kind').on('nodes').column('kind'),
  ],
  // Files from before numbered migrations made it with CREATE TABLE IF NOT EXISTS.
  adopt: (existing) => existing.hasTable('nodes'),
};
