import type { Migration } from '@web4/storage';

export const edges002: Migration = {
  version: 2,
  name: 'edges',
  up: (db) => [
    db.schema
      .createTable('edges')
      .addColumn('src', 'text', (c) => c.notNull())
      .addColumn('dst', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('edges_pk', ['src', 'dst', 'kind']),
    db.schema.createIndex('edges_dst').on('edges').column('dst'),
  ],
  adopt: (existing) => existing.hasTable('edges'),
};
