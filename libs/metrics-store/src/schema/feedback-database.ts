import type { ColumnType, Generated } from 'kysely';
import type { SchemaMigrationsTable } from './metrics-database.js';

/** The schema of `logs/user_feedback.db`. */
export interface FeedbackDatabase {
  feedback: FeedbackTable;
  schema_migrations: SchemaMigrationsTable;
}

export type Rating = 'thumbs_up' | 'thumbs_down';

export interface FeedbackTable {
  id: Generated<number>;
  /** ISO 8601 in UTC. */
  timestamp: string;
  query: string;
  response: string;
  rating: Rating;
  comment: string | null;
  /** The gateway's query id (migration 2): at most one row per id; null for `web4 feedback add`. */
  query_id: ColumnType<string | null, string | null | undefined, string | null>;
}
