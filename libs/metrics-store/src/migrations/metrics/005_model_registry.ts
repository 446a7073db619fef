import { type Migration, autoIncrementKey, float8 } from '../migration.js';

/**
 * The adapter registry (libs/rollback) and the nightly loop's lock: every trained version, which
 * version each serving tag holds, every promotion and rollback, and who runs the loop.
 */
export const modelRegistry005: Migration = {
  version: 5,
  name: 'model_registry',
  up: (db) => [
    db.schema
      .createTable('model_versions')
      .addColumn('version', 'text', (c) => c.primaryKey())
      .addColumn('dir', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('parent_version', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('samples', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('train_loss', float8(db))
      .addColumn('gates', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('ollama_name', 'text', (c) => c.notNull())
      .addColumn('manifest_sha256', 'text', (c) => c.notNull())
      .addColumn('promoted_at', 'text'),
    db.schema
      .createTable('model_tags')
      .addColumn('tag', 'text', (c) => c.primaryKey())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
    db.schema
      .createTable('model_events')
      .addColumn('id', 'integer', autoIncrementKey(db))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('from_version', 'text')
      .addColumn('run_id', 'text')
      .addColumn('reason', 'text'),
    db.schema
      .createTable('run_locks')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('pid_start', 'text')
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('acquired_at', 'text', (c) => c.notNull()),
  ],
};
