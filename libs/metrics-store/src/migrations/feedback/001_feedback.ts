import { sql } from 'kysely';
import { type Migration, autoIncrementKey } from '../migration.js';

export const feedback001: Migration = {
  version: 1,
  name: 'feedback',
  up: (db) => [
    db.schema
      .createTable('feedback')
      .addColumn('id', 'integer', autoIncrementKey(db))
      .addColumn('timestamp', 'text', (c) => c.notNull())
      .addColumn('query', 'text', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('rating', 'text', (c) => c.notNull().check(sql`rating in ('thumbs_up', 'thumbs_down')`))
      .addColumn('comment', 'text'),
    db.schema.createIndex('feedback_timestamp').on('feedback').column('timestamp'),
  ],
};
