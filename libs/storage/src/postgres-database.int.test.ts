import { randomBytes } from 'node:crypto';
import { sql, type Generated, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, StorageError } from '@web4/core';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { autoIncrementKey, float8 } from './portable-columns.js';
import type { Migration } from './migration.js';
import { PostgresDatabase } from './postgres-database.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await sharedPostgres(inject('postgresSlot'));
});
const open: PostgresDatabase<unknown>[] = [];
afterAll(async () => {
  await Promise.all(open.map((d) => d.destroy()));
});

const freshDatabase = () => server.createDatabase(`storage_${randomBytes(4).toString('hex')}`);

const notes1: Migration = {
  version: 1,
  name: 'notes',
  up: (db) => [
    db.schema
      .createTable('notes')
      .addColumn('id', 'integer', autoIncrementKey(db))
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('score', float8(db)),
  ],
};
const notesTag2: Migration = { version: 2, name: 'notes_tag', up: (db) => [db.schema.alterTable('notes').addColumn('tag', 'text')] };
const tags3: Migration = {
  version: 3,
  name: 'tags',
  up: (db) => [db.schema.createTable('tags').addColumn('name', 'text', (c) => c.primaryKey()), db.schema.createIndex('tags_upper').on('tags').expression(sql`upper(name)`)],
};
const ALL = [notes1, notesTag2, tags3];

interface NotesDb {
  notes: { id: Generated<number>; body: string; score: number | null; tag: string | null };
}

async function query<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Everything a migration could have changed in a database: its tables, columns and bookkeeping rows. */
async function snapshot(url: string): Promise<unknown> {
  return {
    columns: await query(url, "select table_schema, table_name, column_name, data_type from information_schema.columns where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2, 3"),
    versions: await query(url, "select version, name, applied_at from notes_app.schema_migrations order by version").catch(() => []),
  };
}

describe('PostgresDatabase (kysely PostgresDialect over a pg Pool, a schema per migration list)', () => {
  it('applies the steps in order inside its own schema, records them, and numbers rows and keeps 8-byte floats', async () => {
    const url = freshDatabase();
    const steps: string[] = [];
    const database = await PostgresDatabase.open<NotesDb>(url, [tags3, notes1, notesTag2], { schema: 'notes_app', onStep: (s) => steps.push(s.name) });
    open.push(database as PostgresDatabase<unknown>);
    expect(steps).toEqual(['notes', 'notes_tag', 'tags']);
    expect(await database.schemaVersion()).toEqual({ version: 3, name: 'tags' });
    await database.db.insertInto('notes').values([{ body: 'a', score: 0.1 + 0.2 }, { body: 'b', score: null }]).execute();
    const rows = await database.db.selectFrom('notes').selectAll().orderBy('id').execute();
    expect(rows).toEqual([
      { id: 1, body: 'a', score: 0.30000000000000004, tag: null },
      { id: 2, body: 'b', score: null, tag: null },
    ]);
    const tables = await query<{ table_schema: string; table_name: string }>(url, "select table_schema, table_name from information_schema.tables where table_schema = 'notes_app' order by 2");
    expect(tables.map((t) => t.table_name)).toEqual(['notes', 'schema_migrations', 'tags']);
    // A second open finds nothing to do.
    const again = await PostgresDatabase.open(url, ALL, { schema: 'notes_app', onStep: () => steps.push('again') });
    open.push(again);
    expect(steps).toHaveLength(3);
  });

  it('two processes migrating the same fresh database at once apply each step once', async () => {
    const url = freshDatabase();
    // Separate pools are separate server sessions, as two processes would have.
    const a = PostgresDatabase.connect(url, { schema: 'notes_app' });
    const b = PostgresDatabase.connect(url, { schema: 'notes_app' });
    open.push(a, b);
    const applied = await Promise.all([a.migrate(ALL), b.migrate(ALL)]);
    expect(applied.map((r) => r.applied.length).sort()).toEqual([0, 3]);
    expect(applied.map((r) => r.to)).toEqual([3, 3]);
    const versions = await query<{ version: number }>(url, 'select version from notes_app.schema_migrations order by version');
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('many concurrent openers of a database at an older version: each pending step applied once', async () => {
    const url = freshDatabase();
    open.push(await PostgresDatabase.open(url, [notes1], { schema: 'notes_app' }));
    const openers = Array.from({ length: 6 }, () => PostgresDatabase.connect(url, { schema: 'notes_app' }));
    open.push(...openers);
    const results = await Promise.all(openers.map((d) => d.migrate(ALL)));
    expect(results.flatMap((r) => r.applied.map((s) => s.version)).sort()).toEqual([2, 3]);
  });

  it('a database stamped with a newer version is refused with what it has, what we know and what to do; nothing changes', async () => {
    const url = freshDatabase();
    const first = await PostgresDatabase.open(url, ALL, { schema: 'notes_app' });
    open.push(first);
    await query(url, "insert into notes_app.schema_migrations values (4, 'from_the_future', '2027-01-01T00:00:00Z')");
    const before = await snapshot(url);
    const error = await PostgresDatabase.open(url, [notes1, notesTag2], { schema: 'notes_app', label: 'notes' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(
      `The notes records in ${url} (schema notes_app) were written by a newer version of web4: the schema is at version 4 (from_the_future), and this program knows versions up to 2. Nothing in it was changed.`,
    );
    expect((error as StorageError).hint).toContain('Upgrade web4');
    expect((error as StorageError).exitCode).toBe(3);
    expect(await snapshot(url)).toEqual(before);
  });

  it('a step that fails leaves nothing behind: no table, no schema, no version', async () => {
    const url = freshDatabase();
    const broken: Migration = { version: 2, name: 'broken', up: (db: Kysely<unknown>) => [sql`select * from no_such_table`.compile(db)] };
    const error = await PostgresDatabase.open(url, [notes1, broken], { schema: 'notes_app' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/no_such_table/);
    expect(await query(url, "select nspname from pg_namespace where nspname = 'notes_app'")).toEqual([]);
  });

  it('an unreachable server, a missing database and a refused login are configuration errors naming storage.url, without the password', async () => {
    const { port } = server.record;
    const closedPort = `postgres://web4:s3cret@127.0.0.1:1/web4`;
    const unreachable = await PostgresDatabase.open(closedPort, ALL, { schema: 'notes_app', connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(ConfigError);
    expect((unreachable as ConfigError).message).toMatch(/^Cannot reach the PostgreSQL server of storage\.url \(postgres:\/\/web4:\*\*\*@127\.0\.0\.1:1\/web4\): .*ECONNREFUSED/);
    expect((unreachable as ConfigError).message).not.toContain('s3cret');
    expect((unreachable as ConfigError).exitCode).toBe(2);

    const missing = await PostgresDatabase.open(`postgres://postgres@127.0.0.1:${port}/no_such_db`, ALL, { schema: 'notes_app' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toBe(`The database "no_such_db" of storage.url (postgres://postgres@127.0.0.1:${port}/no_such_db) does not exist on that server.`);
    expect((missing as ConfigError).hint).toContain('createdb');

    const nobodyRole = await PostgresDatabase.open(`postgres://no_such_role@127.0.0.1:${port}/postgres`, ALL, { schema: 'notes_app' }).catch((e: unknown) => e);
    expect(nobodyRole).toBeInstanceOf(ConfigError);
    expect((nobodyRole as ConfigError).message).toMatch(/refused the login: role "no_such_role" does not exist/);
  });
});
