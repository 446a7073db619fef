import { type Migration, autoIncrementKey } from '../migration.js';

export const runs003: Migration = {
  version: 3,
  name: 'runs',
  up: (db) => [
    db.schema
      .createTable('runs')
      .addColumn('id', 'integer', autoIncrementKey(db))
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('step', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}')),
    db.schema.createIndex('runs_run_id_step').on('runs').columns(['run_id', 'step']).unique(),
  ],
};
