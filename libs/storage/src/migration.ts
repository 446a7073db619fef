import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/**
 * A numbered schema step of one database file. `up` returns kysely builders (or raw statements
 * compiled with `sql\`…\`.compile(db)` for what kysely has no builder for, such as an FTS5 table);
 * the runner executes them in one write transaction with the row that records the version, so
 * processes that open a fresh database at the same moment cannot both apply a step.
 *
 * Versions are 1, 2, 3 … per file and never reused; a step, once released, is never edited:
 * a change is a new step.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<unknown>): Array<Compilable | CompiledQuery>;
  /**
   * For files made before their database had numbered migrations (no `schema_migrations`
   * table, but tables of their own): true when this step's tables and columns are already
   * there. The runner then records the step as applied without running it, so the file is
   * adopted with its rows. Consulted only for such files, in version order, after the earlier
   * steps were adopted or run. A step without `adopt` is always run on them.
   */
  adopt?(existing: ExistingSchema): boolean;
}

/** What a file already holds, for `Migration.adopt`. */
export interface ExistingSchema {
  hasTable(name: string): boolean;
  hasColumn(table: string, column: string): boolean;
  /** The `CREATE …` statement SQLite kept for a table (to tell, e.g., an FTS5 tokenizer), or undefined. */
  tableSql(name: string): string | undefined;
}

/** The bookkeeping table every migrated database has: one row per applied (or adopted) step. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

/** The highest version a migration list knows (0 for an empty list). */
export function latestVersion(migrations: readonly Migration[]): number {
  return Math.max(0, ...migrations.map((m) => m.version));
}

/**
 * Versions must be positive whole numbers, each used once: a list that breaks this is a
 * programming error, caught on the first open rather than half-applied.
 */
export function checkMigrations(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const [i, m] of sorted.entries()) {
    if (!Number.isInteger(m.version) || m.version < 1) throw new Error(`Migration "${m.name}" has version ${m.version}; versions are whole numbers from 1.`);
    if (i > 0 && sorted[i - 1]!.version === m.version) throw new Error(`Migrations "${sorted[i - 1]!.name}" and "${m.name}" share version ${m.version}.`);
  }
  return sorted;
}
