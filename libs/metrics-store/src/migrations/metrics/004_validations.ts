import { type Migration, autoIncrementKey, float8 } from '../migration.js';

export const validations004: Migration = {
  version: 4,
  name: 'validations',
  up: (db) => [
    db.schema
      .createTable('validations')
      .addColumn('id', 'integer', autoIncrementKey(db))
      .addColumn('run_at', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('passed', 'integer', (c) => c.notNull())
      .addColumn('score', float8(db))
      .addColumn('total_cases', 'integer', (c) => c.notNull())
      .addColumn('passed_cases', 'integer', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}')),
    db.schema.createIndex('validations_run_at').on('validations').column('run_at'),
  ],
};
