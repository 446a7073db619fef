import { PostgresAdapter, type ColumnDataType, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/** The SQL dialects a migration may be compiled for. */
export type StorageDialect = 'sqlite' | 'postgres';

/** Which dialect `db` compiles for (a migration's `up` receives the database it runs on). */
export function dialectOf(db: Kysely<unknown>): StorageDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * An integer key the database numbers itself. SQLite: `integer primary key autoincrement`, exactly
 * what the released steps wrote; PostgreSQL has no `autoincrement`: an identity column there
 * (by default, so that rows copied with their ids keep them).
 *
 *     .addColumn('id', 'integer', autoIncrementKey(db))
 */
export function autoIncrementKey(db: Kysely<unknown>): (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return dialectOf(db) === 'postgres' ? (c) => c.primaryKey().generatedByDefaultAsIdentity() : (c) => c.primaryKey().autoIncrement();
}

/**
 * An 8-byte float: SQLite's `real` (always 8 bytes there, as released); PostgreSQL's `real` is
 * 4 bytes (6 digits), so `double precision` there, or the same records would give other sums.
 */
export function float8(db: Kysely<unknown>): ColumnDataType {
  return dialectOf(db) === 'postgres' ? 'double precision' : 'real';
}
