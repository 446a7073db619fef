import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import { checkMigrations, type ExistingSchema, type Migration } from './migration.js';

export interface FoundVersion {
  /** The highest version recorded in `schema_migrations`; 0 when the table is missing or empty. */
  version: number;
  /** That step's name as the file recorded it (a newer program's step is unknown here). */
  name: string | undefined;
}

/** The file's schema version, by reads only (a file that is not SQLite throws SQLITE_NOTADB here). */
export function schemaVersion(handle: BetterSqlite3.Database): FoundVersion {
  if (!hasTable(handle, 'schema_migrations')) return { version: 0, name: undefined };
  const row = handle.prepare('SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1').get() as
    | { version: number; name: string }
    | undefined;
  return row ? { version: Number(row.version), name: row.name } : { version: 0, name: undefined };
}

/**
 * Apply the steps newer than the file's version, each with its `schema_migrations` row, in one
 * BEGIN IMMEDIATE transaction. A file already at the newest version takes no write lock.
 * `refuseNewer` is called again under the lock, for a newer program that migrated the file
 * between our first read and the lock.
 *
 * A file with tables but no `schema_migrations` predates numbered migrations: each step that
 * says (through `adopt`) that its tables are already there is recorded without being run.
 */
export function migrate(
  handle: BetterSqlite3.Database,
  db: Kysely<unknown>,
  migrations: readonly Migration[],
  refuseNewer: (found: FoundVersion) => void,
): void {
  const steps = checkMigrations(migrations);
  const latest = steps.at(-1)?.version ?? 0;
  if (schemaVersion(handle).version >= latest) return;
  handle
    .transaction(() => {
      const found = schemaVersion(handle);
      refuseNewer(found);
      const legacy = !hasTable(handle, 'schema_migrations') && ownTables(handle) > 0;
      handle.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
      );
      const record = handle.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      const existing = legacy ? inspect(handle) : undefined;
      for (const step of steps) {
        if (step.version <= found.version) continue;
        if (!(existing && step.adopt?.(existing))) {
          for (const statement of step.up(db)) run(handle, statement);
        }
        record.run(step.version, step.name, new Date().toISOString());
      }
    })
    .immediate();
}

function run(handle: BetterSqlite3.Database, statement: Compilable | CompiledQuery): void {
  const compiled = 'compile' in statement ? statement.compile() : statement;
  handle.prepare(compiled.sql).run(...(compiled.parameters as unknown[]));
}

function hasTable(handle: BetterSqlite3.Database, name: string): boolean {
  return handle.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Tables other than SQLite's own (sqlite_sequence, sqlite_stat1 …). */
function ownTables(handle: BetterSqlite3.Database): number {
  const row = handle.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").get() as { n: number };
  return Number(row.n);
}

/** Live view of the file's schema: each question is asked when the step's `adopt` runs. */
function inspect(handle: BetterSqlite3.Database): ExistingSchema {
  return {
    hasTable: (name) => hasTable(handle, name),
    hasColumn: (table, column) =>
      (handle.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>).some((c) => c.name === column),
    tableSql: (name) =>
      (handle.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as { sql: string | null } | undefined)?.sql ??
      undefined,
  };
}
