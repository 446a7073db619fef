import { dialectOf } from '@web4/storage';
import type { Migration } from '../migration.js';

/**
 * 8-byte integers where the numbers can outgrow 4 bytes: a day's token sums
 * (`daily_summary.tokens_generated_sum`, `tokens_in_sum`: 268,000 queries a day at 8k-token
 * prompts pass 2^31) and the query rows' key (`query_metrics.id`: 2^31 rows, fewer in practice
 * since a skipped duplicate still takes a number). SQLite's integer is 8 bytes already, as
 * released, so there this step changes nothing: both dialects hold the same numbers.
 * (`pg` reads an 8-byte integer as a JavaScript number: PostgresDatabase's type parser.)
 */
export const wideIntegers010: Migration = {
  version: 10,
  name: 'wide_integers',
  up: (db) =>
    dialectOf(db) === 'postgres'
      ? [
          db.schema.alterTable('daily_summary').alterColumn('tokens_generated_sum', (c) => c.setDataType('bigint')),
          db.schema.alterTable('daily_summary').alterColumn('tokens_in_sum', (c) => c.setDataType('bigint')),
          db.schema.alterTable('query_metrics').alterColumn('id', (c) => c.setDataType('bigint')),
        ]
      : [],
};
