import type { Migration } from '@web4/storage';

/** How a document was chunked and embedded; rows from before it read NULL (indexed again once). */
export const indexSignature004: Migration = {
  version: 4,
  name: 'index_signature',
  up: (db) => [db.schema.alterTable('documents').addColumn('index_signature', 'text')],
  // Earlier code added it with an ad-hoc ALTER TABLE.
  adopt: (existing) => existing.hasColumn('documents', 'index_signature'),
};
