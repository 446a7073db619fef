import BetterSqlite3 from 'better-sqlite3';
import { existsSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ConfigError, InputError, StorageError, storageUrlProblem } from '@web4/core';
import { canonicalRow, TableChecksum, valueKindOf, type ValueKind } from './copy-canonical.js';
import { counted } from './counted.js';
import { schemaVersion as sqliteSchemaVersion } from './migrate.js';
import { latestVersion, type Migration } from './migration.js';
import { PostgresDatabase } from './postgres-database.js';
import { redactUrl, toPostgresError } from './postgres-error.js';
import { toStorageError } from './storage-error.js';

/** One SQLite file whose every table goes into the PostgreSQL schema of the same name. */
export interface CopySource {
  /** `metrics`, `feedback`: the migration list's name, and the target schema. */
  name: string;
  file: string;
  migrations: readonly Migration[];
  /** The setting that names the file (messages). */
  setting?: string;
}

export interface CopyProgress {
  schema: string;
  table: string;
  /** Rows in the target that came from the source (this run and earlier ones). */
  copied: number;
  /** Rows in the source. */
  total: number;
  done: boolean;
}

export interface CopyOptions {
  /** `postgres://user[:password]@host[:port]/database` */
  url: string;
  sources: readonly CopySource[];
  /** Rows per transaction (default 1000). */
  batchSize?: number;
  onProgress?: (progress: CopyProgress) => void;
  /** Hears each migration step applied to the target before the copy. */
  onStep?: (schema: string, step: Migration) => void;
  /** Asked between batches: true stops after the batch that just committed (Ctrl-C). */
  shouldStop?: () => boolean;
}

export interface TableDifference {
  /** The key of the first row (in key order) that differs. */
  key: string;
  what: 'missing in the target' | 'not in the source' | 'values differ';
}

export interface CopyTableResult {
  table: string;
  /** The primary-key column the copy orders, resumes and compares by. */
  key: string;
  sourceRows: number;
  targetRows: number;
  /** Rows this run inserted. */
  copiedNow: number;
  sourceSha256: string;
  targetSha256: string;
  verified: boolean;
  firstDifference?: TableDifference;
}

export interface CopySourceResult {
  name: string;
  file: string;
  schema: string;
  /** host:realpath of the file, as the progress marks name it. */
  identity: string;
  /** Marks of an earlier run of this copy were found. */
  resumed: boolean;
  migrated: Array<{ version: number; name: string }>;
  tables: CopyTableResult[];
}

export interface CopyResult {
  /** The target without its password. */
  url: string;
  batchSize: number;
  /** Every table's rows and checksum equal on both sides. */
  verified: boolean;
  /** Stopped by `shouldStop` before the end: nothing verified; run again to resume. */
  interrupted: boolean;
  /** Files that were not there (nothing to copy from them). */
  skipped: Array<{ name: string; file: string }>;
  databases: CopySourceResult[];
}

/** The progress marks, one table per target schema: a row per (source file, table). */
export const COPY_MARKS_TABLE = 'storage_copy';
const BOOKKEEPING = new Set(['schema_migrations', COPY_MARKS_TABLE]);
/** PostgreSQL binds at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;
const VERIFY_PAGE = 2_000;

interface Column {
  name: string;
  kind: ValueKind;
}
interface TablePlan {
  table: string;
  key: Column;
  columns: Column[];
  /** The identity sequence behind the key, when the database numbers it. */
  sequence: string | undefined;
}
interface Mark {
  table_name: string;
  last_key: string | null;
  rows: number;
}
interface Prepared {
  source: CopySource;
  handle: BetterSqlite3.Database;
  target: PostgresDatabase<unknown>;
  identity: string;
  marks: Map<string, Mark>;
}

/**
 * Copy SQLite files (every table of their migration lists) into a PostgreSQL database, resumably,
 * then verify it:
 *
 * 1. Checks before anything is written: each file exists (a missing one is skipped; none → exit 2)
 *    and is at its list's newest version; each target schema is not newer than this program; a
 *    target schema that holds rows not put there by a copy of this same file (no progress mark
 *    for it, or more rows than its marks account for) is refused: nothing is merged.
 * 2. Migrates the target schemas (the runner of `storage migrate`).
 * 3. Per table, in primary-key order, batches of `batchSize` rows: the rows and the table's
 *    progress mark (`<schema>.storage_copy`: source file identity, table, last key copied, rows)
 *    are written in ONE transaction, and the mark is only moved from the value this run read, so
 *    an interrupted copy (Ctrl-C, kill -9, a server gone) leaves whole batches with their mark,
 *    and running again resumes after the last key: never a row twice, never one skipped. Ids are
 *    kept; each identity sequence is then set past the highest id.
 * 4. Verifies each table: row counts, and a sha256 over the rows' canonical form in key order
 *    computed the same way on both sides (copy-canonical.ts), with the first differing key.
 *
 * The file is read in one read transaction (a WAL snapshot) for the whole run, so a copy and its
 * verification see the same rows even if a writer is still running; rows such a writer adds later
 * are copied by the next run, but a row it CHANGES after being copied shows as a difference:
 * stop the writers (gateway, scheduler) before the copy.
 */
export async function copyToPostgres(options: CopyOptions): Promise<CopyResult> {
  const url = checkTargetUrl(options.url);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new InputError(`--batch must be a whole number from 1 to 100000, got ${batchSize}.`, { hint: 'Leave it out for 1000 rows per transaction.' });
  }
  const present = options.sources.filter((s) => existsSync(s.file));
  const skipped = options.sources.filter((s) => !existsSync(s.file)).map((s) => ({ name: s.name, file: s.file }));
  if (present.length === 0) {
    throw new InputError(`Nothing to copy: there is no ${options.sources.map((s) => `${s.name} file (${s.file})`).join(' and no ')}.`, {
      hint: 'Pass --root (or --config) of the state root whose history you want to move, or check paths.metricsDb and paths.feedbackDb.',
      details: { files: options.sources.map((s) => s.file) },
    });
  }
  const prepared: Prepared[] = [];
  try {
    for (const source of present) prepared.push(await prepare(source, url));
    // Everything is checked for every file before the first write to any target schema.
    for (const p of prepared) await checkTarget(p, url);
    const result: CopyResult = { url: redactUrl(url), batchSize, verified: false, interrupted: false, skipped, databases: [] };
    for (const p of prepared) {
      let migrated: CopySourceResult['migrated'];
      try {
        migrated = (await p.target.migrate(p.source.migrations, (step) => options.onStep?.(p.source.name, step))).applied;
      } catch (error) {
        throw targetError(error, url, `migrate the ${p.source.name} schema`);
      }
      await ensureMarksTable(p.target.db, url, p.source.name);
      const plans = await planTables(p, url);
      const tables: CopyTableResult[] = [];
      const resumed = p.marks.size > 0;
      for (const plan of plans) {
        const copiedNow = await copyTable(p, plan, batchSize, url, options);
        if (copiedNow === undefined) {
          result.interrupted = true;
          break;
        }
        tables.push({ table: plan.table, key: plan.key.name, copiedNow, ...(await verifyTable(p, plan, url)) });
      }
      result.databases.push({ name: p.source.name, file: p.source.file, schema: p.source.name, identity: p.identity, resumed, migrated, tables });
      if (result.interrupted) break;
    }
    result.verified = !result.interrupted && result.databases.every((d) => d.tables.every((t) => t.verified));
    return result;
  } finally {
    for (const p of prepared) {
      if (p.handle.inTransaction) p.handle.exec('ROLLBACK');
      p.handle.close();
      await p.target.destroy();
    }
  }
}

function checkTargetUrl(url: string): string {
  const problem = /^postgres(ql)?:\/\//.test(url) ? storageUrlProblem(url) : 'the copy goes into a PostgreSQL database: write "postgres://user[:password]@host[:port]/database"';
  if (problem) {
    throw new InputError(`--to ${redactUrl(url)}: ${problem}.`, { hint: 'Name the target database: web4 storage copy --to postgres://user@host:5432/web4' });
  }
  return url;
}

/** A pg failure while copying, with --to (not storage.url) named in what to fix. */
function targetError(error: unknown, url: string, action: string): unknown {
  const mapped = toPostgresError(error, url, action);
  if (mapped instanceof ConfigError) {
    return new InputError(mapped.message.replaceAll('storage.url', '--to'), {
      hint: 'Check the server, user, password and database named in --to (start the server, create the database: createdb -h <host> -U <user> <database>).',
      cause: error,
      ...(mapped.details ? { details: mapped.details } : {}),
    });
  }
  return mapped;
}

async function prepare(source: CopySource, url: string): Promise<Prepared> {
  const about = { label: source.name, ...(source.setting ? { setting: source.setting } : {}) };
  let handle: BetterSqlite3.Database | undefined;
  try {
    handle = new BetterSqlite3(source.file, { readonly: true, fileMustExist: true });
    handle.defaultSafeIntegers(true);
    const found = sqliteSchemaVersion(handle);
    const latest = latestVersion(source.migrations);
    if (found.version !== latest) {
      throw found.version > latest
        ? new StorageError(`The ${source.name} file ${source.file} was written by a newer version of web4 (schema version ${found.version}; this program knows up to ${latest}): this program cannot copy it. Nothing was changed.`, {
            hint: 'Run the copy with the web4 release that wrote the file.',
            details: { file: source.file, version: found.version, knownVersion: latest },
          })
        : new StorageError(`The ${source.name} file ${source.file} is at schema version ${found.version}, not the newest (${latest}): the copy takes files on the newest version only. Nothing was changed.`, {
            hint: 'Bring the files up to date first: web4 storage migrate (with storage.url unset, so that it migrates the SQLite files), then run the copy again.',
            details: { file: source.file, version: found.version, latest },
          });
    }
    // One snapshot for the whole run: the copy and its verification read the same rows.
    handle.exec('BEGIN');
    handle.prepare('SELECT count(*) FROM schema_migrations').get();
  } catch (error) {
    handle?.close();
    throw toStorageError(error, source.file, 'read it for the copy', about);
  }
  const identity = `${hostname()}:${realpathSync(source.file)}`;
  const target = PostgresDatabase.connect<unknown>(url, { schema: source.name, label: source.name, poolMax: 2 });
  return { source, handle, target, identity, marks: new Map() };
}

/** Refuse, before anything is written, a newer target schema or one holding rows that are not this copy's. */
async function checkTarget(p: Prepared, url: string): Promise<void> {
  const schema = p.source.name;
  const latest = latestVersion(p.source.migrations);
  const where = `${redactUrl(url)} (schema ${schema})`;
  let found;
  try {
    found = await p.target.schemaVersion();
  } catch (error) {
    throw targetError(error, url, `read the ${schema} schema`);
  }
  if (found.version > latest) {
    throw new StorageError(
      `The ${schema} records in ${where} were written by a newer version of web4: the schema is at version ${found.version}` +
        `${found.name ? ` (${found.name})` : ''}, and this program knows versions up to ${latest}. Nothing was copied and nothing in it was changed.`,
      { hint: 'Copy with the web4 release that wrote that database, or into another (empty) database.', details: { url: redactUrl(url), schema, version: found.version, knownVersion: latest } },
    );
  }
  try {
    const db = p.target.db as Kysely<unknown>;
    const tables = (await sql<{ tablename: string }>`select tablename from pg_catalog.pg_tables where schemaname = ${schema} order by tablename`.execute(db)).rows.map((r) => r.tablename);
    const marks = new Map<string, Mark>();
    const others = new Set<string>();
    if (tables.includes(COPY_MARKS_TABLE)) {
      const rows = (await sql<Mark & { source: string }>`select source, table_name, last_key, rows from ${sql.table(`${schema}.${COPY_MARKS_TABLE}`)}`.execute(db)).rows;
      for (const row of rows) {
        if (row.source === p.identity) marks.set(row.table_name, { table_name: row.table_name, last_key: row.last_key, rows: Number(row.rows) });
        else others.add(row.source);
      }
    }
    if (others.size > 0) {
      throw new StorageError(
        `${where} already holds a copy of another file (${[...others].join(', ')}), not of ${p.identity}: refusing to merge two histories.`,
        { hint: 'Copy into an empty database (createdb …), or run the copy from the machine and path named there to finish that one.', details: { url: redactUrl(url), schema, copiedFrom: [...others] } },
      );
    }
    for (const table of tables.filter((t) => !BOOKKEEPING.has(t))) {
      const count = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`${schema}.${table}`)}`.execute(db)).rows[0]?.n ?? 0);
      const expected = marks.get(table)?.rows ?? 0;
      // Fewer rows than copied (some deleted in the target) is not a merge: the verification names them.
      if (count <= expected) continue;
      throw new StorageError(
        marks.size === 0
          ? `${where} already holds ${counted(count, 'row')} in ${table} that did not come from a copy of ${p.source.file}: refusing to merge ${count === 1 ? 'it' : 'them'} with the copy. Nothing was changed.`
          : `${where}: ${table} holds ${counted(count, 'row')} but the copy of ${p.source.file} put ${expected} there: something else writes into this database. Nothing was changed.`,
        {
          hint: 'Copy into an empty database (createdb -h <host> -U <user> <name>, then --to that one), and point storage.url at it only after the copy; stop whatever writes into this one.',
          details: { url: redactUrl(url), schema, table, rows: count, copied: expected },
        },
      );
    }
    p.marks = marks;
  } catch (error) {
    throw targetError(error, url, `inspect the ${schema} schema`);
  }
}

async function ensureMarksTable(db: Kysely<unknown>, url: string, schema: string): Promise<void> {
  try {
    await sql`create table if not exists ${sql.table(`${schema}.${COPY_MARKS_TABLE}`)} (
      source text not null,
      table_name text not null,
      last_key text,
      rows bigint not null default 0,
      started_at text not null,
      updated_at text not null,
      finished_at text,
      primary key (source, table_name)
    )`.execute(db);
  } catch (error) {
    throw targetError(error, url, `create ${schema}.${COPY_MARKS_TABLE}`);
  }
}

/** The tables to copy: the file's, which must be the target's (both are at the list's newest version), with their columns' kinds and key. */
async function planTables(p: Prepared, url: string): Promise<TablePlan[]> {
  const schema = p.source.name;
  const db = p.target.db as Kysely<unknown>;
  // Creation order (query_metrics first on the metrics file).
  const sourceTables = (p.handle.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all() as Array<{ name: string }>)
    .map((r) => r.name)
    .filter((t) => !BOOKKEEPING.has(t));
  try {
    const targetTables = new Set(
      (await sql<{ tablename: string }>`select tablename from pg_catalog.pg_tables where schemaname = ${schema}`.execute(db)).rows.map((r) => r.tablename).filter((t) => !BOOKKEEPING.has(t)),
    );
    const plans: TablePlan[] = [];
    for (const table of sourceTables) {
      if (!targetTables.has(table)) throw mismatch(p, url, `the file has a table ${table} that the target schema lacks`);
      targetTables.delete(table);
      const columns = (
        await sql<{ column_name: string; data_type: string }>`select column_name, data_type from information_schema.columns where table_schema = ${schema} and table_name = ${table} order by ordinal_position`.execute(db)
      ).rows;
      const fileColumns = new Set((p.handle.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>).map((c) => c.name));
      const planned: Column[] = [];
      for (const c of columns) {
        const kind = valueKindOf(c.data_type);
        if (!kind) throw mismatch(p, url, `${table}.${c.column_name} is of type ${c.data_type} in the target, which the copy does not carry`);
        if (!fileColumns.delete(c.column_name)) throw mismatch(p, url, `the target's ${table}.${c.column_name} is not in the file`);
        planned.push({ name: c.column_name, kind });
      }
      if (fileColumns.size > 0) throw mismatch(p, url, `the file's ${table} has columns the target lacks (${[...fileColumns].join(', ')})`);
      const keys = (
        await sql<{ attname: string }>`select a.attname from pg_catalog.pg_index i join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = ${`${schema}.${table}`}::regclass and i.indisprimary`.execute(db)
      ).rows;
      if (keys.length !== 1) throw mismatch(p, url, `${table} has ${keys.length === 0 ? 'no primary key' : 'a primary key of several columns'}; the copy orders and resumes by a one-column key`);
      const key = planned.find((c) => c.name === keys[0]!.attname)!;
      if (key.kind === 'float') throw mismatch(p, url, `${table}'s key ${key.name} is a float`);
      const sequence = (await sql<{ s: string | null }>`select pg_get_serial_sequence(${`${schema}.${table}`}, ${key.name}) as s`.execute(db)).rows[0]?.s ?? undefined;
      plans.push({ table, key, columns: planned, sequence });
    }
    if (targetTables.size > 0) throw mismatch(p, url, `the target has tables the file lacks (${[...targetTables].join(', ')})`);
    return plans;
  } catch (error) {
    throw targetError(error, url, `read the ${schema} schema's tables`);
  }
}

function mismatch(p: Prepared, url: string, what: string): StorageError {
  return new StorageError(`${p.source.file} and ${redactUrl(url)} (schema ${p.source.name}) do not have the same tables although both are at the newest version: ${what}.`, {
    hint: 'One of them was changed by hand: compare them, or copy into an empty database.',
  });
}

/**
 * Text keys are compared byte-wise on both sides: SQLite's BINARY collation and PostgreSQL's
 * "C" collation order UTF-8 the same way, whatever the database's own collation is.
 */
function keyOrder(plan: TablePlan): ReturnType<typeof sql> {
  return plan.key.kind === 'text' ? sql`${sql.ref(plan.key.name)} collate "C"` : sql`${sql.ref(plan.key.name)}`;
}

function sourceKey(plan: TablePlan, key: string): string | bigint {
  return plan.key.kind === 'int' ? BigInt(key) : key;
}

function sourcePage(p: Prepared, plan: TablePlan, after: string | null, limit: number): Array<Record<string, unknown>> {
  const cols = plan.columns.map((c) => `"${c.name}"`).join(', ');
  const key = `"${plan.key.name}"`;
  const statement = `SELECT ${cols} FROM "${plan.table}"${after === null ? '' : ` WHERE ${key} > ?`} ORDER BY ${key} LIMIT ${limit}`;
  const rows = p.handle.prepare(statement);
  return (after === null ? rows.all() : rows.all(sourceKey(plan, after))) as Array<Record<string, unknown>>;
}

function sourceCount(p: Prepared, table: string): number {
  return Number((p.handle.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: bigint }).n);
}

/**
 * PostgreSQL's text cannot hold the NUL character, SQLite's can: such a row cannot be copied as
 * it is, and is named (table, key, column) before its batch is sent, rather than failing the
 * batch with the server's encoding error or changing the text silently.
 */
function checkNoNul(p: Prepared, plan: TablePlan, rows: ReadonlyArray<Record<string, unknown>>, url: string): void {
  for (const row of rows) {
    const column = plan.columns.find((c) => typeof row[c.name] === 'string' && (row[c.name] as string).includes('\u0000'));
    if (!column) continue;
    const key = String(row[plan.key.name]);
    throw new StorageError(
      `${p.source.file}: ${plan.table} row ${plan.key.name} = ${key} has a NUL character in ${column.name}, which PostgreSQL text cannot hold; the copy into ${redactUrl(url)} stopped at the batch holding it (the batches before it are kept).`,
      {
        hint: `Remove the character in the file, e.g. sqlite3 "${p.source.file}" "UPDATE ${plan.table} SET ${column.name} = replace(${column.name}, char(0), '') WHERE ${plan.key.name} = ${plan.key.kind === 'int' ? key : `'${key.replaceAll("'", "''")}'`}", then run the copy again: it resumes there.`,
        details: { file: p.source.file, table: plan.table, key, column: column.name },
      },
    );
  }
}

/** A value as `pg` should send it: BigInt as its digits (pg has no BigInt serializer of its own). */
function toParameter(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Copy what the marks say is missing; undefined when stopped between batches. */
async function copyTable(p: Prepared, plan: TablePlan, batchSize: number, url: string, options: CopyOptions): Promise<number | undefined> {
  const schema = p.source.name;
  const db = p.target.db as Kysely<unknown>;
  const marks = sql.table(`${schema}.${COPY_MARKS_TABLE}`);
  const total = sourceCount(p, plan.table);
  let mark = p.marks.get(plan.table) ?? { table_name: plan.table, last_key: null, rows: 0 };
  let copiedNow = 0;
  const now = () => new Date().toISOString();
  try {
    await sql`insert into ${marks} (source, table_name, last_key, rows, started_at, updated_at) values (${p.identity}, ${plan.table}, null, 0, ${now()}, ${now()}) on conflict do nothing`.execute(db);
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / plan.columns.length));
    for (;;) {
      const rows = sourcePage(p, plan, mark.last_key, batchSize);
      if (rows.length === 0) break;
      const lastKey = String(rows.at(-1)![plan.key.name]);
      checkNoNul(p, plan, rows, url);
      const values = rows.map((row) => Object.fromEntries(plan.columns.map((c) => [c.name, toParameter(row[c.name])])));
      const expected = mark.last_key;
      await db.transaction().execute(async (trx: Transaction<unknown>) => {
        const t = trx as unknown as Kysely<Record<string, Record<string, unknown>>>;
        for (let i = 0; i < values.length; i += perStatement) {
          await t.withSchema(schema).insertInto(plan.table).values(values.slice(i, i + perStatement)).execute();
        }
        // Moved only from the value this run read: a second copy running at once fails here (its
        // batch rolled back) instead of inserting the same rows.
        const moved = await sql`update ${marks} set last_key = ${lastKey}, rows = rows + ${rows.length}, updated_at = ${now()}, finished_at = null
          where source = ${p.identity} and table_name = ${plan.table} and last_key is not distinct from ${expected}`.execute(trx);
        if (Number(moved.numAffectedRows ?? 0) !== 1) {
          throw new StorageError(`Another copy of ${p.source.file} into ${redactUrl(url)} moved the progress mark of ${schema}.${plan.table} meanwhile: this batch was undone.`, {
            hint: 'Run one copy at a time; run it again once the other has ended.',
          });
        }
      });
      mark = { table_name: plan.table, last_key: lastKey, rows: mark.rows + rows.length };
      copiedNow += rows.length;
      options.onProgress?.({ schema, table: plan.table, copied: mark.rows, total, done: false });
      if (options.shouldStop?.()) return undefined;
    }
    if (plan.sequence) {
      // Next id = highest copied + 1 (1 on an empty table), so new rows never collide with copied ones.
      await sql`select setval(${plan.sequence}::regclass, coalesce((select max(${sql.ref(plan.key.name)}) from ${sql.table(`${schema}.${plan.table}`)}), 1), (select count(*) > 0 from ${sql.table(`${schema}.${plan.table}`)}))`.execute(db);
    }
    await sql`update ${marks} set finished_at = ${now()} where source = ${p.identity} and table_name = ${plan.table}`.execute(db);
  } catch (error) {
    throw targetError(error, url, `copy ${plan.table} into the ${schema} schema`);
  }
  options.onProgress?.({ schema, table: plan.table, copied: mark.rows, total, done: true });
  return copiedNow;
}

type Verified = Omit<CopyTableResult, 'table' | 'key' | 'copiedNow'>;

/** Counts and checksums of one table on both sides, walked together in key order to name the first difference. */
async function verifyTable(p: Prepared, plan: TablePlan, url: string): Promise<Verified> {
  const schema = p.source.name;
  const db = p.target.db as Kysely<unknown>;
  const cols = sql.join(plan.columns.map((c) => sql.ref(c.name)));
  const table = sql.table(`${schema}.${plan.table}`);
  const source = new TableChecksum();
  const target = new TableChecksum();
  let firstDifference: TableDifference | undefined;
  let sourceAfter: string | null = null;
  let targetAfter: string | null = null;
  let sourceRows: Array<Record<string, unknown>> = [];
  let targetRows: Array<Record<string, unknown>> = [];
  let sourceDone = false;
  let targetDone = false;
  const keyString = (row: Record<string, unknown>) => String(row[plan.key.name]);
  const compareKeys = (a: string, b: string) => (plan.key.kind === 'int' ? (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0) : Buffer.compare(Buffer.from(a), Buffer.from(b)));
  try {
    for (;;) {
      if (sourceRows.length === 0 && !sourceDone) {
        sourceRows = sourcePage(p, plan, sourceAfter, VERIFY_PAGE);
        if (sourceRows.length < VERIFY_PAGE) sourceDone = true;
        if (sourceRows.length > 0) sourceAfter = keyString(sourceRows.at(-1)!);
      }
      if (targetRows.length === 0 && !targetDone) {
        const after = targetAfter === null ? sql`` : sql`where ${keyOrder(plan)} > ${targetAfter}`;
        targetRows = (await sql<Record<string, unknown>>`select ${cols} from ${table} ${after} order by ${keyOrder(plan)} limit ${VERIFY_PAGE}`.execute(db)).rows;
        if (targetRows.length < VERIFY_PAGE) targetDone = true;
        if (targetRows.length > 0) targetAfter = keyString(targetRows.at(-1)!);
      }
      if (sourceRows.length === 0 && targetRows.length === 0) break;
      // Walk both pages in key order; a row on one side only is hashed on that side.
      while (sourceRows.length > 0 && targetRows.length > 0) {
        const s = sourceRows[0]!;
        const t = targetRows[0]!;
        const order = compareKeys(keyString(s), keyString(t));
        if (order === 0) {
          const sLine = canonicalRow(s, plan.columns);
          const tLine = canonicalRow(t, plan.columns);
          source.add(sLine);
          target.add(tLine);
          if (sLine !== tLine) firstDifference ??= { key: keyString(s), what: 'values differ' };
          sourceRows.shift();
          targetRows.shift();
        } else if (order < 0) {
          source.add(canonicalRow(s, plan.columns));
          firstDifference ??= { key: keyString(s), what: 'missing in the target' };
          sourceRows.shift();
        } else {
          target.add(canonicalRow(t, plan.columns));
          firstDifference ??= { key: keyString(t), what: 'not in the source' };
          targetRows.shift();
        }
      }
      // One side ran out for good: the other's remaining rows are differences.
      if (sourceRows.length > 0 && targetRows.length === 0 && targetDone) {
        for (const s of sourceRows) source.add(canonicalRow(s, plan.columns));
        firstDifference ??= { key: keyString(sourceRows[0]!), what: 'missing in the target' };
        sourceRows = [];
      }
      if (targetRows.length > 0 && sourceRows.length === 0 && sourceDone) {
        for (const t of targetRows) target.add(canonicalRow(t, plan.columns));
        firstDifference ??= { key: keyString(targetRows[0]!), what: 'not in the source' };
        targetRows = [];
      }
    }
  } catch (error) {
    throw targetError(error, url, `verify ${schema}.${plan.table}`);
  }
  const sourceSha256 = source.digest();
  const targetSha256 = target.digest();
  const verified = source.rows === target.rows && sourceSha256 === targetSha256 && firstDifference === undefined;
  return { sourceRows: source.rows, targetRows: target.rows, sourceSha256, targetSha256, verified, ...(firstDifference ? { firstDifference } : {}) };
}
