import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type Compilable } from 'kysely';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '@web4/core';
import type { Migration } from './migrations/migration.js';
import type { SchemaMigrationsTable } from './schema/metrics-database.js';
import { toStorageError } from './storage-error.js';

export interface SqliteFileOptions {
  /** How long a writer waits for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
}

/**
 * One SQLite file: the better-sqlite3 handle (synchronous; the query logger's writer and the
 * exit-time flush need that), and a kysely instance over the same connection for typed queries.
 * Opening creates the directory, switches to WAL (readers never block the writer, and several
 * processes may write), sets the busy timeout and applies pending migrations.
 */
export class SqliteFile<DB> {
  readonly handle: BetterSqlite3.Database;
  readonly db: Kysely<DB>;
  private closed = false;

  private constructor(
    readonly path: string,
    handle: BetterSqlite3.Database,
  ) {
    this.handle = handle;
    this.db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  }

  static open<DB>(path: string, migrations: Migration[], options: SqliteFileOptions = {}): SqliteFile<DB> {
    const dir = dirname(path);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw toStorageError(error, path, `create the directory ${dir}`);
    }
    const existing = statOrUndefined(path);
    if (existing && !existing.isFile()) {
      throw new StorageError(`${path} exists but is not a file.`, {
        hint: 'Remove what is in the way or point the metrics/feedback database setting elsewhere.',
        details: { file: path },
      });
    }
    let handle: BetterSqlite3.Database | undefined;
    try {
      handle = new BetterSqlite3(path, { timeout: options.busyTimeoutMs ?? 5_000 });
      // Reading the journal mode reads the header: a file that is not SQLite fails here,
      // before anything could be written to it.
      handle.pragma('journal_mode = WAL');
      // In WAL, NORMAL loses nothing on a process crash (only on power loss) and spares an fsync per commit.
      handle.pragma('synchronous = NORMAL');
      const file = new SqliteFile<DB>(path, handle);
      file.migrate(migrations);
      return file;
    } catch (error) {
      handle?.close();
      throw toStorageError(error, path, 'open the database');
    }
  }

  /** Compile a kysely builder to SQL once and prepare it on the synchronous handle. */
  prepare(query: Compilable | CompiledQuery): BetterSqlite3.Statement {
    const compiled = 'compile' in query ? query.compile() : query;
    return this.handle.prepare(compiled.sql);
  }

  /** Run a kysely builder now, synchronously (for small writes that must not interleave). */
  runNow(query: Compilable): BetterSqlite3.RunResult {
    const compiled = query.compile();
    return this.handle.prepare(compiled.sql).run(...(compiled.parameters as unknown[]));
  }

  /** Rows of a kysely select, synchronously. */
  allNow<R>(query: Compilable<R>): R[] {
    const compiled = query.compile();
    return this.handle.prepare(compiled.sql).all(...(compiled.parameters as unknown[])) as R[];
  }

  /** Run `fn` inside BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so two processes never deadlock upgrading a read lock. */
  writeTransaction<T>(fn: () => T): T {
    return this.handle.transaction(fn).immediate();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }

  get isOpen(): boolean {
    return !this.closed && this.handle.open;
  }

  private migrate(migrations: Migration[]): void {
    const db = this.db as unknown as Kysely<{ schema_migrations: SchemaMigrationsTable; sqlite_master: { name: string; type: string } }>;
    const latest = Math.max(0, ...migrations.map((m) => m.version));
    const current = (): number => {
      const found = this.allNow(db.selectFrom('sqlite_master').select('name').where('type', '=', 'table').where('name', '=', 'schema_migrations'));
      if (found.length === 0) return 0;
      const row = this.allNow(db.selectFrom('schema_migrations').select((eb) => eb.fn.max('version').as('v')))[0];
      return Number(row?.v ?? 0);
    };
    // Cheap read first: a database already at the latest version takes no write lock.
    if (current() >= latest) return;
    this.writeTransaction(() => {
      this.runNow(
        db.schema
          .createTable('schema_migrations')
          .ifNotExists()
          .addColumn('version', 'integer', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('applied_at', 'text', (c) => c.notNull()),
      );
      const at = current();
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (migration.version <= at) continue;
        for (const step of migration.up(this.db as unknown as Kysely<unknown>)) this.runNow(step);
        this.runNow(db.insertInto('schema_migrations').values({ version: migration.version, name: migration.name, applied_at: new Date().toISOString() }));
      }
    });
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
