import type { Migration } from '../migration.js';

/**
 * A unique id per morning-check row, made where the check ran (a random UUID). With
 * storage.url = postgres://… each state root publishes its validations into the shared database
 * (RecordsPublisher), and the id is what makes that idempotent: a row is published once however
 * often the publisher retries, and two machines' rows never collide the way their local integer
 * ids would. Rows from before this migration get an id when they are first published.
 */
export const validationUids009: Migration = {
  version: 9,
  name: 'validation_uids',
  up: (db) => [
    db.schema.alterTable('validations').addColumn('uid', 'text'),
    db.schema.createIndex('validations_uid').on('validations').column('uid').unique(),
  ],
};
