import { type Migration, float8 } from '../migration.js';

/**
 * What the gateway measures per call (issue 12): its query id (feedback finds the row by it),
 * endpoint, answering model and version, time to first token, prompt tokens, tokens/s and a
 * bounded error kind. All nullable: older rows and other writers leave them null.
 *
 * daily_summary gets the matching rollups (TTFT count/sum/histogram, prompt tokens, tokens/s
 * count/sum) so that reports keep reading one row per day. Days before this migration had no
 * such values, so 0 and an empty histogram are exact for them.
 */
export const gatewayFields008: Migration = {
  version: 8,
  name: 'gateway_fields',
  up: (db) => [
    db.schema.alterTable('query_metrics').addColumn('query_id', 'text'),
    db.schema.alterTable('query_metrics').addColumn('endpoint', 'text'),
    db.schema.alterTable('query_metrics').addColumn('model', 'text'),
    db.schema.alterTable('query_metrics').addColumn('model_version', 'text'),
    db.schema.alterTable('query_metrics').addColumn('ttft_ms', float8(db)),
    db.schema.alterTable('query_metrics').addColumn('tokens_in', 'integer'),
    db.schema.alterTable('query_metrics').addColumn('tokens_per_second', float8(db)),
    db.schema.alterTable('query_metrics').addColumn('error_kind', 'text'),
    // Partial: rows without an id (web4 ask, imports) cost the index nothing.
    db.schema.createIndex('query_metrics_query_id').on('query_metrics').column('query_id').unique().where('query_id', 'is not', null),
    db.schema.alterTable('daily_summary').addColumn('ttft_count', 'integer', (c) => c.notNull().defaultTo(0)),
    db.schema.alterTable('daily_summary').addColumn('ttft_sum_ms', float8(db), (c) => c.notNull().defaultTo(0)),
    db.schema.alterTable('daily_summary').addColumn('ttft_histogram', 'text', (c) => c.notNull().defaultTo('{}')),
    db.schema.alterTable('daily_summary').addColumn('tokens_in_sum', 'integer', (c) => c.notNull().defaultTo(0)),
    db.schema.alterTable('daily_summary').addColumn('tokens_per_second_count', 'integer', (c) => c.notNull().defaultTo(0)),
    db.schema.alterTable('daily_summary').addColumn('tokens_per_second_sum', float8(db), (c) => c.notNull().defaultTo(0)),
  ],
};
