import type { Migration } from '../migration.js';

/** The gateway's query id on a rating: one row per id, so a second rating replaces the first. */
export const feedbackQueryId002: Migration = {
  version: 2,
  name: 'feedback_query_id',
  up: (db) => [
    db.schema.alterTable('feedback').addColumn('query_id', 'text'),
    db.schema.createIndex('feedback_query_id').on('feedback').column('query_id').unique().where('query_id', 'is not', null),
  ],
};
