import type { Migration } from '@web4/storage';

/** When the nightly loop marked a document trained (ISO 8601), beside training_batch. */
export const trainingDate005: Migration = {
  version: 5,
  name: 'training_date',
  up: (db) => [db.schema.alterTable('documents').addColumn('training_date', 'text')],
  // Earlier code added it with an ad-hoc ALTER TABLE.
  adopt: (existing) => existing.hasColumn('documents', 'training_date'),
};
