import type { Migration } from '../migration.js';

/**
 * What publishing the run journal and the morning checks into a shared PostgreSQL database
 * (storage.url, RecordsPublisher) keys on:
 * - `validations.uid`: a random UUID made where the check ran. A row is published once however
 *   often the publisher retries, and two machines' rows never collide the way their local
 *   integer ids would. Rows from before this migration get one when they are first published.
 * - `runs.origin`: which state root published a run's rows (host and file; null in the state
 *   root's own file and in rows `web4 storage copy` carried over). A run id that another state
 *   root already published is not overwritten.
 */
export const publishedRecords009: Migration = {
  version: 9,
  name: 'published_records',
  up: (db) => [
    db.schema.alterTable('validations').addColumn('uid', 'text'),
    db.schema.createIndex('validations_uid').on('validations').column('uid').unique(),
    db.schema.alterTable('runs').addColumn('origin', 'text'),
  ],
};
