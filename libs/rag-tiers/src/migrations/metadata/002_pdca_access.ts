import type { Migration } from '@web4/storage';

/** The hot-PDCA cache's access records (written in batches by its BatchedWriter). */
export const pdcaAccess002: Migration = {
  version: 2,
  name: 'pdca_access',
  up: (db) => [
    db.schema
      .createTable('pdca_access')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('pdca_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('hit', 'integer', (c) => c.notNull()),
    db.schema.createIndex('pdca_access_pdca').on('pdca_access').column('pdca_id'),
  ],
  adopt: (existing) => existing.hasTable('pdca_access'),
};
