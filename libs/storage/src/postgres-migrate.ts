import { sql, type CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { checkMigrations, type Migration } from './migration.js';
import type { FoundVersion } from './migrate.js';

/**
 * The version of one schema (one migration list) in a PostgreSQL database: the highest row of
 * its `schema_migrations`; 0 when the schema or the table does not exist yet. Reads only.
 */
export async function postgresSchemaVersion(db: Kysely<unknown>, schema: string): Promise<FoundVersion> {
  // pg_tables through the statement's snapshot, not to_regclass: a session whose catalog cache
  // predates another session's CREATE (it waited on our advisory lock meanwhile) would miss it.
  const table = await sql<{ n: number }>`select count(*)::int as n from pg_catalog.pg_tables where schemaname = ${schema} and tablename = 'schema_migrations'`.execute(db);
  if (!table.rows[0]?.n) return { version: 0, name: undefined };
  const row = await sql<{ version: number; name: string }>`select version, name from ${sql.table(`${schema}.schema_migrations`)} order by version desc limit 1`.execute(db);
  const top = row.rows[0];
  return top ? { version: Number(top.version), name: top.name } : { version: 0, name: undefined };
}

export interface PostgresMigrateResult {
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

/**
 * Apply the steps newer than the schema's version, each with its `schema_migrations` row, in one
 * transaction (PostgreSQL's DDL is transactional: a failing step leaves nothing behind) under a
 * transaction-scoped advisory lock keyed by the schema's name, so two processes migrating at once
 * apply each step once: the second waits, then finds the steps recorded. `refuseNewer` is called
 * before and again under the lock, before anything is written.
 *
 * `db` must resolve unqualified names in `schema` (its connections' search_path): the steps are
 * the same builders as on SQLite, with no schema in them.
 */
export async function migratePostgres(
  db: Kysely<unknown>,
  schema: string,
  migrations: readonly Migration[],
  refuseNewer: (found: FoundVersion) => void,
  onStep: (step: Migration) => void = () => undefined,
): Promise<PostgresMigrateResult> {
  const steps = checkMigrations(migrations);
  const latest = steps.at(-1)?.version ?? 0;
  const before = await postgresSchemaVersion(db, schema);
  refuseNewer(before);
  if (before.version >= latest) return { from: before.version, to: before.version, applied: [] };
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`web4.migrate.${schema}`}))`.execute(trx);
    const found = await postgresSchemaVersion(trx, schema);
    refuseNewer(found);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    await sql`create table if not exists ${sql.table(`${schema}.schema_migrations`)} (version integer primary key, name text not null, applied_at text not null)`.execute(trx);
    const applied: PostgresMigrateResult['applied'] = [];
    for (const step of steps) {
      if (step.version <= found.version) continue;
      onStep(step);
      for (const statement of step.up(trx as Kysely<unknown>)) await trx.executeQuery(compile(statement));
      await sql`insert into ${sql.table(`${schema}.schema_migrations`)} (version, name, applied_at) values (${step.version}, ${step.name}, ${new Date().toISOString()})`.execute(trx);
      applied.push({ version: step.version, name: step.name });
    }
    return { from: found.version, to: applied.at(-1)?.version ?? found.version, applied };
  });
}

function compile(statement: Compilable | CompiledQuery): CompiledQuery {
  return 'compile' in statement ? statement.compile() : statement;
}
