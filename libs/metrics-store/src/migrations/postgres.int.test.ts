import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { PostgresDatabase, SqliteFile, type Migration } from '@web4/storage';
import { tempRoot } from '../test-fixtures/snapshot.js';
import { feedbackMigrations } from './feedback/index.js';
import { metricsMigrations } from './metrics/index.js';

let server: PostgresServer;
let root: ReturnType<typeof tempRoot>;
beforeAll(async () => {
  root = tempRoot('web4-migrations-pg-');
  server = await sharedPostgres(inject('postgresSlot'));
});
afterAll(() => root?.cleanup());

interface Column {
  table: string;
  column: string;
  type: 'integer' | 'text' | 'float';
  notNull: boolean;
  primaryKey: boolean;
}
interface Index {
  table: string;
  name: string;
  unique: boolean;
  partial: boolean;
}

// SQLite's integer is 8 bytes: PostgreSQL's bigint (migration 10) is the same broad type.
const BROAD: Record<string, Column['type']> = { integer: 'integer', bigint: 'integer', text: 'text', real: 'float', 'double precision': 'float' };
const broad = (declared: string): Column['type'] => BROAD[declared.toLowerCase()] ?? (`?${declared}` as Column['type']);
const byName = <T extends { table: string }>(rows: T[], key: (r: T) => string) => rows.sort((a, b) => `${a.table}.${key(a)}`.localeCompare(`${b.table}.${key(b)}`));

/** The schema of a SQLite file as PRAGMA table_info / index_list see it (schema_migrations included). */
function sqliteSchema(path: string): { columns: Column[]; indexes: Index[] } {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as Array<{ name: string }>).map((t) => t.name);
    const columns = tables.flatMap((table) =>
      (db.prepare('select name, type, "notnull" as nn, pk from pragma_table_info(?)').all(table) as Array<{ name: string; type: string; nn: number; pk: number }>).map((c) => ({
        table,
        column: c.name,
        type: broad(c.type),
        // SQLite lets an integer primary key (the rowid) be declared without NOT NULL; it can never hold null.
        notNull: c.nn === 1 || c.pk > 0,
        primaryKey: c.pk > 0,
      })),
    );
    const indexes = tables.flatMap((table) =>
      (db.prepare('select name, "unique" as u, origin, partial from pragma_index_list(?)').all(table) as Array<{ name: string; u: number; origin: string; partial: number }>)
        .filter((i) => i.origin === 'c')
        .map((i) => ({ table, name: i.name, unique: i.u === 1, partial: i.partial === 1 })),
    );
    return { columns: byName(columns, (c) => c.column), indexes: byName(indexes, (i) => i.name) };
  } finally {
    db.close();
  }
}

/** The same for one schema of a PostgreSQL database, from information_schema and pg_indexes. */
async function postgresSchema(url: string, schema: string): Promise<{ columns: Column[]; indexes: Index[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; pk: boolean }>(
      `select c.table_name, c.column_name, c.data_type, c.is_nullable,
              exists (select 1 from information_schema.table_constraints t
                      join information_schema.key_column_usage k on k.constraint_name = t.constraint_name and k.table_schema = t.table_schema
                      where t.constraint_type = 'PRIMARY KEY' and t.table_schema = c.table_schema and t.table_name = c.table_name and k.column_name = c.column_name) as pk
       from information_schema.columns c where c.table_schema = $1`,
      [schema],
    );
    const indexes = await client.query<{ tablename: string; indexname: string; indexdef: string }>(
      "select tablename, indexname, indexdef from pg_indexes where schemaname = $1 and indexname not like '%_pkey'",
      [schema],
    );
    return {
      columns: byName(
        columns.rows.map((c) => ({ table: c.table_name, column: c.column_name, type: broad(c.data_type), notNull: c.is_nullable === 'NO', primaryKey: c.pk })),
        (c) => c.column,
      ),
      indexes: byName(
        indexes.rows.map((i) => ({ table: i.tablename, name: i.indexname, unique: /^CREATE UNIQUE/.test(i.indexdef), partial: / WHERE /.test(i.indexdef) })),
        (i) => i.name,
      ),
    };
  } finally {
    await client.end();
  }
}

describe('the metrics and feedback migrations on PostgreSQL', () => {
  const lists: Array<[string, Migration[]]> = [
    ['metrics', metricsMigrations],
    ['feedback', feedbackMigrations],
  ];
  for (const [schema, migrations] of lists) {
    it(`${schema}: a fresh database gets the same tables, columns (name, broad type, null, key) and indexes as a fresh SQLite file`, async () => {
      const file = join(root.dir, `${schema}.db`);
      SqliteFile.open(file, migrations).close();
      const url = server.createDatabase(`${schema}_${randomBytes(4).toString('hex')}`);
      const database = await PostgresDatabase.open(url, migrations, { schema });
      await database.destroy();
      const onSqlite = sqliteSchema(file);
      const onPostgres = await postgresSchema(url, schema);
      expect(onSqlite.columns.length).toBeGreaterThan(3);
      expect(onPostgres.columns).toEqual(onSqlite.columns);
      expect(onPostgres.indexes).toEqual(onSqlite.indexes);
      expect(onSqlite.columns.filter((c) => c.type.startsWith('?'))).toEqual([]);
    });
  }

  it('both lists live side by side in one database, each in its own schema with its own schema_migrations', async () => {
    const url = server.createDatabase(`records_${randomBytes(4).toString('hex')}`);
    for (const [schema, migrations] of lists) await (await PostgresDatabase.open(url, migrations, { schema })).destroy();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = (await client.query<{ s: string; v: number }>("select 'metrics' as s, max(version) as v from metrics.schema_migrations union all select 'feedback', max(version) from feedback.schema_migrations")).rows;
    await client.end();
    expect(rows).toEqual([
      { s: 'metrics', v: Math.max(...metricsMigrations.map((m) => m.version)) },
      { s: 'feedback', v: Math.max(...feedbackMigrations.map((m) => m.version)) },
    ]);
  });
});
