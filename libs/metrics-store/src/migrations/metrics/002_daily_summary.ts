import { type Migration, float8 } from '../migration.js';

const counters = [
  'total_queries',
  'error_count',
  'tokens_generated_sum',
  'used_history',
  'used_tools',
  'used_trainai',
  'used_graph',
  'cat_pure_trained',
  'cat_tools',
  'cat_history',
  'cat_trainai',
  'cat_graph',
  'cat_multiple',
  'feedback_up',
  'feedback_down',
] as const;

export const dailySummary002: Migration = {
  version: 2,
  name: 'daily_summary',
  up: (db) => {
    let table = db.schema.createTable('daily_summary').addColumn('day', 'text', (c) => c.primaryKey());
    for (const name of counters) table = table.addColumn(name, 'integer', (c) => c.notNull().defaultTo(0));
    table = table
      .addColumn('latency_sum_ms', float8(db), (c) => c.notNull().defaultTo(0))
      .addColumn('latency_max_ms', float8(db), (c) => c.notNull().defaultTo(0))
      .addColumn('latency_histogram', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('updated_at', 'text', (c) => c.notNull());
    return [table];
  },
};
