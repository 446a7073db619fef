import { type Migration, autoIncrementKey, float8 } from '../migration.js';

export const queryMetrics001: Migration = {
  version: 1,
  name: 'query_metrics',
  up: (db) => [
    db.schema
      .createTable('query_metrics')
      .addColumn('id', 'integer', autoIncrementKey(db))
      .addColumn('timestamp', 'text', (c) => c.notNull())
      .addColumn('query_type', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('latency_ms', float8(db), (c) => c.notNull())
      .addColumn('used_history', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('used_tools', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('used_trainai', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('used_graph', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('tokens_generated', 'integer')
      .addColumn('user_feedback', 'text')
      .addColumn('error', 'text')
      .addColumn('error_context', 'text'),
    // No index on timestamp: reports read daily_summary, and an index would cost every insert.
  ],
};
